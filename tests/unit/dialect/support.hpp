// Test helpers: read fixtures, feed decoders in different slicings, assemble the events.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "providers/dialect/decoder.hpp"
#include "providers/events.hpp"

namespace chatstream::providers::dialect::test {

std::string read_fixture(const std::string& name);

// Feeds `body` cut at `cuts` (ascending offsets) and finishes.
std::vector<Event> decode_with_cuts(Dialect dialect, std::string_view body,
                                    const std::vector<std::size_t>& cuts);
std::vector<Event> decode_bytewise(Dialect dialect, std::string_view body);
// Random cut points (roughly one per `mean_gap` bytes) from `rng_state`.
std::vector<std::size_t> random_cuts(std::size_t size, unsigned seed, std::size_t max_gap);

// A one-line text form of an event, for comparing sequences.
std::string describe(const Event& event);
std::vector<std::string> describe(const std::vector<Event>& events);

struct ToolCall {
  std::string id;
  std::string name;
  std::string arguments;
};

struct Assembled {
  std::string text;
  std::string reasoning;
  std::map<int, ToolCall> tool_calls;
  std::optional<Finish> finish;
  std::optional<Usage> usage;
  std::optional<StreamError> error;
  int errors = 0;
  bool error_last = true;  // no event follows the error
};

Assembled assemble(const std::vector<Event>& events);

}  // namespace chatstream::providers::dialect::test
