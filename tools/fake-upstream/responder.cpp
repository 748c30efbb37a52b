// Routing and the non-streaming responses. Streams are in stream.cpp.
#include "responder.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <fstream>
#include <sstream>

#include "http_io.hpp"
#include "json_text.hpp"
#include "textgen.hpp"

namespace chatstream::fake_upstream {
namespace {

struct RouteEntry {
  std::string_view method;
  std::string_view path;
  Route route;
  Provider provider;
};

constexpr RouteEntry kRoutes[] = {
    {"POST", "/v1/chat/completions", Route::chat, Provider::openai},
    {"POST", "/v1/messages", Route::chat, Provider::anthropic},
    {"POST", "/api/chat", Route::chat, Provider::ollama},
    {"GET", "/v1/models", Route::models, Provider::openai},
    {"GET", "/api/tags", Route::models, Provider::ollama},
    {"GET", "/sse", Route::plain_sse, Provider::plain_sse},
};

void apply_all_controls(Exchange& x) {
  Controls& c = x.controls;
  if (!apply_model_controls(c, x.chat.model)) return;
  if (!apply_query_controls(c, x.req.query)) return;
  for (const auto& [k, v] : x.req.headers)
    if (!apply_header_control(c, k, v)) return;
}

std::optional<std::string> read_fixture(const ServerState& s, const std::string& name) {
  std::ifstream in(s.fixtures_dir / name, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::move(ss).str();
}

// The key clients present: `Authorization: Bearer <k>` or Anthropic's `x-api-key`.
bool key_matches(const Exchange& x, const std::string& expected) {
  if (x.provider == Provider::anthropic && x.req.has_header("x-api-key"))
    return x.req.header("x-api-key") == expected;
  const std::string_view auth = x.req.header("authorization");
  constexpr std::string_view bearer = "Bearer ";
  return auth.size() > bearer.size() && iequals(auth.substr(0, bearer.size()), bearer) &&
         auth.substr(bearer.size()) == expected;
}

// The status this request must fail with (0: succeed), honouring fail_first.
unsigned error_status(ServerState& s, const Exchange& x) {
  const Controls& c = x.controls;
  if (c.fail_first == 0) return c.status == 200 ? 0 : c.status;
  const std::string key = !c.key.empty() ? c.key : x.req.path + "|" + x.chat.model;
  const std::uint64_t attempt = s.recorder.next_attempt(key);
  if (attempt > c.fail_first) return 0;
  return c.status != 0 && c.status != 200 ? c.status : 500;
}

Reply provider_error(const Exchange& x, unsigned status, std::string_view message) {
  return error_reply(x.provider, status, x.controls.retry_after, message, x.chat.model,
                     x.request_id);
}

// Checks a chat request like the provider would; returns an error reply on failure.
std::optional<Reply> check_chat(const Exchange& x) {
  if (!x.chat.error.empty()) return provider_error(x, 400, x.chat.error);
  if (x.controls.expect_key && !key_matches(x, *x.controls.expect_key))
    return provider_error(x, 401, {});
  if (x.provider == Provider::anthropic) {
    if (!x.req.has_header("x-api-key") && !x.req.has_header("authorization"))
      return provider_error(x, 401, "x-api-key header is required");
    if (!x.req.has_header("anthropic-version"))
      return provider_error(x, 400, "anthropic-version: header is required");
  }
  return std::nullopt;
}

asio::awaitable<void> respond_error(Transport& t, ServerState& s, Exchange& x, unsigned status) {
  Reply r = provider_error(x, status, {});
  if (!x.controls.fixture.empty()) {
    if (auto body = read_fixture(s, x.controls.fixture)) {
      r.body = std::move(*body);
      r.content_type = std::string(fixture_content_type(x.controls.fixture));
    }
  }
  co_await send_reply(t, x, std::move(r));
}

asio::awaitable<void> respond_chat(Transport& t, ServerState& s, Exchange& x) {
  if (auto err = check_chat(x)) co_return co_await send_reply(t, x, std::move(*err));
  if (const unsigned status = error_status(s, x)) co_return co_await respond_error(t, s, x, status);
  if (!x.controls.fixture.empty()) {
    auto body = read_fixture(s, x.controls.fixture);
    if (!body)
      co_return co_await send_reply(
          t, x, provider_error(x, 400, "fake-upstream: no fixture " + x.controls.fixture));
    const std::string type(fixture_content_type(x.controls.fixture));
    co_return co_await stream_fixture(t, s.recorder, x, std::move(*body), type);
  }
  if (x.chat.stream) co_return co_await stream_generated(t, s.recorder, x);

  // Non-streaming: wait as long as generating would take, then answer at once.
  const auto& c = x.controls;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto wait = std::chrono::milliseconds(c.first_token_delay_ms) +
                    std::chrono::milliseconds(std::uint64_t{c.delay_ms} * c.tokens);
  if (wait.count() > 0 && !co_await sleep_for(timer, wait)) co_return;
  StreamContext ctx;
  ctx.provider = x.provider;
  ctx.model = x.chat.model;
  ctx.id = x.provider == Provider::anthropic ? make_id("msg_", x.record_id, 24)
                                             : make_id("chatcmpl-", x.record_id, 29);
  ctx.created =
      std::chrono::duration_cast<std::chrono::seconds>(x.req.received_at.time_since_epoch())
          .count();
  ctx.seed = c.seed;
  ctx.tokens = c.tokens;
  ctx.prompt_tokens = x.chat.prompt_tokens;
  ctx.finish = c.finish;
  ctx.started = x.req.received_at;
  Reply r;
  r.content_type =
      x.provider == Provider::ollama ? "application/json; charset=utf-8" : "application/json";
  r.body = complete_body(ctx);
  x.result.tokens_sent = c.tokens;
  co_await send_reply(t, x, std::move(r));
}

}  // namespace

void prepare_exchange(Exchange& x) {
  const Request& r = x.req;
  x.keep_alive = r.keep_alive;
  x.result.status = 0;  // nothing sent yet
  x.route = Route::not_found;
  x.provider = r.path.rfind("/api/", 0) == 0 ? Provider::ollama : Provider::openai;
  for (const auto& e : kRoutes) {
    if (e.path != r.path) continue;
    x.provider = e.provider;
    x.route = e.method == r.method ? e.route : Route::method_not_allowed;
    break;
  }
  if (x.route == Route::models && r.has_header("anthropic-version"))
    x.provider = Provider::anthropic;
  if (x.route == Route::chat) x.chat = parse_chat_body(x.provider, r.body);
  if (x.route == Route::plain_sse) x.chat.stream = true;
  const auto nanos = r.received_at.time_since_epoch().count();
  x.request_id = make_id("req_", static_cast<std::uint64_t>(nanos), 24);
  apply_all_controls(x);
}

std::string describe_controls(const Exchange& x) {
  const Controls& c = x.controls;
  std::string out = "tokens=" + std::to_string(c.tokens);
  if (!c.fixture.empty()) out += ",fixture=" + c.fixture;
  if (c.delay_ms) out += ",delay_ms=" + std::to_string(c.delay_ms);
  if (c.jitter_ms) out += ",jitter_ms=" + std::to_string(c.jitter_ms);
  if (c.first_token_delay_ms)
    out += ",first_token_delay_ms=" + std::to_string(c.first_token_delay_ms);
  if (c.header_delay_ms) out += ",header_delay_ms=" + std::to_string(c.header_delay_ms);
  if (c.fault != Fault::none)
    out += ",fault=" + std::string(fault_name(c.fault)) + ":" + std::to_string(c.fault_after);
  if (c.status) out += ",status=" + std::to_string(c.status);
  if (c.fail_first) out += ",fail_first=" + std::to_string(c.fail_first);
  if (c.trickle) out += ",trickle=1";
  if (!c.error.empty()) out += ",error=" + c.error;
  return out;
}

asio::awaitable<void> send_reply(Transport& t, Exchange& x, Reply reply) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  BodyWriter w(t, timer);
  w.set_trickle(x.controls.trickle, std::chrono::microseconds(x.controls.trickle_us));
  std::string bytes = response_head(reply.status, reply.content_type, reply.headers,
                                    reply.body.size(), false, x.keep_alive);
  bytes.append(reply.body);
  x.result.status = reply.status;
  if (co_await w.raw(bytes)) {
    x.result.outcome = Outcome::completed;
  } else {
    x.result.outcome = Outcome::client_disconnected;
    x.result.disconnect_at = std::chrono::system_clock::now();
    x.keep_alive = false;
  }
  x.responded = true;
}

asio::awaitable<void> respond(Transport& t, ServerState& s, Exchange& x) {
  if (!x.controls.error.empty())
    co_return co_await send_reply(t, x, provider_error(x, 400, x.controls.error));
  if (x.route == Route::not_found)
    co_return co_await send_reply(
        t, x, provider_error(x, 404, "Invalid URL (" + x.req.method + " " + x.req.path + ")"));
  if (x.route == Route::method_not_allowed)
    co_return co_await send_reply(t, x, provider_error(x, 405, "Method not allowed"));
  if (x.controls.header_delay_ms > 0) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    if (!co_await sleep_for(timer, std::chrono::milliseconds(x.controls.header_delay_ms)))
      co_return;
  }
  switch (x.route) {
    case Route::models: {
      Reply r;
      r.body = models_body(x.provider);
      co_return co_await send_reply(t, x, std::move(r));
    }
    case Route::plain_sse:
      co_return co_await stream_generated(t, s.recorder, x);
    case Route::chat:
      co_return co_await respond_chat(t, s, x);
    case Route::not_found:
    case Route::method_not_allowed:
      break;
  }
}

}  // namespace chatstream::fake_upstream
