#include "api/openai/errors.hpp"

#include "sse/encoder.hpp"

namespace chatstream::api::openai {

std::string_view error_type_for(unsigned status) noexcept {
  switch (status) {
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 429:
      return "rate_limit_error";
    default:
      if (status == 500) return "server_error";
      return status > 500 ? "api_error" : "invalid_request_error";
  }
}

ApiError invalid_request(std::string message, std::string param, std::string code) {
  ApiError e;
  e.status = 400;
  e.message = std::move(message);
  e.param = std::move(param);
  e.code = std::move(code);
  return e;
}

namespace {

void append_nullable(std::string& out, std::string_view value) {
  if (value.empty()) {
    out += "null";
  } else {
    sse::append_json_string(out, value);
  }
}

std::string_view default_code(providers::ErrorKind kind) {
  switch (kind) {
    case providers::ErrorKind::connect:
      return "upstream_connect_failed";
    case providers::ErrorKind::timeout:
      return "upstream_timeout";
    case providers::ErrorKind::truncated:
      return "upstream_truncated";
    case providers::ErrorKind::protocol:
      return "upstream_protocol_error";
    case providers::ErrorKind::cancelled:
      return "cancelled";
    case providers::ErrorKind::http_status:
    case providers::ErrorKind::upstream:
      break;
  }
  return "upstream_error";
}

unsigned status_for(const providers::StreamError& e) {
  using providers::ErrorKind;
  switch (e.kind) {
    case ErrorKind::connect:
    case ErrorKind::truncated:
    case ErrorKind::protocol:
      return 502;
    case ErrorKind::timeout:
      return 504;
    case ErrorKind::cancelled:
      return 503;
    case ErrorKind::http_status:
    case ErrorKind::upstream:
      break;
  }
  const int s = e.http_status;
  if (s == 401 || s == 403 || s == 407) return 502;  // our upstream credentials, not theirs
  if (s == 529) return 503;                          // Anthropic "overloaded"
  if (s >= 400 && s <= 599) return static_cast<unsigned>(s);
  if (e.type == "overloaded_error") return 503;
  if (e.type == "rate_limit_error") return 429;
  return 502;
}

}  // namespace

std::string error_json(const ApiError& error) {
  std::string out;
  out.reserve(96 + error.message.size());
  out += R"({"error":{"message":)";
  sse::append_json_string(out, error.message);
  out += R"(,"type":)";
  sse::append_json_string(out, error.type);
  out += R"(,"param":)";
  append_nullable(out, error.param);
  out += R"(,"code":)";
  append_nullable(out, error.code);
  out += "}}";
  return out;
}

http::Response error_response(const ApiError& error) {
  http::Response r;
  r.status = error.status;
  r.content_type = "application/json";
  r.body = error_json(error);
  if (error.status == 401) r.set_header("WWW-Authenticate", "Bearer");
  return r;
}

ApiError from_stream_error(const providers::StreamError& error) {
  ApiError out;
  out.status = status_for(error);
  out.type = std::string(error_type_for(out.status));
  out.code = error.code.empty() ? std::string(default_code(error.kind)) : error.code;
  if (error.http_status == 401 || error.http_status == 403 || error.http_status == 407) {
    out.code = "upstream_auth_failed";
    out.message = "The upstream provider refused the gateway's credentials (HTTP " +
                  std::to_string(error.http_status) + ").";
    return out;
  }
  out.message = error.message.empty() ? "The upstream provider failed." : error.message;
  return out;
}

}  // namespace chatstream::api::openai
