// /api/auth/tokens: personal API tokens for /v1 (the secret is shown once, stored hashed).
#include <spdlog/spdlog.h>
#include <boost/json/array.hpp>

#include "api/auth/handlers.hpp"
#include "api/json.hpp"
#include "auth/secrets.hpp"
#include "http/error.hpp"
#include "util/id.hpp"
#include "util/time.hpp"

namespace chatstream::api::accounts {
namespace json = boost::json;

namespace {

json::object token_json(const store::ApiToken& t) {
  json::object o;
  o["id"] = t.id;
  o["name"] = t.name;
  o["prefix"] = t.prefix;
  o["created_at"] = util::format_rfc3339_ms(t.created_at_ms);
  o["last_used_at"] =
      t.last_used_at_ms ? json::value(util::format_rfc3339_ms(*t.last_used_at_ms)) : nullptr;
  return o;
}

}  // namespace

Reply list_tokens(ApiContext* ctx, http::Request req) {
  auto& acc = *ctx->accounts;
  if (!acc.multi_user()) co_return not_multi_user();
  json::array tokens;
  for (const auto& t : co_await acc.store().list_api_tokens(req.user_id)) {
    tokens.push_back(token_json(t));
  }
  co_return json_response(200, json::object{{"tokens", std::move(tokens)}});
}

Reply create_token(ApiContext* ctx, http::Request req) {
  auto& acc = *ctx->accounts;
  if (!acc.multi_user()) co_return not_multi_user();
  auto parsed = parse_object_body(req);
  if (auto* err = std::get_if<http::Response>(&parsed)) co_return std::move(*err);
  std::string name;
  if (auto e = required_string(std::get<json::object>(parsed), "name", name, 100)) co_return *e;
  if (name.find_first_not_of(" \t") == std::string::npos) {
    co_return http::json_error(422, "missing_field", "name must not be empty.");
  }
  const auto secret = auth::new_api_token();
  store::ApiToken t;
  t.user_id = req.user_id;
  t.name = std::move(name);
  t.prefix = auth::token_prefix(secret);
  t.token_hash = auth::secret_hash(secret);
  t.created_at_ms = acc.now_ms();
  auto stored = co_await acc.store().create_api_token(std::move(t));
  acc.audit("token_created", fmt::format("user_id={} token_id={} prefix={}", stored.user_id,
                                         stored.id, stored.prefix));
  auto out = token_json(stored);
  out["token"] = secret;
  co_return json_response(201, out);
}

Reply delete_token(ApiContext* ctx, http::Request req) {
  auto& acc = *ctx->accounts;
  if (!acc.multi_user()) co_return not_multi_user();
  std::string id(req.param("tid"));
  if (!util::is_valid_id(id)) co_return not_found("Token");
  const bool deleted = co_await acc.store().delete_api_token(req.user_id, id);
  if (!deleted) co_return not_found("Token");
  acc.audit("token_revoked", fmt::format("user_id={} token_id={}", req.user_id, id));
  http::Response r;
  r.status = 204;
  co_return r;
}

}  // namespace chatstream::api::accounts
