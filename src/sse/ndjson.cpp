#include "sse/ndjson.hpp"

#include <cstring>

namespace chatstream::sse {

NdjsonSplitter::NdjsonSplitter(std::size_t max_line_bytes) : max_line_bytes_(max_line_bytes) {}

std::optional<std::string_view> NdjsonSplitter::trim(std::string_view line) noexcept {
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) {
    return std::nullopt;
  }
  return line;
}

std::optional<std::string_view> NdjsonSplitter::next(std::string_view& input) {
  if (clear_pending_) {
    clear_pending_ = false;
    line_.clear();
  }
  while (status_ == Status::ok && !input.empty()) {
    const void* lf = std::memchr(input.data(), '\n', input.size());
    if (lf == nullptr) {
      if (line_.size() + input.size() > max_line_bytes_) {
        status_ = Status::too_large;
        break;
      }
      line_.append(input);
      input = {};
      return std::nullopt;
    }
    const auto len = static_cast<std::size_t>(static_cast<const char*>(lf) - input.data());
    const std::string_view piece = input.substr(0, len);
    input.remove_prefix(len + 1);
    if (line_.size() + piece.size() > max_line_bytes_) {
      status_ = Status::too_large;
      break;
    }
    std::optional<std::string_view> line;
    if (line_.empty()) {
      line = trim(piece);
    } else {
      line_.append(piece);
      line = trim(line_);
      if (line) {
        clear_pending_ = true;
      } else {
        line_.clear();
      }
    }
    if (line) {
      return line;
    }
  }
  if (status_ != Status::ok) {
    input = {};
    line_.clear();
  }
  return std::nullopt;
}

std::optional<std::string_view> NdjsonSplitter::finish() {
  const bool ok = status_ == Status::ok && !clear_pending_;
  status_ = Status::ok;
  clear_pending_ = true;  // line_ is returned below (or empty): clear it on the next call
  if (!ok) {
    line_.clear();
    return std::nullopt;
  }
  return trim(line_);
}

void NdjsonSplitter::reset() {
  status_ = Status::ok;
  clear_pending_ = false;
  line_.clear();
}

}  // namespace chatstream::sse
