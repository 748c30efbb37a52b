#include "http/dispatch.hpp"

#include <spdlog/spdlog.h>

#include <exception>

#include "http/error.hpp"
#include "http/security.hpp"
#include "http/static_files.hpp"

namespace chatstream::http {
namespace asio = boost::asio;

namespace {

bool is_json_content_type(std::string_view ct) {
  auto semi = ct.find(';');
  std::string_view base = ct.substr(0, semi);
  while (!base.empty() && base.back() == ' ') base.remove_suffix(1);
  if (base.size() != 16) return false;
  static constexpr std::string_view kJson = "application/json";
  for (std::size_t i = 0; i < base.size(); ++i) {
    char c = base[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kJson[i]) return false;
  }
  return true;
}

}  // namespace

asio::awaitable<Dispatched> dispatch(std::shared_ptr<Server::Impl> server, Request req) {
  Dispatched d;
  if (req.path.empty() || req.path.front() != '/') {
    d.route_name = "(invalid)";
    d.response = json_error(400, "bad_path", "The request target is not a valid path.");
    co_return d;
  }
  if (auto refused = check_request(req, server->config.security)) {
    d.route_name = "(refused)";
    d.response = std::move(*refused);
    co_return d;
  }
  auto match = server->router.match(req.method, req.path);
  d.route_name = std::string(match.route_name);
  switch (match.kind) {
    case Router::Match::Kind::not_found:
      d.route_name = "(static)";
      if ((req.method == "GET" || req.method == "HEAD") && server->static_files) {
        if (auto file = server->static_files->serve(req)) {
          d.response = std::move(*file);
          co_return d;
        }
      }
      d.route_name = "(unmatched)";
      d.response = json_error(404, "not_found", "No route for " + req.method + " " + req.path);
      co_return d;
    case Router::Match::Kind::method_not_allowed:
      d.response =
          json_error(405, "method_not_allowed", "Method " + req.method + " is not allowed here.");
      d.response.set_header("Allow", match.allow);
      co_return d;
    case Router::Match::Kind::found:
      break;
  }
  if (match.options->json_body && !req.body.empty() &&
      !is_json_content_type(req.header("content-type"))) {
    d.response =
        json_error(415, "unsupported_media_type", "The request body must be application/json.");
    co_return d;
  }
  req.params = std::move(match.params);
  const std::string request_id = req.request_id;
  try {
    if (const auto& guard = server->router.guard()) {
      if (auto refused = co_await guard(req, *match.options)) {
        d.response = std::move(*refused);
        co_return d;
      }
    }
    d.response = co_await (*match.handler)(std::move(req));
  } catch (const std::exception& e) {
    server->logger->error("handler {} failed: {} rid={}", d.route_name, e.what(), request_id);
    d.response = json_error(500, "internal_error", "Internal server error.");
  }
  co_return d;
}

}  // namespace chatstream::http
