// Differential fuzzing of the NDJSON splitter: whole vs. sliced input, same lines.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "slicing.hpp"
#include "sse/ndjson.hpp"

namespace {

constexpr std::size_t limit = 4096;

void collect(std::vector<std::string>& out, std::string_view line) {
  if (line.empty() || line.size() > limit || line.find('\n') != std::string_view::npos) {
    std::abort();
  }
  out.emplace_back(line);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  const std::string_view data(reinterpret_cast<const char*>(bytes), size);
  std::vector<std::string> whole;
  std::vector<std::string> sliced;
  chatstream::sse::NdjsonSplitter a(limit);
  const bool ok_a = a.feed(data, [&](std::string_view l) { collect(whole, l); });
  a.finish([&](std::string_view l) { collect(whole, l); });
  chatstream::sse::NdjsonSplitter b(limit);
  bool ok_b = true;
  chatstream::fuzz::feed_sliced(data, [&](std::string_view slice) {
    const std::string copy(slice);
    ok_b = b.feed(copy, [&](std::string_view l) { collect(sliced, l); }) && ok_b;
  });
  b.finish([&](std::string_view l) { collect(sliced, l); });
  if (ok_a && ok_b && whole != sliced) {
    std::abort();
  }
  return 0;
}
