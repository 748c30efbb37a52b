#include "api/titles.hpp"

#include <spdlog/spdlog.h>

#include <variant>

#include "generation/context.hpp"
#include "store/store.hpp"

namespace chatstream::api {

std::string clean_title(std::string_view raw) {
  std::string_view t = raw;
  auto trim = [&t] {
    while (!t.empty() &&
           (t.front() == ' ' || t.front() == '\n' || t.front() == '\r' || t.front() == '\t')) {
      t.remove_prefix(1);
    }
    while (!t.empty() &&
           (t.back() == ' ' || t.back() == '\n' || t.back() == '\r' || t.back() == '\t')) {
      t.remove_suffix(1);
    }
  };
  trim();
  t = t.substr(0, t.find('\n'));
  if (t.starts_with("Title:") || t.starts_with("title:")) t.remove_prefix(6);
  trim();
  for (std::string_view wrap : {"\"", "'", "*", "_", "#", "`"}) {
    while (t.starts_with(wrap)) t.remove_prefix(wrap.size());
    while (t.ends_with(wrap)) t.remove_suffix(wrap.size());
    trim();
  }
  while (t.ends_with(".")) t.remove_suffix(1);
  trim();
  if (t.empty()) return {};
  return generation::title_from_message(t, 80);
}

boost::asio::awaitable<void> auto_title(ApiContext* ctx, std::string user,
                                        std::string conversation_id, std::string derived_title,
                                        std::string first_message,
                                        std::shared_ptr<generation::Generation> answer,
                                        providers::ResolvedModel model) {
  try {
    if (!co_await answer->wait_finished(std::chrono::minutes(30))) co_return;
    auto outcome = answer->outcome();
    if (!outcome || outcome->status != store::MessageStatus::complete) co_return;

    providers::ChatRequest req;
    req.model = model.model;
    req.system_prompt =
        "You name conversations. Reply with a title of at most six words for the "
        "conversation, in the language of the user's message, without quotes or a final "
        "period.";
    if (first_message.size() > 2000) first_message.resize(2000);
    req.messages.push_back({"user", "Conversation start:\n\n" + first_message, "", ""});
    req.max_tokens = 24;
    req.temperature = 0.2;
    std::string text;
    bool ok = false;
    co_await model.provider->stream_chat(std::move(req), [&text, &ok](providers::Event&& e) {
      if (auto* d = std::get_if<providers::TextDelta>(&e)) text += d->text;
      if (std::holds_alternative<providers::Finish>(e)) ok = true;
    });
    auto title = clean_title(text);
    if (!ok || title.empty()) co_return;
    // Only replace the title the server derived: a user's rename wins.
    auto current = co_await ctx->store.get_conversation(user, conversation_id);
    if (!current || current->title != derived_title) co_return;
    store::ConversationPatch patch;
    patch.title = title;
    co_await ctx->store.update_conversation(user, conversation_id, std::move(patch));
  } catch (const std::exception& e) {
    ctx->logger->warn("auto title for {} failed: {}", conversation_id, e.what());
  }
}

}  // namespace chatstream::api
