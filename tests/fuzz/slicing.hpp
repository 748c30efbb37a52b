// Shared by the fuzz targets: deterministic slice sizes derived from the input itself, so
// that every input is also tried in a slicing that cuts through lines, CRLF pairs and
// UTF-8 sequences.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace chatstream::fuzz {

class Slicer {
 public:
  explicit Slicer(std::string_view data) {
    for (unsigned char c : data) {  // FNV-1a
      state_ = (state_ ^ c) * 1099511628211ull;
    }
  }
  // Next slice length in [0, 16].
  std::size_t next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return static_cast<std::size_t>(state_ % 17);
  }

 private:
  std::uint64_t state_ = 14695981039346656037ull;
};

// Calls feed(slice) for consecutive slices of `data` chosen by a Slicer.
template <class F>
void feed_sliced(std::string_view data, F&& feed) {
  Slicer slicer(data);
  while (!data.empty()) {
    const std::size_t n = slicer.next();
    feed(data.substr(0, n));
    data.remove_prefix(n < data.size() ? n : data.size());
  }
}

}  // namespace chatstream::fuzz
