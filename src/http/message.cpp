#include "http/message.hpp"

#include "http/url.hpp"
#include "sse/encoder.hpp"

namespace chatstream::http {

std::string_view Request::header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return v;
  }
  return {};
}

bool Request::has_header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers) {
    if (k == lower_name) return true;
  }
  return false;
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  return find_query_param(query, name);
}

std::string_view Request::param(std::string_view name) const {
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return {};
}

void SseSource::append_shutdown(std::string& out, std::chrono::milliseconds retry_hint) {
  sse::append_event(out, "shutdown", R"({"message":"server is shutting down"})");
  sse::append_retry(out, retry_hint);
}

void Response::set_header(std::string name, std::string value) {
  for (auto& [k, v] : headers) {
    if (k == name) {
      v = std::move(value);
      return;
    }
  }
  headers.emplace_back(std::move(name), std::move(value));
}

}  // namespace chatstream::http
