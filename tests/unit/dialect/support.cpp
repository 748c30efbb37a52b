#include "support.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

namespace chatstream::providers::dialect::test {

std::string read_fixture(const std::string& name) {
  const std::string path = std::string(CHATSTREAM_SOURCE_DIR) + "/tests/fixtures/upstream/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<Event> decode_with_cuts(Dialect dialect, std::string_view body,
                                    const std::vector<std::size_t>& cuts) {
  auto decoder = make_decoder(dialect);
  std::vector<Event> out;
  std::size_t pos = 0;
  auto feed_to = [&](std::size_t end) {
    // A private copy per slice: reading outside the slice would be caught by ASan.
    const std::string slice(body.substr(pos, end - pos));
    decoder->feed(slice, out);
    pos = end;
  };
  for (std::size_t cut : cuts) {
    if (cut > pos && cut < body.size()) {
      feed_to(cut);
    }
  }
  feed_to(body.size());
  decoder->finish(out);
  return out;
}

std::vector<Event> decode_bytewise(Dialect dialect, std::string_view body) {
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < body.size(); ++i) {
    cuts.push_back(i);
  }
  return decode_with_cuts(dialect, body, cuts);
}

std::vector<std::size_t> random_cuts(std::size_t size, unsigned seed, std::size_t max_gap) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<std::size_t> gap(1, max_gap);
  std::vector<std::size_t> cuts;
  for (std::size_t pos = gap(rng); pos < size; pos += gap(rng)) {
    cuts.push_back(pos);
  }
  return cuts;
}

namespace {

struct Describer {
  std::string operator()(const TextDelta& e) const { return "text:" + e.text; }
  std::string operator()(const ReasoningDelta& e) const { return "reasoning:" + e.text; }
  std::string operator()(const ToolCallDelta& e) const {
    return "tool:" + std::to_string(e.index) + "|" + e.id + "|" + e.name + "|" + e.arguments;
  }
  std::string operator()(const Usage& e) const {
    return "usage:" + std::to_string(e.prompt_tokens) + "/" + std::to_string(e.completion_tokens) +
           "/" + (e.cached_prompt_tokens ? std::to_string(*e.cached_prompt_tokens) : "-") + "/" +
           (e.reasoning_tokens ? std::to_string(*e.reasoning_tokens) : "-");
  }
  std::string operator()(const Finish& e) const { return "finish:" + e.reason + "|" + e.raw; }
  std::string operator()(const StreamError& e) const {
    return std::string("error:") + to_string(e.kind) + "|" + e.type + "|" + e.code + "|" +
           std::to_string(e.http_status) + "|" + (e.retryable ? "retry" : "final") + "|" +
           e.message;
  }
};

}  // namespace

std::string describe(const Event& event) {
  return std::visit(Describer{}, event);
}

std::vector<std::string> describe(const std::vector<Event>& events) {
  std::vector<std::string> out;
  out.reserve(events.size());
  for (const Event& e : events) {
    out.push_back(describe(e));
  }
  return out;
}

Assembled assemble(const std::vector<Event>& events) {
  Assembled a;
  for (const Event& event : events) {
    if (a.errors > 0) {
      a.error_last = false;
    }
    if (const auto* t = std::get_if<TextDelta>(&event)) {
      a.text += t->text;
    } else if (const auto* r = std::get_if<ReasoningDelta>(&event)) {
      a.reasoning += r->text;
    } else if (const auto* c = std::get_if<ToolCallDelta>(&event)) {
      ToolCall& call = a.tool_calls[c->index];
      if (!c->id.empty()) {
        call.id = c->id;
      }
      if (!c->name.empty()) {
        call.name = c->name;
      }
      call.arguments += c->arguments;
    } else if (const auto* u = std::get_if<Usage>(&event)) {
      a.usage = *u;
    } else if (const auto* f = std::get_if<Finish>(&event)) {
      a.finish = *f;
    } else if (const auto* e = std::get_if<StreamError>(&event)) {
      a.error = *e;
      ++a.errors;
    }
  }
  return a;
}

}  // namespace chatstream::providers::dialect::test
