// Internal helpers shared by the dialect decoders (not part of the public interface).
#pragma once

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "providers/events.hpp"

namespace chatstream::providers::dialect::detail {

// Parses one JSON text per call, reusing a parser and a monotonic arena so that a typical
// chunk costs no heap allocation. The returned value lives until the next parse() on the same
// object. Decoders use the instance of their thread (local()): a parse and the reading of its
// result never span a suspension, so one scratch per thread serves every stream on it, and a
// stream holds no parser or arena of its own.
class JsonScratch {
 public:
  JsonScratch();
  JsonScratch(const JsonScratch&) = delete;
  JsonScratch& operator=(const JsonScratch&) = delete;

  // The calling thread's scratch. Do not keep its result across another parse on the thread.
  static JsonScratch& local();

  // nullptr when `text` is not exactly one valid JSON value.
  const boost::json::value* parse(std::string_view text);
  // As parse(), and the result must be an object.
  const boost::json::object* parse_object(std::string_view text);

 private:
  // First arena block, inline, sized for a large chunk's parsed tree (a bigger chunk spills to
  // the heap for that one parse; the next parse gives it back).
  alignas(std::max_align_t) std::array<unsigned char, 16384> buffer_;
  boost::json::monotonic_resource arena_;
  boost::json::parser parser_;
  // Move construction adopts the arena as storage (assignment would copy to the heap).
  std::optional<boost::json::value> value_;
};

const boost::json::object* get_object(const boost::json::object& o, std::string_view key);
const boost::json::array* get_array(const boost::json::object& o, std::string_view key);
std::optional<std::string_view> get_string(const boost::json::object& o, std::string_view key);
std::optional<std::int64_t> get_int(const boost::json::object& o, std::string_view key);
// A string as is, a number as its decimal text, anything else empty.
std::string scalar_text(const boost::json::value* v);

// An error reported inside a stream: `{"message","type","code"}` object or a plain string.
StreamError upstream_error(const boost::json::value& error);
StreamError upstream_error(const boost::json::object& error);
// Whether an upstream error type/code suggests trying again later.
bool retryable_error_type(std::string_view type) noexcept;

}  // namespace chatstream::providers::dialect::detail
