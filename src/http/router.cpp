#include "http/router.hpp"

#include <stdexcept>

namespace chatstream::http {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (true) {
    auto slash = path.find('/');
    parts.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

bool is_param(std::string_view seg) {
  return seg.size() >= 3 && seg.front() == '{' && seg.back() == '}';
}

bool is_rest_param(std::string_view seg) {
  return is_param(seg) && seg.size() > 5 && seg.substr(seg.size() - 4) == "...}";
}

}  // namespace

boost::asio::awaitable<Response> ready(Response response) {
  co_return response;
}

void Router::add(std::string method, std::string pattern, Handler handler, RouteOptions options) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument("route pattern must start with '/': " + pattern);
  }
  Route route;
  for (auto seg : split_path(pattern)) route.segments.emplace_back(seg);
  for (std::size_t i = 0; i + 1 < route.segments.size(); ++i) {
    if (is_rest_param(route.segments[i])) {
      throw std::invalid_argument("'{name...}' must be the last segment: " + pattern);
    }
  }
  if (options.name.empty()) options.name = pattern;
  route.method = std::move(method);
  route.pattern = std::move(pattern);
  route.handler = std::move(handler);
  route.options = std::move(options);
  routes_.push_back(std::move(route));
}

bool Router::match_segments(const Route& route, const std::vector<std::string_view>& parts,
                            std::vector<std::pair<std::string, std::string>>& params) {
  params.clear();
  const auto& segs = route.segments;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    const std::string& seg = segs[i];
    if (is_rest_param(seg)) {
      std::string rest;
      for (std::size_t j = i; j < parts.size(); ++j) {
        if (j > i) rest.push_back('/');
        rest.append(parts[j]);
      }
      params.emplace_back(seg.substr(1, seg.size() - 5), std::move(rest));
      return true;
    }
    if (i >= parts.size()) return false;
    if (is_param(seg)) {
      if (parts[i].empty()) return false;
      params.emplace_back(seg.substr(1, seg.size() - 2), std::string(parts[i]));
    } else if (seg != parts[i]) {
      return false;
    }
  }
  return segs.size() == parts.size();
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  Match result;
  const auto parts = split_path(path);
  std::vector<std::pair<std::string, std::string>> params;
  std::string_view effective = method == "HEAD" ? std::string_view("GET") : method;
  for (const auto& route : routes_) {
    if (!match_segments(route, parts, params)) continue;
    if (route.method == effective) {
      result.kind = Match::Kind::found;
      result.handler = &route.handler;
      result.options = &route.options;
      result.route_name = route.options.name;
      result.params = std::move(params);
      return result;
    }
    if (result.allow.find(route.method) == std::string::npos) {
      if (!result.allow.empty()) result.allow += ", ";
      result.allow += route.method;
    }
    result.kind = Match::Kind::method_not_allowed;
    result.route_name = route.options.name;
  }
  return result;
}

}  // namespace chatstream::http
