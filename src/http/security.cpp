#include "http/security.hpp"

#include <algorithm>
#include <cctype>

#include "http/error.hpp"

namespace chatstream::http {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_loopback_name(std::string_view host) {
  return host == "localhost" || host == "127.0.0.1" || host == "[::1]" ||
         host.ends_with(".localhost");
}

bool is_state_changing(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

// "https://example.com:8080/x" -> "example.com:8080"; empty when not http(s).
std::string_view origin_authority(std::string_view origin) {
  std::size_t scheme_end = origin.find("://");
  if (scheme_end == std::string_view::npos) return {};
  std::string_view scheme = origin.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") return {};
  std::string_view rest = origin.substr(scheme_end + 3);
  return rest.substr(0, rest.find('/'));
}

}  // namespace

std::string host_without_port(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    auto close = host.find(']');
    return lower(host.substr(0, close == std::string_view::npos ? host.size() : close + 1));
  }
  return lower(host.substr(0, host.find(':')));
}

bool is_allowed_host(std::string_view host_header, const SecurityConfig& config) {
  std::string host = host_without_port(host_header);
  if (host.empty()) return false;
  if (config.allow_loopback_hosts && is_loopback_name(host)) return true;
  for (const auto& allowed : config.allowed_hosts) {
    if (allowed == "*" || lower(allowed) == host) return true;
  }
  return false;
}

std::optional<Response> check_request(const Request& request, const SecurityConfig& config) {
  std::string_view host = request.header("host");
  if (host.empty()) {
    if (request.version >= 11) {
      return json_error(400, "missing_host", "The Host header is required.");
    }
  } else if (!is_allowed_host(host, config)) {
    return json_error(403, "host_not_allowed",
                      "This Host is not served here. Add it to allowed_hosts to serve it.");
  }
  if (!is_state_changing(request.method)) return std::nullopt;
  std::string_view origin = request.header("origin");
  if (!origin.empty()) {
    std::string_view authority = origin_authority(origin);
    if (authority.empty() || lower(authority) != lower(host)) {
      return json_error(403, "cross_origin_request",
                        "Cross-origin state-changing requests are refused.");
    }
  } else if (request.header("sec-fetch-site") == "cross-site") {
    return json_error(403, "cross_origin_request",
                      "Cross-site state-changing requests are refused.");
  }
  return std::nullopt;
}

void add_common_security_headers(Response& response) {
  response.set_header("X-Content-Type-Options", "nosniff");
}

void add_html_security_headers(Response& response) {
  response.set_header("Content-Security-Policy",
                      "default-src 'self'; script-src 'self'; style-src 'self'; "
                      "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
                      "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
                      "form-action 'self'");
  response.set_header("Referrer-Policy", "no-referrer");
  response.set_header("X-Frame-Options", "DENY");
  response.set_header("Permissions-Policy", "camera=(), microphone=(), geolocation=()");
}

}  // namespace chatstream::http
