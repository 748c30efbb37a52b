// Differential fuzzing of the SSE parser: whole input vs. sliced input must give the same
// events, and no event may exceed the configured limit.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "slicing.hpp"
#include "sse/parser.hpp"

namespace {

constexpr std::size_t limit = 4096;

struct Result {
  std::vector<std::string> events;
  chatstream::sse::EventStreamParser::Status status{};
  std::string last_event_id;
  std::uint64_t retry = 0;
};

void collect(Result& r, const chatstream::sse::Event& e) {
  if (e.data.size() > limit || e.type.empty()) {
    std::abort();
  }
  std::string s(e.type);
  s += '\x01';
  s += e.data;
  s += '\x01';
  s += e.last_event_id;
  r.events.push_back(std::move(s));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view data(reinterpret_cast<const char*>(bytes), size);
  Result whole;
  Result sliced;
  chatstream::sse::EventStreamParser a(limit);
  a.feed(data, [&](const chatstream::sse::Event& e) { collect(whole, e); });
  whole.status = a.status();
  whole.last_event_id = a.last_event_id();
  whole.retry = a.retry_ms().value_or(0);
  chatstream::sse::EventStreamParser b(limit);
  chatstream::fuzz::feed_sliced(data, [&](std::string_view slice) {
    const std::string copy(slice);  // a private buffer per slice, as a socket read would be
    b.feed(copy, [&](const chatstream::sse::Event& e) { collect(sliced, e); });
  });
  sliced.status = b.status();
  sliced.last_event_id = b.last_event_id();
  sliced.retry = b.retry_ms().value_or(0);
  const bool same = whole.events == sliced.events && whole.last_event_id == sliced.last_event_id &&
                    whole.retry == sliced.retry;
  // After an error the two may legitimately stop at different points.
  if (whole.status == sliced.status && whole.status == decltype(whole.status)::ok && !same) {
    std::abort();
  }
  a.finish();
  b.finish();
  return 0;
}
