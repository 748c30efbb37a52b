#include "providers/dialect/json_util.hpp"

#include <boost/json/serialize.hpp>

#include <limits>
#include <utility>

namespace chatstream::providers::dialect::detail {

namespace json = boost::json;

JsonScratch::JsonScratch() : arena_(buffer_.data(), buffer_.size()) {}

JsonScratch& JsonScratch::local() {
  thread_local JsonScratch scratch;
  return scratch;
}

const json::value* JsonScratch::parse(std::string_view text) {
  value_.reset();  // give the previous value back before the arena is reused
  arena_.release();
  parser_.reset(json::storage_ptr(&arena_));
  boost::system::error_code ec;
  parser_.write(text.data(), text.size(), ec);
  if (ec) {
    parser_.reset();
    return nullptr;
  }
  value_.emplace(parser_.release());
  return &*value_;
}

const json::object* JsonScratch::parse_object(std::string_view text) {
  const json::value* v = parse(text);
  return v != nullptr ? v->if_object() : nullptr;
}

const json::object* get_object(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr ? v->if_object() : nullptr;
}

const json::array* get_array(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr ? v->if_array() : nullptr;
}

std::optional<std::string_view> get_string(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) {
    return std::nullopt;
  }
  const json::string& s = v->get_string();
  return std::string_view(s.data(), s.size());
}

std::optional<std::int64_t> get_int(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr) {
    return std::nullopt;
  }
  if (v->is_int64()) {
    return v->get_int64();
  }
  if (v->is_uint64()) {
    const std::uint64_t u = v->get_uint64();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(u);
  }
  if (v->is_double()) {
    // Upstream input: a number outside int64 (or NaN) is not a count, not a crash.
    const double d = v->get_double();
    if (!(d >= -9.2e18 && d <= 9.2e18)) return std::nullopt;
    return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

std::string scalar_text(const json::value* v) {
  if (v == nullptr) {
    return {};
  }
  if (v->is_string()) {
    return std::string(v->get_string());
  }
  if (v->is_number()) {
    return json::serialize(*v);
  }
  return {};
}

bool retryable_error_type(std::string_view type) noexcept {
  return type == "server_error" || type == "overloaded_error" || type == "api_error" ||
         type == "rate_limit_error" || type == "rate_limit_exceeded" || type == "timeout";
}

namespace {

StreamError finish_error(StreamError e) {
  if (e.message.empty()) {
    e.message = "upstream reported an error";
  }
  e.retryable = retryable_error_type(e.type) || retryable_error_type(e.code);
  return e;
}

}  // namespace

StreamError upstream_error(const json::object& error) {
  StreamError e;
  e.kind = ErrorKind::upstream;
  e.message = std::string(get_string(error, "message").value_or(""));
  e.type = std::string(get_string(error, "type").value_or(""));
  e.code = scalar_text(error.if_contains("code"));
  return finish_error(std::move(e));
}

StreamError upstream_error(const json::value& error) {
  if (const json::object* o = error.if_object()) {
    return upstream_error(*o);
  }
  StreamError e;
  e.kind = ErrorKind::upstream;
  if (error.is_string()) {
    e.message = std::string(error.get_string());
  }
  return finish_error(std::move(e));
}

}  // namespace chatstream::providers::dialect::detail
