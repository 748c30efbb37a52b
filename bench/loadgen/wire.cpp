#include "wire.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace chatstream::loadgen {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::size_t add_utf8(std::uint32_t cp, TextHash& hash) {
  char b[4];
  std::size_t n = 0;
  if (cp < 0x80) {
    b[n++] = static_cast<char>(cp);
  } else if (cp < 0x800) {
    b[n++] = static_cast<char>(0xC0 | (cp >> 6));
    b[n++] = static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    b[n++] = static_cast<char>(0xE0 | (cp >> 12));
    b[n++] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    b[n++] = static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    b[n++] = static_cast<char>(0xF0 | (cp >> 18));
    b[n++] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    b[n++] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    b[n++] = static_cast<char>(0x80 | (cp & 0x3F));
  }
  for (std::size_t i = 0; i < n; ++i) hash.add(b[i]);
  return n;
}

bool read_hex4(std::string_view s, std::size_t at, std::uint32_t& out) {
  if (at + 4 > s.size()) return false;
  out = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    int v = hex_value(s[at + i]);
    if (v < 0) return false;
    out = (out << 4) | static_cast<std::uint32_t>(v);
  }
  return true;
}

char simple_escape(char c) {
  switch (c) {
    case 'n':
      return '\n';
    case 't':
      return '\t';
    case 'r':
      return '\r';
    case 'b':
      return '\b';
    case 'f':
      return '\f';
    default:
      return c;  // " \ /
  }
}

bool iequal_prefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char a = s[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (a != prefix[i]) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace

std::size_t hash_json_string(std::string_view s, TextHash& hash) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"') break;
    if (c != '\\') {
      hash.add(c);
      ++n;
      continue;
    }
    if (++i >= s.size()) break;
    if (s[i] != 'u') {
      hash.add(simple_escape(s[i]));
      ++n;
      continue;
    }
    std::uint32_t cp = 0;
    if (!read_hex4(s, i + 1, cp)) break;
    i += 4;
    std::uint32_t low = 0;
    if (cp >= 0xD800 && cp < 0xDC00 && i + 2 < s.size() && s[i + 1] == '\\' && s[i + 2] == 'u' &&
        read_hex4(s, i + 3, low) && low >= 0xDC00 && low < 0xE000) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
      i += 6;
    }
    n += add_utf8(cp, hash);
  }
  return n;
}

// ---- SseScanner ----

SseScanner::SseScanner(TokenKey key)
    : key_(key == TokenKey::content ? std::string_view("\"content\":\"")
                                    : std::string_view("\"text\":\"")) {
  line_.reserve(256);
  data_.reserve(512);
}

void SseScanner::reset(std::uint64_t last_id) {
  line_.clear();
  data_.clear();
  event_len_ = 0;
  has_id_ = false;
  c_ = SseCounters{};
  c_.last_id = last_id;
}

void SseScanner::resume() {
  line_.clear();
  data_.clear();
  event_len_ = 0;
  has_id_ = false;
}

std::size_t SseScanner::feed(const char* data, std::size_t size) {
  new_tokens_ = 0;
  const char* end = data + size;
  while (data < end) {
    const char* nl = static_cast<const char*>(std::memchr(data, '\n', end - data));
    if (nl == nullptr) {
      line_.append(data, end);
      break;
    }
    if (line_.empty()) {
      line(std::string_view(data, nl - data));
    } else {
      line_.append(data, nl);
      line(line_);
      line_.clear();
    }
    data = nl + 1;
  }
  return new_tokens_;
}

void SseScanner::line(std::string_view l) {
  if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  if (l.empty()) return dispatch();
  if (l.front() == ':') return;
  auto colon = l.find(':');
  std::string_view field = l.substr(0, colon);
  std::string_view value =
      colon == std::string_view::npos ? std::string_view{} : l.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (field == "data") {
    if (!data_.empty()) data_.push_back('\n');
    data_.append(value);
  } else if (field == "event") {
    event_len_ = std::min(value.size(), sizeof(event_));
    std::memcpy(event_, value.data(), event_len_);
  } else if (field == "id") {
    std::uint64_t v = 0;
    auto r = std::from_chars(value.data(), value.data() + value.size(), v);
    has_id_ = r.ec == std::errc{};
    id_ = v;
  }
}

