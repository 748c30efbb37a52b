// Cancel: stops a running generation (keeping exactly the text the client had shown) and
// answers with the saved message. With several instances the generation may run on another
// one: the cancel is passed on to it and the answer waits (bounded) for its saved result.
#include <spdlog/spdlog.h>

#include "api/handlers.hpp"
#include "api/json.hpp"
#include "generation/hub.hpp"
#include "store/store.hpp"
#include "util/id.hpp"

namespace chatstream::api {
namespace json = boost::json;

Reply cancel_message(ApiContext* ctx, http::Request req) {
  std::string mid(req.param("mid"));
  if (!util::is_valid_id(mid)) co_return not_found("Message");
  auto parsed = parse_object_body(req);
  if (auto* err = std::get_if<http::Response>(&parsed)) co_return std::move(*err);
  std::optional<std::uint64_t> shown;
  if (auto e = optional_count(std::get<json::object>(parsed), "shown", shown)) co_return *e;
  const auto user = user_of(req);
  auto g = ctx->hub.find(mid);
  if (g && g->user_id() != user) g = nullptr;
  if (!g && ctx->hub.clustered()) {
    auto m = co_await ctx->store.get_message(user, mid);
    if (!m) co_return not_found("Message");
    if (m->status == store::MessageStatus::streaming) g = co_await ctx->hub.attach(*m, user);
  }
  if (g && !g->finished()) {
    co_await ctx->hub.cancel(g, shown);
    if (!co_await g->wait_finished(ctx->settings.cancel_wait)) {
      ctx->logger->warn("cancel of {} is taking longer than {} ms", mid,
                        ctx->settings.cancel_wait.count());
    }
  }
  auto m = co_await ctx->store.get_message(user, mid);
  if (!m) co_return not_found("Message");
  co_return json_response(200, to_json(*m));
}

}  // namespace chatstream::api
