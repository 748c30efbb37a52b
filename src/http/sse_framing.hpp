// Internal to http/: frames what one pull appends to a buffer as one HTTP/1.1 chunk, in the
// same buffer (room for the chunk-size line is reserved before the pull and filled in after
// it), so that a write is one contiguous buffer. HTTP/1.0 streams are close-delimited: no
// framing.
#pragma once

#include <array>
#include <cstddef>
#include <cstring>
#include <string>

namespace chatstream::http {

class SseFrame {
 public:
  // Longest chunk-size line: 16 hex digits and CRLF.
  static constexpr std::size_t kRoom = 18;

  // Starts a frame at the end of `out` (which may already hold bytes to send first, such as
  // the response head).
  SseFrame(std::string& out, bool chunked) : out_(out), prefix_(out.size()), chunked_(chunked) {
    if (chunked_) out_.append(kRoom, '\0');
    data_at_ = out_.size();
  }

  // Whether nothing was appended since the frame started.
  bool empty() const { return out_.size() == data_at_; }

  // Frames what was appended (nothing when nothing was) and, when `last`, appends the final
  // chunk. Returns the offset in `out` of the first byte to send; the bytes to send run from
  // there to the end.
  std::size_t close(bool last) {
    if (!chunked_) return 0;
    const std::size_t size = out_.size() - data_at_;
    std::size_t from = 0;
    if (size == 0) {
      out_.erase(prefix_, kRoom);
    } else {
      std::array<char, kRoom> line{};
      std::size_t at = kRoom;
      line[--at] = '\n';
      line[--at] = '\r';
      for (std::size_t v = size; v != 0; v >>= 4) line[--at] = "0123456789abcdef"[v & 15];
      const std::size_t len = kRoom - at;
      if (prefix_ == 0) {
        // The line goes at the end of the reserved room: the bytes before it are not sent.
        from = data_at_ - len;
        std::memcpy(out_.data() + from, line.data() + at, len);
      } else {
        out_.replace(prefix_, kRoom, line.data() + at, len);
      }
      out_.append("\r\n", 2);
    }
    if (last) out_.append("0\r\n\r\n", 5);
    return from;
  }

 private:
  std::string& out_;
  std::size_t prefix_;
  std::size_t data_at_ = 0;
  bool chunked_;
};

}  // namespace chatstream::http
