// URLs, proxy selection and request serialization for the HTTP client (pure code).
#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cctype>

#include "providers/http/detail.hpp"

namespace chatstream::providers::http_detail {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string base64(std::string_view in) {
  static constexpr char kTable[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16U) |
                       (static_cast<unsigned char>(in[i + 1]) << 8U) |
                       static_cast<unsigned char>(in[i + 2]);
    out += {kTable[(v >> 18U) & 63U], kTable[(v >> 12U) & 63U], kTable[(v >> 6U) & 63U],
            kTable[v & 63U]};
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16U;
    out += {kTable[(v >> 18U) & 63U], kTable[(v >> 12U) & 63U], '=', '='};
  } else if (i + 2 == in.size()) {
    const unsigned v =
        (static_cast<unsigned char>(in[i]) << 16U) | (static_cast<unsigned char>(in[i + 1]) << 8U);
    out += {kTable[(v >> 18U) & 63U], kTable[(v >> 12U) & 63U], kTable[(v >> 6U) & 63U], '='};
  }
  return out;
}

std::string clean_header_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c != '\r' && c != '\n') out.push_back(c);
  }
  return out;
}

bool is_ipv6(std::string_view host) {
  return host.find(':') != std::string_view::npos;
}

}  // namespace

std::string Origin::authority() const {
  return (is_ipv6(host) ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string Origin::key() const {
  return (tls ? "https://" : "http://") + authority();
}

std::string Origin::host_header() const {
  const bool default_port = (tls && port == 443) || (!tls && port == 80);
  if (!default_port) return authority();
  return is_ipv6(host) ? "[" + host + "]" : host;
}

bool Origin::host_is_ip() const {
  boost::system::error_code ec;
  (void)asio::ip::make_address(host, ec);
  return !ec;
}

std::optional<Target> parse_url(std::string_view url, std::string& error) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) {
    error = "invalid URL";
    return std::nullopt;
  }
  const boost::urls::url_view u = *parsed;
  Target t;
  const std::string scheme = lower(u.scheme());
  if (scheme != "http" && scheme != "https") {
    error = "unsupported URL scheme '" + scheme + "'";
    return std::nullopt;
  }
  t.origin.tls = scheme == "https";
  if (u.host_type() == boost::urls::host_type::ipv6) {
    t.origin.host = u.host_ipv6_address().to_string();
  } else {
    t.origin.host = u.host();
  }
  if (t.origin.host.empty()) {
    error = "URL has no host";
    return std::nullopt;
  }
  t.origin.port = u.has_port() ? u.port_number() : (t.origin.tls ? 443 : 80);
  t.path = u.encoded_path().empty() ? "/" : std::string(u.encoded_path());
  if (u.has_query()) {
    // Appended in two steps: GCC 12 at -O3 reports a false -Wrestrict for "?" + string.
    t.path += '?';
    t.path += std::string_view(u.encoded_query());
  }
  return t;
}

bool no_proxy_matches(std::string_view host_in, std::string_view no_proxy) {
  const std::string host = lower(host_in);
  std::size_t pos = 0;
  while (pos <= no_proxy.size()) {
    std::size_t end = no_proxy.find(',', pos);
    if (end == std::string_view::npos) end = no_proxy.size();
    std::string entry = lower(no_proxy.substr(pos, end - pos));
    entry.erase(std::remove_if(entry.begin(), entry.end(),
                               [](unsigned char c) { return std::isspace(c) != 0; }),
                entry.end());
    if (const auto colon = entry.rfind(':');
        colon != std::string::npos && !is_ipv6(entry.substr(0, colon))) {
      entry.resize(colon);  // "host:port" entries match the host
    }
    if (entry == "*") return true;
    if (!entry.empty()) {
      if (entry.front() == '.') entry.erase(0, 1);
      if (host == entry) return true;
      if (host.size() > entry.size() && host.ends_with(entry) &&
          host[host.size() - entry.size() - 1] == '.') {
        return true;
      }
    }
    pos = end + 1;
  }
  return false;
}

std::optional<Proxy> proxy_for(const Origin& origin, const HttpClientConfig& config) {
  const std::string& url = origin.tls ? config.https_proxy : config.http_proxy;
  if (url.empty() || no_proxy_matches(origin.host, config.no_proxy)) return std::nullopt;
  std::string full = url.find("://") == std::string::npos ? "http://" + url : url;
  auto parsed = boost::urls::parse_uri(full);
  if (!parsed) return std::nullopt;
  std::string error;
  auto target = parse_url(full, error);
  if (!target || target->origin.tls) return std::nullopt;  // only plain-HTTP proxies
  Proxy p;
  p.origin = target->origin;
  if (parsed->has_userinfo()) p.authorization = "Basic " + base64(std::string(parsed->userinfo()));
  return p;
}

std::string serialize_request(const HttpRequest& request, const Target& target) {
  std::string out;
  out.reserve(256 + request.body.size());
  out += request.method + " " + target.path + " HTTP/1.1\r\n";
  out += "Host: " + target.origin.host_header() + "\r\n";
  bool has_ua = false;
  for (const auto& h : request.headers) {
    if (lower(h.name) == "user-agent") has_ua = true;
    out += clean_header_value(h.name) + ": " + clean_header_value(h.value) + "\r\n";
  }
  if (!has_ua) out += "User-Agent: chatstream/0.1\r\n";
  if (!request.body.empty() || request.method == "POST") {
    out += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
  }
  out += "\r\n";
  out += request.body;
  return out;
}

}  // namespace chatstream::providers::http_detail
