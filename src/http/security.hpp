// Request checks for a server meant to sit on loopback: Host (DNS rebinding) and
// Origin/Sec-Fetch-Site (CSRF) validation, and the security headers of HTML responses. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace chatstream::http {

struct SecurityConfig {
  // Host names (without port) accepted in the Host header besides loopback names
  // (localhost, 127.0.0.1, [::1]). "*" accepts any host (use behind a trusted proxy only).
  std::vector<std::string> allowed_hosts;
  bool allow_loopback_hosts = true;
};

// Host name part of a Host header value ("example.com:8080" -> "example.com",
// "[::1]:80" -> "[::1]"), lower-cased.
std::string host_without_port(std::string_view host);

bool is_allowed_host(std::string_view host_header, const SecurityConfig& config);

// Returns an error response when the request must be refused, nullopt when it may proceed.
// - Host missing on HTTP/1.1 → 400; not allowed → 403 `host_not_allowed`.
// - State-changing methods (POST, PUT, PATCH, DELETE) with a cross-site Origin, an Origin of
//   "null", or Sec-Fetch-Site: cross-site → 403 `cross_origin_request`.
std::optional<Response> check_request(const Request& request, const SecurityConfig& config);

// Headers every response carries (nosniff) and those for HTML documents (CSP etc.).
void add_common_security_headers(Response& response);
void add_html_security_headers(Response& response);

}  // namespace chatstream::http