void SseScanner::dispatch() {
  std::string_view event(event_, event_len_);
  std::string_view data(data_);
  if (!data.empty() || event_len_ > 0) {
    ++c_.events;
    if (event == "done" || data == "[DONE]") {
      c_.done = true;
    } else if (event == "error") {
      c_.error = true;
    } else if (event.empty() || event == "delta" || event == "message") {
      if (has_id_) {
        if (id_ <= c_.last_id) {
          ++c_.dups;
        } else if (id_ != c_.last_id + 1) {
          ++c_.gaps;
        }
        if (id_ > c_.last_id) c_.last_id = id_;
      }
      auto at = data.find(key_);
      if (at != std::string_view::npos &&
          hash_json_string(data.substr(at + key_.size()), c_.hash) > 0) {
        ++c_.tokens;
        ++new_tokens_;
      }
    }
  }
  data_.clear();
  event_len_ = 0;
  has_id_ = false;
}

// ---- ResponseReader ----

void ResponseReader::reset() {
  state_ = State::head;
  head_.clear();
  status_ = 0;
  chunked_ = false;
  has_length_ = false;
  remaining_ = 0;
  chunk_ = Chunk::size;
  chunk_line_.clear();
  body.clear();
}

bool ResponseReader::parse_head() {
  std::string_view h(head_);
  if (!iequal_prefix(h, "http/1.") || h.size() < 12) return false;
  auto r = std::from_chars(h.data() + 9, h.data() + 12, status_);
  if (r.ec != std::errc{}) return false;
  std::size_t pos = h.find('\n');
  while (pos != std::string_view::npos && pos + 1 < h.size()) {
    std::size_t next = h.find('\n', pos + 1);
    std::string_view l =
        h.substr(pos + 1, next == std::string_view::npos ? h.npos : next - pos - 1);
    if (iequal_prefix(l, "transfer-encoding:")) {
      chunked_ = trim(l.substr(18)).find("chunked") != std::string_view::npos;
    } else if (iequal_prefix(l, "content-length:")) {
      auto v = trim(l.substr(15));
      has_length_ = std::from_chars(v.data(), v.data() + v.size(), remaining_).ec == std::errc{};
    }
    pos = next;
  }
  if (chunked_) has_length_ = false;
  return true;
}

std::size_t ResponseReader::step(const char* data, std::size_t size, const char** out,
                                 std::size_t* out_n) {
  if (state_ == State::head) {
    std::size_t before = head_.size();
    head_.append(data, size);
    auto end = head_.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (head_.size() > 65536) state_ = State::failed;
      return size;
    }
    head_.resize(end + 4);
    if (!parse_head()) {
      state_ = State::failed;
      return size;
    }
    state_ = (has_length_ && remaining_ == 0) ? State::complete : State::body;
    return end + 4 - before;
  }
  if (!chunked_) {
    std::size_t n = size;
    if (has_length_) n = static_cast<std::size_t>(std::min<std::uint64_t>(n, remaining_));
    *out = data;
    *out_n = n;
    if (has_length_ && (remaining_ -= n) == 0) state_ = State::complete;
    return n;
  }
  if (chunk_ == Chunk::data) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(size, remaining_));
    *out = data;
    *out_n = n;
    if ((remaining_ -= n) == 0) chunk_ = Chunk::data_crlf;
    return n;
  }
  // size line, CRLF after data, or trailer: one line at a time.
  const char* nl = static_cast<const char*>(std::memchr(data, '\n', size));
  if (nl == nullptr) {
    chunk_line_.append(data, size);
    return size;
  }
  chunk_line_.append(data, nl);
  std::string_view l = trim(chunk_line_);
  if (chunk_ == Chunk::size) {
    remaining_ = 0;
    auto r = std::from_chars(l.data(), l.data() + l.size(), remaining_, 16);
    if (r.ec != std::errc{}) state_ = State::failed;
    chunk_ = remaining_ == 0 ? Chunk::trailer : Chunk::data;
  } else if (chunk_ == Chunk::data_crlf) {
    chunk_ = Chunk::size;
  } else if (l.empty()) {
    state_ = State::complete;
  }
  chunk_line_.clear();
  return static_cast<std::size_t>(nl - data) + 1;
}

}  // namespace chatstream::loadgen
