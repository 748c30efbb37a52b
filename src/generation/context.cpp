#include "generation/context.hpp"

#include <deque>

namespace chatstream::generation {

providers::ChatRequest build_chat_request(const std::vector<store::Message>& branch,
                                          const std::string& system_prompt,
                                          std::size_t budget_chars, std::size_t* dropped) {
  providers::ChatRequest req;
  req.system_prompt = system_prompt;
  std::deque<providers::ChatMessage> turns;
  std::size_t total = 0;
  for (const auto& m : branch) {
    if (m.content.empty()) continue;
    if (m.role == store::Role::system) continue;  // the conversation's prompt is the system one
    providers::ChatMessage cm;
    cm.role = std::string(store::to_string(m.role));
    cm.content = m.content;
    total += cm.content.size();
    turns.push_back(std::move(cm));
  }
  std::size_t left_out = 0;
  while (turns.size() > 1 && total > budget_chars) {
    total -= turns.front().content.size();
    turns.pop_front();
    ++left_out;
  }
  // A conversation sent upstream should start with the user speaking.
  while (turns.size() > 1 && turns.front().role != "user") {
    turns.pop_front();
    ++left_out;
  }
  req.messages.assign(std::make_move_iterator(turns.begin()), std::make_move_iterator(turns.end()));
  if (dropped) *dropped = left_out;
  return req;
}

std::string title_from_message(std::string_view content, std::size_t max_chars) {
  std::string collapsed;
  bool space = false;
  for (char c : content) {
    if (c == '\n' || c == '\r') {
      if (!collapsed.empty()) break;
      continue;
    }
    if (c == ' ' || c == '\t') {
      space = !collapsed.empty();
      continue;
    }
    if (space) collapsed.push_back(' ');
    space = false;
    collapsed.push_back(c);
  }
  // Count UTF-8 code points; cut at the last space before the limit when there is one.
  std::size_t chars = 0, cut = std::string::npos, last_space = std::string::npos;
  for (std::size_t i = 0; i < collapsed.size(); ++i) {
    auto b = static_cast<unsigned char>(collapsed[i]);
    if ((b & 0xC0) == 0x80) continue;
    if (chars == max_chars) {
      cut = i;
      break;
    }
    if (b == ' ') last_space = i;
    ++chars;
  }
  if (cut == std::string::npos) return collapsed.empty() ? "New chat" : collapsed;
  // Back up to a word boundary unless the cut already falls on one.
  if (collapsed[cut] != ' ' && last_space != std::string::npos && last_space > cut / 2) {
    cut = last_space;
  }
  collapsed.resize(cut);
  while (!collapsed.empty() && collapsed.back() == ' ') collapsed.pop_back();
  return collapsed + "…";
}

}  // namespace chatstream::generation
