// Route handlers of the /v1 gateway. Each handler: authenticate, validate, resolve the model
// (all failures before any byte is streamed get a proper status), then either collect the
// provider stream into one chat.completion or hand a StreamRelay to the HTTP session.
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>

#include "api/openai/chat_request.hpp"
#include "api/openai/completion.hpp"
#include "api/openai/errors.hpp"
#include "api/openai/gateway.hpp"
#include "api/openai/history.hpp"
#include "api/openai/stream_relay.hpp"
#include "auth/service.hpp"
#include "sse/encoder.hpp"
#include "util/serial.hpp"

namespace chatstream::api::openai {
namespace asio = boost::asio;

namespace {

std::int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

ApiError model_not_found(std::string_view model) {
  ApiError e;
  e.status = 404;
  e.message =
      "The model `" + std::string(model) + "` does not exist or you do not have access to it.";
  e.code = "model_not_found";
  e.param = "model";
  return e;
}

// The configured-token check, unless accounts are on (the guard authenticated the request).
std::optional<http::Response> check_access(const GatewayContext& ctx, const http::Request& req) {
  if (ctx.accounts != nullptr && ctx.accounts->multi_user()) {
    if (!req.user_id.empty()) return std::nullopt;
    ApiError e;
    e.status = 401;
    e.type = "authentication_error";
    e.message = "Send a personal API token as 'Authorization: Bearer cs_...'.";
    e.code = "invalid_api_key";
    return error_response(e);
  }
  return authorize(req, ctx.config);
}

std::string user_of(const http::Request& req) {
  return req.user_id.empty() ? std::string(auth::local_user_id) : req.user_id;
}

// Per-user limits: the ticket to hold while the exchange runs, or the 429 answer.
asio::awaitable<std::variant<std::shared_ptr<auth::GenerationTicket>, http::Response>> admit(
    std::shared_ptr<GatewayContext> ctx, std::string user) {
  if (ctx->accounts == nullptr) co_return std::shared_ptr<auth::GenerationTicket>{};
  auto admitted = co_await ctx->accounts->admit_generation(std::move(user));
  if (auto* refused = std::get_if<auth::Refusal>(&admitted)) {
    ApiError e;
    e.status = refused->status;
    e.type = std::string(error_type_for(refused->status));
    e.message = refused->message;
    e.code = refused->code;
    auto r = error_response(e);
    if (refused->retry_after_s > 0) {
      r.set_header("Retry-After", std::to_string(refused->retry_after_s));
    }
    co_return r;
  }
  co_return std::get<std::shared_ptr<auth::GenerationTicket>>(std::move(admitted));
}

// Feeds a ticket from the provider's events (usage when reported, text for estimates).
void account(auth::GenerationTicket& ticket, const providers::Event& event) {
  if (const auto* text = std::get_if<providers::TextDelta>(&event)) {
    ticket.add_completion_chars(text->text.size());
  } else if (const auto* usage = std::get_if<providers::Usage>(&event)) {
    ticket.set_usage(usage->prompt_tokens, usage->completion_tokens);
  }
}

void log_failure(const GatewayContext& ctx, const http::Request& req,
                 const providers::StreamError& error, unsigned status) {
  if (!ctx.logger) return;
  ctx.logger->warn("v1 upstream failure: {} status={} upstream_status={} type={} rid={}",
                   providers::to_string(error.kind), status, error.http_status, error.type,
                   req.request_id);
}

asio::awaitable<http::Response> complete(std::shared_ptr<GatewayContext> ctx, http::Request req,
                                         providers::ResolvedModel resolved,
                                         ParsedChatRequest parsed, ChunkIdentity identity,
                                         std::shared_ptr<HistoryCapture> history,
                                         std::shared_ptr<auth::GenerationTicket> ticket) {
  CompletionBuilder builder(std::move(identity), ctx->config.reasoning_content);
  // The sink is a named std::function moved into the call: GCC 12 destroys a lambda
  // temporary converted inside a co_await expression twice (its captured history pointer was
  // released one time too many: heap-use-after-free under ASan).
  providers::EventSink sink = [&builder, history, ticket](providers::Event&& event) {
    if (history) history->add(event);
    if (ticket) account(*ticket, event);
    builder.add(std::move(event));
  };
  co_await resolved.provider->stream_chat(std::move(parsed.request), std::move(sink));
  if (!builder.finished()) {
    providers::StreamError missing;
    missing.kind = providers::ErrorKind::protocol;
    missing.message = "The provider stream ended without a result.";
    builder.add(std::move(missing));
  }
  if (const auto& error = builder.error()) {
    auto api_error = from_stream_error(*error);
    log_failure(*ctx, req, *error, api_error.status);
    co_return error_response(api_error);
  }
  http::Response r;
  r.body = builder.json();
  co_return r;
}

// Where a relay runs: on the request's own executor (the client connection's) when it is a
// serial one on the upstream io_context, so one executor serializes both sides of the stream
// and no strand is allocated; else on a new serial executor over the upstream io_context
// (util/serial.hpp).
asio::any_io_executor relay_executor(const asio::any_io_executor& here,
                                     const asio::any_io_executor& upstream) {
  const asio::any_io_executor& base = upstream ? upstream : here;
  const bool same_context =
      &asio::query(here, asio::execution::context) == &asio::query(base, asio::execution::context);
  if (same_context && util::is_serial(here)) return here;
  return util::make_serial(base);
}

asio::awaitable<http::Response> stream(std::shared_ptr<GatewayContext> ctx, http::Request req,
                                       providers::ResolvedModel resolved, ParsedChatRequest parsed,
                                       ChunkIdentity identity,
                                       std::shared_ptr<HistoryCapture> history,
                                       std::shared_ptr<auth::GenerationTicket> ticket) {
  StreamRelay::Observer observer;
  if (history || ticket) {
    // The relay keeps the observer (and so the ticket) until the exchange is over. Captured
    // from locals (see complete()).
    std::shared_ptr<HistoryCapture> sink_history = history;
    std::shared_ptr<auth::GenerationTicket> sink_ticket = ticket;
    observer = [h = std::move(sink_history),
                t = std::move(sink_ticket)](const providers::Event& event) {
      if (h) h->add(event);
      if (t) account(*t, event);
    };
  }
  auto relay = std::make_shared<StreamRelay>(
      relay_executor(co_await asio::this_coro::executor, ctx->executor),
      ChunkEncoder(std::move(identity), parsed.include_usage, ctx->config.reasoning_content),
      std::move(observer));
  auto early = co_await StreamRelay::start(relay, std::move(resolved.provider),
                                           std::move(parsed.request), ctx->config.first_event_wait);
  if (early) {
    auto api_error = from_stream_error(*early);
    log_failure(*ctx, req, *early, api_error.status);
    co_return error_response(api_error);
  }
  http::Response r;
  r.sse = std::move(relay);
  co_return r;
}

asio::awaitable<http::Response> chat_completions(std::shared_ptr<GatewayContext> ctx,
                                                 http::Request req) {
  if (auto denied = check_access(*ctx, req)) co_return std::move(*denied);
  auto parsed_or_error = parse_chat_request(req.body);
  if (auto* error = std::get_if<ApiError>(&parsed_or_error)) co_return error_response(*error);
  auto parsed = std::move(std::get<ParsedChatRequest>(parsed_or_error));
  auto resolved = ctx->resolve ? ctx->resolve(parsed.model) : std::nullopt;
  if (!resolved || !resolved->provider) co_return error_response(model_not_found(parsed.model));
  parsed.request.model = resolved->model;
  parsed.request.request_id = req.request_id;
  auto admitted = co_await admit(ctx, user_of(req));
  if (auto* refused = std::get_if<http::Response>(&admitted)) co_return std::move(*refused);
  auto ticket = std::get<std::shared_ptr<auth::GenerationTicket>>(std::move(admitted));
  if (ticket) {
    ticket->add_prompt_chars(parsed.request.system_prompt.size());
    for (const auto& m : parsed.request.messages) ticket->add_prompt_chars(m.content.size());
  }
  ChunkIdentity identity{new_completion_id(), unix_seconds(), parsed.model};
  if (ctx->logger) {
    ctx->logger->debug("v1 chat model={} provider={} upstream_model={} stream={} rid={}",
                       parsed.model, resolved->provider->name(), resolved->model, parsed.stream,
                       req.request_id);
  }
  std::shared_ptr<HistoryCapture> history;
  if (ctx->config.history && ctx->store != nullptr) {
    asio::any_io_executor ex = ctx->executor;
    if (!ex) ex = co_await asio::this_coro::executor;
    history =
        std::make_shared<HistoryCapture>(*ctx->store, ex, ctx->logger, parsed.model,
                                         resolved->provider->name(), parsed.request, user_of(req));
  }
  if (parsed.stream) {
    co_return co_await stream(std::move(ctx), std::move(req), std::move(*resolved),
                              std::move(parsed), std::move(identity), std::move(history),
                              std::move(ticket));
  }
  co_return co_await complete(std::move(ctx), std::move(req), std::move(*resolved),
                              std::move(parsed), std::move(identity), std::move(history),
                              std::move(ticket));
}

void append_model(std::string& out, const providers::ModelInfo& model, std::int64_t created) {
  out += "{\"id\":";
  sse::append_json_string(out, model.id);
  out += ",\"object\":\"model\",\"created\":";
  out += std::to_string(created);
  out += ",\"owned_by\":";
  sse::append_json_string(out, model.provider.empty() ? std::string_view("chatstream")
                                                      : std::string_view(model.provider));
  out += '}';
}

http::Response list_models(const GatewayContext& ctx, const http::Request& req) {
  if (auto denied = check_access(ctx, req)) return std::move(*denied);
  http::Response r;
  r.body = "{\"object\":\"list\",\"data\":[";
  bool first = true;
  for (const auto& model :
       ctx.list_models ? ctx.list_models() : std::vector<providers::ModelInfo>{}) {
    if (!first) r.body += ',';
    first = false;
    append_model(r.body, model, ctx.created);
  }
  r.body += "]}";
  return r;
}

http::Response retrieve_model(const GatewayContext& ctx, const http::Request& req) {
  if (auto denied = check_access(ctx, req)) return std::move(*denied);
  const std::string_view wanted = req.param("model");
  if (ctx.list_models) {
    for (const auto& model : ctx.list_models()) {
      if (model.id != wanted) continue;
      http::Response r;
      append_model(r.body, model, ctx.created);
      return r;
    }
  }
  return error_response(model_not_found(wanted));
}

}  // namespace

void add_routes(http::Router& router, std::shared_ptr<GatewayContext> context) {
  if (context->created == 0) context->created = unix_seconds();
  router.add("POST", "/v1/chat/completions",
             [context](http::Request req) { return chat_completions(context, std::move(req)); },
             {.json_body = true, .name = "/v1/chat/completions"});
  router.add("GET", "/v1/models",
             [context](http::Request req) { return http::ready(list_models(*context, req)); },
             {.json_body = false, .name = "/v1/models"});
  router.add("GET", "/v1/models/{model...}",
             [context](http::Request req) { return http::ready(retrieve_model(*context, req)); },
             {.json_body = false, .name = "/v1/models/{model}"});
}

}  // namespace chatstream::api::openai
