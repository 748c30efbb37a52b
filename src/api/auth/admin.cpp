// /api/admin: users (create, change role, disable, reset password, limits) and usage.
#include <spdlog/spdlog.h>
#include <boost/json/array.hpp>

#include <map>

#include "api/auth/handlers.hpp"
#include "api/json.hpp"
#include "http/error.hpp"
#include "util/id.hpp"

namespace chatstream::api::accounts {
namespace json = boost::json;

namespace {

// One limit override: null (the default applies) or a non-negative integer (0 = unlimited).
std::optional<http::Response> limit_field(const json::object& limits, std::string_view key,
                                          std::optional<std::int64_t>& out) {
  auto it = limits.find(key);
  if (it == limits.end() || it->value().is_null()) return std::nullopt;
  const auto& v = it->value();
  if (v.is_int64() && v.as_int64() >= 0) {
    out = v.as_int64();
  } else if (v.is_uint64() && v.as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    out = static_cast<std::int64_t>(v.as_uint64());
  } else {
    return http::json_error(422, "invalid_field",
                            "limits." + std::string(key) + " must be null or a number >= 0.");
  }
  return std::nullopt;
}

std::optional<http::Response> parse_limits(const json::value& v, store::UserLimits& out) {
  if (!v.is_object()) {
    return http::json_error(422, "invalid_field", "limits must be an object.");
  }
  const auto& o = v.as_object();
  if (auto e = limit_field(o, "max_concurrent", out.max_concurrent)) return e;
  if (auto e = limit_field(o, "requests_per_minute", out.requests_per_minute)) return e;
  if (auto e = limit_field(o, "tokens_per_day", out.tokens_per_day)) return e;
  return std::nullopt;
}

std::optional<http::Response> parse_role(const json::object& body,
                                         std::optional<store::UserRole>& out) {
  auto it = body.find("role");
  if (it == body.end() || it->value().is_null()) return std::nullopt;
  if (it->value().is_string()) {
    if (auto r = store::user_role_from_string(it->value().as_string())) {
      out = r;
      return std::nullopt;
    }
  }
  return http::json_error(422, "invalid_field", "role must be \"admin\" or \"user\".");
}

// Reads the PATCH body into `patch`; `password` gets the new clear password if any.
std::optional<http::Response> parse_patch(const json::object& body, store::UserPatch& patch,
                                          std::optional<std::string>& password) {
  if (auto e = parse_role(body, patch.role)) return e;
  if (auto it = body.find("disabled"); it != body.end() && !it->value().is_null()) {
    if (!it->value().is_bool()) {
      return http::json_error(422, "invalid_field", "disabled must be true or false.");
    }
    patch.disabled = it->value().as_bool();
  }
  if (auto e = optional_string(body, "password", password, 4096)) return e;
  if (password) {
    if (auto e = check_password(*password)) return e;
  }
  if (auto it = body.find("limits"); it != body.end() && !it->value().is_null()) {
    store::UserLimits limits;
    if (auto e = parse_limits(it->value(), limits)) return e;
    patch.limits = limits;
  }
  return std::nullopt;
}

}  // namespace

Reply admin_list_users(ApiContext* ctx, [[maybe_unused]] http::Request req) {
  auto& acc = *ctx->accounts;
  if (!acc.multi_user()) co_return not_multi_user();
  const auto day = auth::utc_day(acc.now_ms());
  std::map<std::string, store::UsageDay> today;
  for (auto& u : co_await acc.store().list_usage(day, day)) today[u.user_id] = u;
  json::array users;
  for (const auto& u : co_await acc.store().list_users()) {
    auto o = user_json(u, acc.settings().limits);
    const auto it = today.find(u.id);
    o["usage_today"] = json::object{{"tokens", it == today.end() ? 0 : it->second.tokens},
                                    {"requests", it == today.end() ? 0 : it->second.requests}};
    users.push_back(std::move(o));
  }
  co_return json_response(200, json::object{{"users", std::move(users)}});
}

Reply admin_create_user(ApiContext* ctx, http::Request req) {
  auto& acc = *ctx->accounts;
  if (!acc.multi_user()) co_return not_multi_user();
  auto parsed = parse_object_body(req);
  if (auto* err = std::get_if<http::Response>(&parsed)) co_return std::move(*err);
  const auto& body = std::get<json::object>(parsed);
  std::string username, password;
  std::optional<store::UserRole> role;
  if (auto e = required_string(body, "username", username, 200)) co_return *e;
  if (auto e = required_string(body, "password", password, 4096)) co_return *e;
  if (auto e = parse_role(body, role)) co_return *e;
  if (auto e = check_username(username)) co_return *e;
  if (auto e = check_password(password)) co_return *e;
  store::NewUser nu;
  nu.username = std::move(username);
  nu.role = role.value_or(store::UserRole::user);
  nu.password_hash = co_await acc.hash_password(std::move(password));
  auto created = co_await acc.store().create_user(std::move(nu));
  if (!created) co_return http::json_error(409, "username_taken", "This username is taken.");
  acc.audit("user_created",
            fmt::format("user_id={} username={:?} role={} by={}", created->id, created->username,
                        store::to_string(created->role), req.user_id));
  co_return json_response(201, user_json(*created, acc.settings().limits));
}

Reply admin_update_user(ApiContext* ctx, http::Request req) {
  auto& acc = *ctx->accounts;
  if (!acc.multi_user()) co_return not_multi_user();
  std::string uid(req.param("uid"));
  auto parsed = parse_object_body(req);
  if (auto* err = std::get_if<http::Response>(&parsed)) co_return std::move(*err);
  store::UserPatch patch;
  std::optional<std::string> password;
  if (auto e = parse_patch(std::get<json::object>(parsed), patch, password)) co_return *e;
  if (uid == req.user_id && ((patch.disabled && *patch.disabled) ||
                             (patch.role && *patch.role != store::UserRole::admin))) {
    co_return http::json_error(422, "cannot_change_self",
                               "You cannot disable or demote your own account.");
  }
  auto existing = co_await acc.store().get_user(uid);
  if (!existing) co_return not_found("User");
  if (password) patch.password_hash = co_await acc.hash_password(std::move(*password));
  const bool ends_sessions = (patch.disabled && *patch.disabled) || patch.password_hash.has_value();
  std::string fields;
  if (patch.role) fields += "role=" + std::string(store::to_string(*patch.role)) + " ";
  if (patch.disabled) fields += *patch.disabled ? "disabled=true " : "disabled=false ";
  if (patch.password_hash) fields += "password=reset ";
  if (patch.limits) fields += "limits=changed ";
  auto updated = co_await acc.store().update_user(uid, std::move(patch));
  if (!updated) co_return not_found("User");
  std::int64_t ended = 0;
  if (ends_sessions) ended = co_await acc.store().delete_user_sessions(uid, std::nullopt);
  acc.audit(updated->disabled && fields.find("disabled=true") != std::string::npos ? "user_disabled"
                                                                                   : "user_changed",
            fmt::format("user_id={} username={:?} {}sessions_ended={} by={}", updated->id,
                        updated->username, fields, ended, req.user_id));
  co_return json_response(200, user_json(*updated, acc.settings().limits));
}

Reply admin_usage(ApiContext* ctx, http::Request req) {
  auto& acc = *ctx->accounts;
  if (!acc.multi_user()) co_return not_multi_user();
  std::int64_t days = 7;
  if (auto d = req.query_param("days")) {
    try {
      days = std::stoll(*d);
    } catch (const std::exception&) {
      days = -1;
    }
    if (days < 1 || days > 366) {
      co_return http::json_error(422, "invalid_field", "days must be between 1 and 366.");
    }
  }
  const auto now = acc.now_ms();
  const auto to = auth::utc_day(now);
  const auto from = auth::utc_day(now - (days - 1) * 86'400'000);
  std::map<std::string, std::string> names;
  for (const auto& u : co_await acc.store().list_users()) names[u.id] = u.username;
  json::array out;
  for (const auto& row : co_await acc.store().list_usage(from, to)) {
    out.push_back(json::object{{"day", row.day},
                               {"user_id", row.user_id},
                               {"username", names[row.user_id]},
                               {"tokens", row.tokens},
                               {"requests", row.requests}});
  }
  co_return json_response(200, json::object{{"days", std::move(out)}});
}

}  // namespace chatstream::api::accounts
