#include <charconv>

#include "redis/client.hpp"

namespace chatstream::redis {

namespace {

bool parse_int(std::string_view s, int& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::optional<Config> parse_url(std::string_view url) {
  constexpr std::string_view scheme = "redis://";
  if (url.substr(0, scheme.size()) != scheme) return std::nullopt;
  url.remove_prefix(scheme.size());
  Config c;
  if (auto slash = url.find('/'); slash != std::string_view::npos) {
    auto db = url.substr(slash + 1);
    if (!db.empty() && !parse_int(db, c.db)) return std::nullopt;
    url = url.substr(0, slash);
  }
  if (auto at = url.rfind('@'); at != std::string_view::npos) {
    auto userinfo = url.substr(0, at);
    auto colon = userinfo.find(':');
    c.password =
        std::string(colon == std::string_view::npos ? userinfo : userinfo.substr(colon + 1));
    url = url.substr(at + 1);
  }
  auto colon = url.rfind(':');
  if (colon != std::string_view::npos) {
    int port = 0;
    if (!parse_int(url.substr(colon + 1), port) || port <= 0 || port > 65535) return std::nullopt;
    c.port = static_cast<std::uint16_t>(port);
    url = url.substr(0, colon);
  }
  if (url.empty()) return std::nullopt;
  c.host = std::string(url);
  return c;
}

std::string redacted(const Config& c) {
  return "redis://" + std::string(c.password.empty() ? "" : "***@") + c.host + ":" +
         std::to_string(c.port) + "/" + std::to_string(c.db);
}

}  // namespace chatstream::redis
