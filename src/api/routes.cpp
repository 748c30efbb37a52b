#include "api/routes.hpp"

#include <boost/json/array.hpp>

#include "api/auth/handlers.hpp"
#include "api/handlers.hpp"
#include "api/json.hpp"
#include "generation/hub.hpp"
#include "http/error.hpp"
#include "providers/registry.hpp"
#include "store/store.hpp"

namespace chatstream::api {
namespace json = boost::json;

Reply list_models(ApiContext* ctx, [[maybe_unused]] http::Request req) {
  json::array models;
  for (const auto& m : ctx->registry.models()) {
    models.push_back(json::object{{"id", m.id},
                                  {"name", m.display_name.empty() ? m.id : m.display_name},
                                  {"provider", m.provider},
                                  {"simulated", m.simulated}});
  }
  json::object out;
  out["models"] = std::move(models);
  out["default"] = ctx->registry.default_model();
  co_return json_response(200, out);
}

Reply readiness(ApiContext* ctx, [[maybe_unused]] http::Request req) {
  // Awaited outside the `if`: GCC 12 miscompiles a co_await in an if condition here (the
  // frame's copy of `ctx` is read from the wrong place).
  const bool database = co_await ctx->store.ping();
  const bool redis = ctx->hub.ready();  // always true for a single instance (no Redis)
  json::object body{{"status", database && redis ? "ready" : "unavailable"},
                    {"database", database},
                    {"redis", redis}};
  auto response = json_response(database && redis ? 200 : 503, std::move(body));
  response.set_header("Cache-Control", "no-store");
  co_return response;
}

void add_routes(http::Router& router, ApiContext& ctx) {
  using Fn = Reply (*)(ApiContext*, http::Request);
  ApiContext* c = &ctx;
  auto bind = [c](Fn fn) { return [c, fn](http::Request req) { return fn(c, std::move(req)); }; };
  const http::RouteOptions json_body{.json_body = true, .name = {}};
  const http::RouteOptions open{.json_body = false, .name = {}, .access = http::Access::anyone};
  router.add("GET", "/readyz", bind(readiness), open);
  router.add("GET", "/api/models", bind(list_models));
  router.add("GET", "/api/conversations", bind(list_conversations));
  router.add("POST", "/api/conversations", bind(create_conversation), json_body);
  router.add("GET", "/api/conversations/{cid}", bind(get_conversation));
  router.add("PATCH", "/api/conversations/{cid}", bind(update_conversation), json_body);
  router.add("DELETE", "/api/conversations/{cid}", bind(delete_conversation));
  router.add("GET", "/api/conversations/{cid}/export", bind(export_conversation));
  router.add("POST", "/api/conversations/{cid}/messages", bind(post_message), json_body);
  router.add("POST", "/api/messages/{mid}/regenerate", bind(regenerate_message), json_body);
  router.add("POST", "/api/messages/{mid}/cancel", bind(cancel_message), json_body);
  router.add("GET", "/api/messages/{mid}/events", bind(message_events));
  add_account_routes(router, ctx);
}

void add_account_routes(http::Router& router, ApiContext& ctx) {
  using Fn = Reply (*)(ApiContext*, http::Request);
  ApiContext* c = &ctx;
  auto bind = [c](Fn fn) { return [c, fn](http::Request req) { return fn(c, std::move(req)); }; };
  namespace a = accounts;
  const http::RouteOptions user{};
  const http::RouteOptions user_json{.json_body = true, .name = {}};
  const http::RouteOptions open{.json_body = false, .name = {}, .access = http::Access::anyone};
  const http::RouteOptions open_json{.json_body = true, .name = {}, .access = http::Access::anyone};
  const http::RouteOptions admin{.json_body = false, .name = {}, .access = http::Access::admin};
  const http::RouteOptions admin_json{.json_body = true, .name = {}, .access = http::Access::admin};
  router.add("GET", "/api/auth/state", bind(a::auth_state), open);
  router.add("POST", "/api/auth/setup", bind(a::setup), open_json);
  router.add("POST", "/api/auth/login", bind(a::login), open_json);
  router.add("POST", "/api/auth/logout", bind(a::logout), user_json);
  router.add("POST", "/api/auth/logout-others", bind(a::logout_others), user_json);
  router.add("POST", "/api/auth/password", bind(a::change_password), user_json);
  router.add("GET", "/api/auth/usage", bind(a::usage), user);
  router.add("GET", "/api/auth/tokens", bind(a::list_tokens), user);
  router.add("POST", "/api/auth/tokens", bind(a::create_token), user_json);
  router.add("DELETE", "/api/auth/tokens/{tid}", bind(a::delete_token), user);
  router.add("GET", "/api/admin/users", bind(a::admin_list_users), admin);
  router.add("POST", "/api/admin/users", bind(a::admin_create_user), admin_json);
  router.add("PATCH", "/api/admin/users/{uid}", bind(a::admin_update_user), admin_json);
  router.add("GET", "/api/admin/usage", bind(a::admin_usage), admin);
}

}  // namespace chatstream::api
