// Runs bytes through a dialect decoder (first byte selects the dialect), whole and sliced.
// Checks: same events either way; at most one StreamError and only as the last event;
// done() after finish().
#include <cstdint>
#include <cstdlib>
#include <string>
#include <variant>
#include <vector>

#include "providers/dialect/decoder.hpp"
#include "slicing.hpp"

namespace {

using chatstream::providers::Event;
using chatstream::providers::dialect::Decoder;
using chatstream::providers::dialect::Dialect;

struct Describer {
  std::string operator()(const chatstream::providers::TextDelta& e) const { return "t" + e.text; }
  std::string operator()(const chatstream::providers::ReasoningDelta& e) const {
    return "r" + e.text;
  }
  std::string operator()(const chatstream::providers::ToolCallDelta& e) const {
    return "c" + std::to_string(e.index) + e.id + '\x01' + e.name + '\x01' + e.arguments;
  }
  std::string operator()(const chatstream::providers::Usage& e) const {
    return "u" + std::to_string(e.prompt_tokens) + "/" + std::to_string(e.completion_tokens);
  }
  std::string operator()(const chatstream::providers::Finish& e) const {
    return "f" + e.reason + '\x01' + e.raw;
  }
  std::string operator()(const chatstream::providers::StreamError& e) const {
    return "e" + std::to_string(static_cast<int>(e.kind)) + e.type + '\x01' + e.message;
  }
};

std::vector<std::string> check(const std::vector<Event>& events, const Decoder& decoder) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (std::holds_alternative<chatstream::providers::StreamError>(events[i]) &&
        i + 1 != events.size()) {
      std::abort();  // an error must be the last event
    }
    out.push_back(std::visit(Describer{}, events[i]));
  }
  if (!decoder.done()) {
    std::abort();
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size == 0) {
    return 0;
  }
  const auto dialect = static_cast<Dialect>(bytes[0] % 4);
  const std::string_view data(reinterpret_cast<const char*>(bytes) + 1, size - 1);
  constexpr std::size_t limit = 1 << 16;

  auto a = chatstream::providers::dialect::make_decoder(dialect, limit);
  std::vector<Event> whole;
  a->feed(data, whole);
  a->finish(whole);

  auto b = chatstream::providers::dialect::make_decoder(dialect, limit);
  std::vector<Event> sliced;
  chatstream::fuzz::feed_sliced(data, [&](std::string_view slice) {
    const std::string copy(slice);
    b->feed(copy, sliced);
  });
  b->finish(sliced);

  if (check(whole, *a) != check(sliced, *b)) {
    std::abort();
  }
  return 0;
}
