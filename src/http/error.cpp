#include "http/error.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace chatstream::http {

std::string_view error_type_for(unsigned status) noexcept {
  switch (status) {
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 429:
      return "rate_limit_error";
    case 503:
      return "unavailable_error";
    default:
      return status >= 500 ? "server_error" : "invalid_request_error";
  }
}

std::string error_body(std::string_view type, std::string_view code, std::string_view message) {
  boost::json::object inner;
  inner["message"] = message;
  inner["type"] = type;
  inner["code"] = code;
  boost::json::object outer;
  outer["error"] = std::move(inner);
  return boost::json::serialize(outer);
}

Response json_error(unsigned status, std::string_view type, std::string_view code,
                    std::string_view message) {
  Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = error_body(type, code, message);
  return r;
}

Response json_error(unsigned status, std::string_view code, std::string_view message) {
  return json_error(status, error_type_for(status), code, message);
}

}  // namespace chatstream::http
