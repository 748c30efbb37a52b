// The router guard: who is asking (session cookie, or a Bearer API token on /v1) and whether
// the route lets them in.
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "auth/secrets.hpp"
#include "auth/service.hpp"
#include "http/error.hpp"

namespace chatstream::auth {
namespace asio = boost::asio;

namespace {

bool is_v1(std::string_view path) {
  return path == "/v1" || path.starts_with("/v1/");
}

std::string_view bearer(const http::Request& req) {
  std::string_view value = req.header("authorization");
  static constexpr std::string_view scheme = "bearer ";
  if (value.size() <= scheme.size()) return {};
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    char c = value[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != scheme[i]) return {};
  }
  value.remove_prefix(scheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return value;
}

http::Response unauthenticated(bool v1) {
  if (v1) {
    http::Response r;
    r.status = 401;
    r.body =
        R"({"error":{"message":"Missing or invalid API token. Send a personal token as 'Authorization: Bearer cs_...'.","type":"authentication_error","param":null,"code":"invalid_api_key"}})";
    return r;
  }
  auto r = http::json_error(401, "unauthenticated", "Please log in.");
  r.set_header("Cache-Control", "no-store");
  return r;
}

asio::awaitable<void> end_session(store::AccountStore* store, std::string hash) {
  try {
    co_await store->delete_session(std::move(hash));
  } catch (const std::exception&) {
    // Expired sessions are also removed by the periodic sweep.
  }
}

}  // namespace

asio::awaitable<std::optional<Accounts::Identity>> Accounts::from_session(std::string secret) {
  auto hash = secret_hash(secret);
  auto session = co_await store_->get_session(hash);
  if (!session) co_return std::nullopt;
  const auto now = clock_();
  if (now >= session->expires_at_ms ||
      now - session->last_seen_ms >= settings_.session_idle.count()) {
    asio::co_spawn(executor_, end_session(store_, hash), asio::detached);
    co_return std::nullopt;
  }
  auto user = co_await store_->get_user(session->user_id);
  if (!user || user->disabled) co_return std::nullopt;
  if (now - session->last_seen_ms >= settings_.touch_interval.count()) {
    store_->touch_session(hash, now);
  }
  co_return Identity{user->id, user->role};
}

asio::awaitable<std::optional<Accounts::Identity>> Accounts::from_api_token(std::string token) {
  if (!looks_like_api_token(token)) co_return std::nullopt;
  auto found = co_await store_->find_api_token(secret_hash(token));
  if (!found) co_return std::nullopt;
  auto user = co_await store_->get_user(found->user_id);
  if (!user || user->disabled) co_return std::nullopt;
  const auto now = clock_();
  if (!found->last_used_at_ms ||
      now - *found->last_used_at_ms >= settings_.touch_interval.count()) {
    store_->touch_api_token(found->id, now);
  }
  co_return Identity{user->id, user->role};
}

asio::awaitable<std::optional<http::Response>> Accounts::guard(http::Request* req,
                                                               http::Access access) {
  if (!multi_user()) {
    req->user_id = std::string(local_user_id);
    req->user_role = "admin";
    co_return std::nullopt;
  }
  req->user_id.clear();
  req->user_role.clear();
  const bool v1 = is_v1(req->path);
  std::optional<Identity> who;
  if (v1) {
    if (auto token = bearer(*req); !token.empty())
      who = co_await from_api_token(std::string(token));
  } else if (auto secret = session_secret(*req)) {
    who = co_await from_session(std::move(*secret));
  }
  if (who) {
    req->user_id = who->user_id;
    req->user_role = std::string(store::to_string(who->role));
  }
  if (access == http::Access::anyone) co_return std::nullopt;
  if (!who) co_return unauthenticated(v1);
  if (access == http::Access::admin && who->role != store::UserRole::admin) {
    co_return http::json_error(403, "forbidden", "This needs an administrator.");
  }
  co_return std::nullopt;
}

}  // namespace chatstream::auth
