// /api/auth: state, first-admin setup, login, logout, password change, usage.
#include <spdlog/spdlog.h>

#include "api/auth/handlers.hpp"
#include "api/json.hpp"
#include "auth/secrets.hpp"
#include "http/error.hpp"

namespace chatstream::api::accounts {
namespace json = boost::json;

namespace {

auth::Accounts& accounts(ApiContext* ctx) {
  return *ctx->accounts;
}

http::Response with_cookie(http::Response r, std::string cookie) {
  r.set_header("Set-Cookie", std::move(cookie));
  return r;
}

}  // namespace

Reply auth_state(ApiContext* ctx, http::Request req) {
  auto& acc = accounts(ctx);
  json::object out;
  out["mode"] = auth::to_string(acc.mode());
  if (!acc.multi_user()) {
    out["user"] = user_json(local_user(), acc.settings().limits);
    out["setup_required"] = false;
    co_return json_response(200, out);
  }
  out["user"] = nullptr;
  if (!req.user_id.empty()) {
    auto u = co_await acc.store().get_user(req.user_id);
    if (u) out["user"] = user_json(*u, acc.settings().limits);
  }
  const auto users = co_await acc.store().count_users();
  out["setup_required"] = users == 0;
  co_return json_response(200, out);
}

Reply setup(ApiContext* ctx, http::Request req) {
  auto& acc = accounts(ctx);
  if (!acc.multi_user()) co_return not_multi_user();
  auto parsed = parse_object_body(req);
  if (auto* err = std::get_if<http::Response>(&parsed)) co_return std::move(*err);
  const auto& body = std::get<json::object>(parsed);
  std::string token, username, password;
  if (auto e = required_string(body, "token", token, 200)) co_return *e;
  if (auto e = required_string(body, "username", username, 200)) co_return *e;
  if (auto e = required_string(body, "password", password, 4096)) co_return *e;
  if (auto e = check_username(username)) co_return *e;
  if (auto e = check_password(password)) co_return *e;
  const auto users = co_await acc.store().count_users();
  if (users > 0) {
    co_return http::json_error(409, "setup_done", "The first administrator already exists.");
  }
  if (!acc.consume_setup_token(token)) {
    acc.audit("setup_refused", "client=" + acc.client_address(req));
    co_return http::json_error(403, "invalid_setup_token",
                               "The setup token is wrong or was already used. It is printed in "
                               "the server log at start.");
  }
  store::NewUser nu;
  nu.username = username;
  nu.role = store::UserRole::admin;
  nu.password_hash = co_await acc.hash_password(std::move(password));
  auto created = co_await acc.store().create_user(std::move(nu));
  if (!created) {
    acc.restore_setup_token();
    co_return http::json_error(409, "username_taken", "This username is taken.");
  }
  acc.audit("user_created", fmt::format("user_id={} username={:?} role=admin by=setup client={}",
                                        created->id, created->username, acc.client_address(req)));
  auto secret = co_await acc.start_session(*created, req);
  co_return with_cookie(json_response(201, user_json(*created, acc.settings().limits)),
                        acc.session_cookie(secret));
}

Reply login(ApiContext* ctx, http::Request req) {
  auto& acc = accounts(ctx);
  if (!acc.multi_user()) co_return not_multi_user();
  auto parsed = parse_object_body(req);
  if (auto* err = std::get_if<http::Response>(&parsed)) co_return std::move(*err);
  const auto& body = std::get<json::object>(parsed);
  std::string username, password;
  if (auto e = required_string(body, "username", username, 200)) co_return *e;
  if (auto e = required_string(body, "password", password, 4096)) co_return *e;
  auto result =
      co_await acc.login(std::move(username), std::move(password), acc.client_address(req));
  if (auto* refused = std::get_if<auth::Refusal>(&result)) co_return auth::to_response(*refused);
  const auto& user = std::get<store::User>(result);
  auto secret = co_await acc.start_session(user, req);
  co_return with_cookie(
      json_response(200, json::object{{"user", user_json(user, acc.settings().limits)}}),
      acc.session_cookie(secret));
}

Reply logout(ApiContext* ctx, http::Request req) {
  auto& acc = accounts(ctx);
  if (!acc.multi_user()) co_return not_multi_user();
  if (auto secret = auth::Accounts::session_secret(req)) {
    co_await acc.store().delete_session(auth::secret_hash(*secret));
  }
  acc.audit("logout", "user_id=" + req.user_id);
  http::Response r;
  r.status = 204;
  r.set_header("Cache-Control", "no-store");
  co_return with_cookie(std::move(r), acc.clearing_cookie());
}

Reply logout_others(ApiContext* ctx, http::Request req) {
  auto& acc = accounts(ctx);
  if (!acc.multi_user()) co_return not_multi_user();
  std::optional<std::string> keep;
  if (auto secret = auth::Accounts::session_secret(req)) keep = auth::secret_hash(*secret);
  auto ended = co_await acc.store().delete_user_sessions(req.user_id, std::move(keep));
  acc.audit("logout_others", fmt::format("user_id={} ended={}", req.user_id, ended));
  co_return json_response(200, json::object{{"ended", ended}});
}

Reply change_password(ApiContext* ctx, http::Request req) {
  auto& acc = accounts(ctx);
  if (!acc.multi_user()) co_return not_multi_user();
  auto parsed = parse_object_body(req);
  if (auto* err = std::get_if<http::Response>(&parsed)) co_return std::move(*err);
  const auto& body = std::get<json::object>(parsed);
  std::string current, next;
  if (auto e = required_string(body, "current_password", current, 4096)) co_return *e;
  if (auto e = required_string(body, "new_password", next, 4096)) co_return *e;
  if (auto e = check_password(next)) co_return *e;
  auto user = co_await acc.store().get_user(req.user_id);
  if (!user) co_return http::json_error(401, "unauthenticated", "Please log in.");
  const bool current_ok = co_await acc.verify_password(user->password_hash, std::move(current));
  if (!current_ok) {
    acc.audit("password_change_failed", "user_id=" + user->id);
    co_return http::json_error(403, "wrong_password", "The current password is wrong.");
  }
  store::UserPatch patch;
  patch.password_hash = co_await acc.hash_password(std::move(next));
  co_await acc.store().update_user(user->id, std::move(patch));
  std::optional<std::string> keep;
  if (auto secret = auth::Accounts::session_secret(req)) keep = auth::secret_hash(*secret);
  auto ended = co_await acc.store().delete_user_sessions(user->id, std::move(keep));
  acc.audit("password_changed",
            fmt::format("user_id={} by=self sessions_ended={}", user->id, ended));
  http::Response r;
  r.status = 204;
  co_return r;
}

Reply usage(ApiContext* ctx, http::Request req) {
  auto& acc = accounts(ctx);
  if (!acc.multi_user()) co_return not_multi_user();
  auto user = co_await acc.store().get_user(req.user_id);
  if (!user) co_return http::json_error(401, "unauthenticated", "Please log in.");
  const auto day = auth::utc_day(acc.now_ms());
  auto today = co_await acc.store().get_usage(user->id, day);
  json::object out;
  out["today"] = json::object{{"day", day}, {"tokens", today.tokens}, {"requests", today.requests}};
  out["limits"] = limits_json(acc.limits_of(*user));
  co_return json_response(200, out);
}

}  // namespace chatstream::api::accounts
