// Shapes and checks shared by the accounts handlers.
#include "api/auth/handlers.hpp"
#include "api/json.hpp"
#include "http/error.hpp"
#include "util/time.hpp"

namespace chatstream::api::accounts {
namespace json = boost::json;

namespace {
json::value opt(const std::optional<std::int64_t>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}
}  // namespace

json::object limits_json(const auth::Limits& limits) {
  return json::object{{"max_concurrent", limits.max_concurrent},
                      {"requests_per_minute", limits.requests_per_minute},
                      {"tokens_per_day", limits.tokens_per_day}};
}

json::object user_json(const store::User& user, const auth::Limits& defaults) {
  json::object o;
  o["id"] = user.id;
  o["username"] = user.username;
  o["role"] = store::to_string(user.role);
  o["disabled"] = user.disabled;
  o["created_at"] = util::format_rfc3339_ms(user.created_at_ms);
  o["limits"] = json::object{{"max_concurrent", opt(user.limits.max_concurrent)},
                             {"requests_per_minute", opt(user.limits.requests_per_minute)},
                             {"tokens_per_day", opt(user.limits.tokens_per_day)}};
  o["effective_limits"] = limits_json(auth::effective_limits(user.limits, defaults));
  return o;
}

store::User local_user() {
  store::User u;
  u.id = std::string(auth::local_user_id);
  u.username = std::string(auth::local_user_id);
  u.role = store::UserRole::admin;
  return u;
}

http::Response not_multi_user() {
  return http::json_error(409, "not_multi_user",
                          "Accounts are off: the server runs in single-user mode.");
}

std::optional<http::Response> check_username(const std::string& username) {
  const bool ok = !username.empty() && username.size() <= 64 &&
                  username.find_first_not_of(
                      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                      "0123456789._@-") == std::string::npos;
  if (ok) return std::nullopt;
  return http::json_error(422, "invalid_username",
                          "A username is 1 to 64 letters, digits, '.', '_', '@' or '-'.");
}

std::optional<http::Response> check_password(const std::string& password) {
  if (auth::acceptable_password(password)) return std::nullopt;
  return http::json_error(422, "weak_password",
                          "A password needs at least 8 characters (and at most 1024 bytes).");
}

std::optional<http::Response> required_string(const json::object& body, std::string_view field,
                                              std::string& out, std::size_t max_bytes) {
  std::optional<std::string> value;
  if (auto e = optional_string(body, field, value, max_bytes)) return e;
  if (!value) {
    return http::json_error(422, "missing_field", std::string(field) + " is required.");
  }
  out = std::move(*value);
  return std::nullopt;
}

}  // namespace chatstream::api::accounts
