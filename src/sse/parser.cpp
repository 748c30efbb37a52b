#include "sse/parser.hpp"

#include <cstring>
#include <limits>

namespace chatstream::sse {

namespace {

constexpr std::string_view bom{"\xEF\xBB\xBF"};
constexpr std::string_view default_event_type{"message"};

// WHATWG: the value must consist of ASCII digits only. Saturates instead of overflowing.
std::optional<std::uint64_t> parse_retry(std::string_view value) noexcept {
  if (value.empty()) {
    return std::nullopt;
  }
  constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t result = 0;
  for (char c : value) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    const auto digit = static_cast<std::uint64_t>(c - '0');
    result = result > (max - digit) / 10 ? max : result * 10 + digit;
  }
  return result;
}

}  // namespace

EventStreamParser::EventStreamParser(std::size_t max_event_bytes)
    : max_event_bytes_(max_event_bytes) {}

std::optional<Event> EventStreamParser::next(std::string_view& input) {
  if (reset_pending_) {
    reset_pending_ = false;
    data_.clear();
    data_in_view_ = false;
    event_type_.clear();
  }
  if (status_ != Status::ok) {
    input = {};
    return std::nullopt;
  }
  if (!bom_done_ && !skip_bom(input)) {
    return std::nullopt;
  }
  while (!input.empty()) {
    if (skip_lf_) {
      skip_lf_ = false;
      if (input.front() == '\n') {
        input.remove_prefix(1);
        continue;
      }
    }
    if (line_.empty() && !data_in_view_ && data_.empty()) {
      if (auto event = whole_data_event(input)) return event;
    }
    const std::size_t len = find_line_end(input);
    if (len == std::string_view::npos) {
      if (over_limit(line_.size() + input.size())) {
        break;
      }
      line_.append(input);
      input = {};
      break;
    }
    const std::string_view piece = input.substr(0, len);
    const bool cr = input[len] == '\r';
    input.remove_prefix(len + 1);
    if (cr) {
      if (input.empty()) {
        skip_lf_ = true;
      } else if (input.front() == '\n') {
        input.remove_prefix(1);
      }
    }
    bool dispatched = false;
    if (line_.empty()) {
      line_in_input_ = true;
      dispatched = process_line(piece);
      line_in_input_ = false;
    } else if (!over_limit(line_.size() + piece.size())) {
      line_.append(piece);
      dispatched = process_line(line_);
      line_.clear();
    }
    if (status_ != Status::ok) {
      break;
    }
    if (dispatched) {
      if (input.empty()) {
        clear_hint();
      }
      return current_event();
    }
  }
  if (status_ != Status::ok) {
    input = {};
  }
  own_data();  // the slice is used up: the caller may reuse its bytes
  clear_hint();
  return std::nullopt;
}

// `data:<value>` LF LF at the front of `input` (no CR in the line, within the limits) when no
// line or data is pending: the shape of nearly every event of a model stream, dispatched
// without going through the line and field steps. Whatever else (a CR, another field, a line
// cut by the slice, a limit) takes the general path, which gives the same result.
std::optional<Event> EventStreamParser::whole_data_event(std::string_view& input) {
  constexpr std::string_view kData = "data:";
  if (input.size() < kData.size() + 2 || input.substr(0, kData.size()) != kData) {
    return std::nullopt;
  }
  // The LF search shares find_line_end's hint: lines that do not qualify (lone CRs, say) do not
  // search the rest of the slice again each.
  const char* lf = next_lf(input);
  if (lf == input.data() + input.size()) return std::nullopt;
  const auto len = static_cast<std::size_t>(lf - input.data());
  if (len + 1 >= input.size() || input[len + 1] != '\n') return std::nullopt;
  if (std::memchr(input.data(), '\r', len) != nullptr) return std::nullopt;
  std::string_view value = input.substr(kData.size(), len - kData.size());
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (len > max_event_bytes_ || value.size() + 1 > max_event_bytes_) return std::nullopt;
  input.remove_prefix(len + 2);
  data_view_ = value;
  data_in_view_ = true;
  last_event_id_.assign(id_buffer_);  // as dispatch() does
  reset_pending_ = true;
  if (input.empty()) clear_hint();
  return current_event();
}

void EventStreamParser::own_data() {
  if (!data_in_view_) return;
  data_in_view_ = false;
  data_.assign(data_view_);
  data_.push_back('\n');
}

bool EventStreamParser::skip_bom(std::string_view& input) {
  while (bom_matched_ < bom.size() && !input.empty()) {
    if (input.front() != bom[bom_matched_]) {
      // Not a BOM after all: the bytes matched so far start the first line.
      line_.assign(bom.substr(0, bom_matched_));
      bom_done_ = true;
      return true;
    }
    ++bom_matched_;
    input.remove_prefix(1);
  }
  bom_done_ = bom_matched_ == bom.size();
  return bom_done_;
}

const char* EventStreamParser::next_lf(std::string_view input) noexcept {
  const char* begin = input.data();
  const char* end = begin + input.size();
  if (hint_end_ != end || hint_lf_ < begin) {
    const void* lf = std::memchr(begin, '\n', input.size());
    hint_lf_ = lf != nullptr ? static_cast<const char*>(lf) : end;
    hint_end_ = end;
  }
  return hint_lf_;
}

std::size_t EventStreamParser::find_line_end(std::string_view input) noexcept {
  const char* begin = input.data();
  const char* end = begin + input.size();
  const char* lf = next_lf(input);
  // A CR before the next LF ends the line first (lone CR or CRLF).
  const void* cr = std::memchr(begin, '\r', static_cast<std::size_t>(lf - begin));
  const char* line_end = cr != nullptr ? static_cast<const char*>(cr) : lf;
  return line_end == end ? std::string_view::npos : static_cast<std::size_t>(line_end - begin);
}

bool EventStreamParser::process_line(std::string_view line) {
  if (line.empty()) {
    return dispatch();
  }
  // Checked before anything else so that the outcome does not depend on whether the line
  // arrived in one slice or was assembled from several.
  if (over_limit(line.size())) {
    return false;
  }
  if (line.front() == ':') {
    return false;  // comment
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) {
    process_field(line, {});
    return false;
  }
  std::string_view value = line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') {
    value.remove_prefix(1);
  }
  process_field(line.substr(0, colon), value);
  return false;
}

void EventStreamParser::process_field(std::string_view name, std::string_view value) {
  if (name == "data") {
    if (line_in_input_ && !data_in_view_ && data_.empty()) {
      if (over_limit(value.size() + 1)) return;
      data_view_ = value;  // the first data line, read in place until the slice ends
      data_in_view_ = true;
      return;
    }
    own_data();
    if (over_limit(data_.size() + value.size() + 1)) {
      return;
    }
    data_.append(value);
    data_.push_back('\n');
  } else if (name == "event") {
    event_type_.assign(value);
  } else if (name == "id") {
    if (value.find('\0') == std::string_view::npos) {
      id_buffer_.assign(value);
    }
  } else if (name == "retry") {
    if (auto ms = parse_retry(value)) {
      retry_ms_ = ms;
    }
  }
  // Any other field (including wrong-case names) is ignored.
}

bool EventStreamParser::dispatch() {
  last_event_id_.assign(id_buffer_);
  if (data_in_view_) {
    reset_pending_ = true;
    return true;
  }
  if (data_.empty()) {
    event_type_.clear();
    return false;
  }
  data_.pop_back();  // the LF appended after the last data line
  reset_pending_ = true;
  return true;
}

Event EventStreamParser::current_event() const noexcept {
  return Event{event_type_.empty() ? default_event_type : std::string_view{event_type_},
               data_in_view_ ? data_view_ : std::string_view{data_}, last_event_id_};
}

bool EventStreamParser::over_limit(std::size_t size) noexcept {
  if (size <= max_event_bytes_) {
    return false;
  }
  status_ = Status::too_large;
  return true;
}

void EventStreamParser::finish() {
  line_.clear();
  data_.clear();
  data_in_view_ = false;
  event_type_.clear();
  reset_pending_ = false;
  skip_lf_ = false;
  bom_matched_ = 0;
  bom_done_ = false;
  status_ = Status::ok;
  clear_hint();
}

void EventStreamParser::reset() {
  finish();
  id_buffer_.clear();
  last_event_id_.clear();
  retry_ms_.reset();
}

}  // namespace chatstream::sse
