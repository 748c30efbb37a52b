// HttpProvider: one attempt = one HTTP exchange decoded into events; the retry loop around it.
#include "providers/http_provider.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <random>

#include "providers/dialect/decoder.hpp"
#include "providers/wire_request.hpp"

namespace chatstream::providers {
namespace {

namespace asio = boost::asio;

constexpr std::size_t kMaxErrorBody = 64 * 1024;

dialect::Dialect dialect_of(std::string_view kind) {
  if (kind == "anthropic") return dialect::Dialect::anthropic;
  if (kind == "ollama") return dialect::Dialect::ollama;
  return dialect::Dialect::openai_chat;
}

bool cancelled(const asio::cancellation_state& cs) {
  return cs.cancelled() != asio::cancellation_type::none;
}

// What one attempt produced.
struct Attempt {
  std::optional<Event> terminal;  // Finish or StreamError, held back until the end
  std::optional<std::chrono::milliseconds> retry_after;
  std::string should_retry;  // x-should-retry header
};

StreamError error_from(const HttpOutcome& o) {
  StreamError e;
  e.message = o.detail;
  switch (o.failure) {
    case HttpFailure::connect:
      e = {ErrorKind::connect, "connection_error", o.detail, 0, "connect_failed", true};
      break;
    case HttpFailure::timeout_connect:
      e = {ErrorKind::timeout, "timeout", o.detail, 0, "connect_timeout", true};
      break;
    case HttpFailure::timeout_first_byte:
      e = {ErrorKind::timeout, "timeout", o.detail, 0, "first_byte_timeout", false};
      break;
    case HttpFailure::timeout_idle:
      e = {ErrorKind::timeout, "timeout", o.detail, 0, "idle_timeout", false};
      break;
    case HttpFailure::timeout_total:
      e = {ErrorKind::timeout, "timeout", o.detail, 0, "total_timeout", false};
      break;
    case HttpFailure::cancelled:
      e = {ErrorKind::cancelled, "cancelled", "generation cancelled", 0, "cancelled", false};
      break;
    case HttpFailure::protocol:
      e = {ErrorKind::protocol, "protocol_error", o.detail, 0, "bad_response", false};
      break;
    case HttpFailure::closed:
      // Closed before any answer: nothing was generated, safe to retry like a connect error.
      e = o.head_received
              ? StreamError{ErrorKind::truncated, "truncated", o.detail, 0, "truncated", false}
              : StreamError{
                    ErrorKind::connect, "connection_error", o.detail, 0, "connection_closed", true};
      break;
    case HttpFailure::none:
      break;
  }
  return e;
}

// Once a token was relayed there is no retry: what only a retry would need (the request
// kept for it, the conversation it was built from) is given back for the rest of the stream.
void release_retry_state(HttpRequest& http, ChatRequest& request) {
  HttpRequest kept;
  kept.request_id = std::move(http.request_id);
  http = std::move(kept);
  std::vector<ChatMessage>().swap(request.messages);
  std::string().swap(request.system_prompt);
  std::string().swap(request.tools_json);
}

// Runs one HTTP exchange; forwards non-terminal events to `sink` as they arrive. `retry` and
// `request` are the caller's retry state, released at the first relayed token.
asio::awaitable<Attempt> run_attempt(HttpClient* client, HttpRequest http, dialect::Dialect d,
                                     EventSink* sink, bool* relayed, HttpRequest* retry,
                                     ChatRequest* request) {
  Attempt a;
  auto decoder = dialect::make_decoder(d);
  int status = 0;
  std::string error_body;
  std::vector<Event> events;
  const auto deliver = [&] {
    for (auto& e : events) {
      if (std::holds_alternative<Finish>(e) || std::holds_alternative<StreamError>(e)) {
        if (!a.terminal || std::holds_alternative<StreamError>(e)) a.terminal = std::move(e);
        continue;
      }
      if (is_token_event(e) && !*relayed) {
        *relayed = true;
        release_retry_state(*retry, *request);
      }
      (*sink)(std::move(e));
    }
    events.clear();
  };
  auto on_head = [&](const HttpResponseHead& h) {
    status = h.status;
    a.retry_after = parse_retry_after(h.header("retry-after-ms"), h.header("retry-after"),
                                      std::chrono::system_clock::now());
    a.should_retry = std::string(h.header("x-should-retry"));
  };
  auto on_body = [&](std::string_view bytes) {
    if (status < 200 || status >= 300) {
      error_body.append(
          bytes.substr(0, kMaxErrorBody - std::min(kMaxErrorBody, error_body.size())));
      return true;
    }
    decoder->feed(bytes, events);
    deliver();
    return !decoder->failed();  // after an error event, stop reading (and drop the connection)
  };
  const HttpOutcome o = co_await client->stream(std::move(http), on_head, on_body);
  if (o.head_received && (status < 200 || status >= 300)) {
    StreamError e = dialect::decode_http_error(d, status, error_body);
    if (a.should_retry == "true") e.retryable = true;
    if (a.should_retry == "false") e.retryable = false;
    a.terminal = std::move(e);
  } else if (o.failure == HttpFailure::none ||
             (o.failure == HttpFailure::closed && o.head_received)) {
    if (!decoder->done()) decoder->finish(events);  // truncated unless a terminal marker came
    deliver();
  } else if (!decoder->done() || decoder->failed()) {
    if (!decoder->failed()) a.terminal = error_from(o);
  }
  co_return a;
}

}  // namespace

HttpProvider::HttpProvider(ProviderConfig config, std::shared_ptr<HttpClient> client)
    : config_(std::move(config)), client_(std::move(client)) {}

std::vector<ModelInfo> HttpProvider::models() const {
  std::vector<ModelInfo> out;
  for (const auto& m : config_.models) out.push_back({m, m, config_.name, false});
  return out;
}

asio::awaitable<void> HttpProvider::stream_chat(ChatRequest request, EventSink sink) {
  co_await asio::this_coro::throw_if_cancelled(false);
  co_await asio::this_coro::reset_cancellation_state(asio::enable_partial_cancellation());
  if (request.model.empty()) request.model = config_.default_model;
  HttpRequest http = build_upstream_request(config_, request);
  bool include_usage = true;
  const RetryConfig& retry = client_->config().retry;
  const auto& log = client_->logger();
  std::minstd_rand rng(std::random_device{}());
  asio::steady_timer timer(co_await asio::this_coro::executor);
  bool relayed = false;
  for (int attempt = 0;; ++attempt) {
    Attempt a = co_await run_attempt(client_.get(), http, dialect_of(config_.kind), &sink, &relayed,
                                     &http, &request);
    Event terminal =
        a.terminal
            ? std::move(*a.terminal)
            : Event{StreamError{ErrorKind::protocol, "protocol_error",
                                "upstream stream ended without a result", 0, "no_result", false}};
    auto* err = std::get_if<StreamError>(&terminal);
    if (err != nullptr && include_usage && config_.kind == "openai" && !relayed &&
        rejects_stream_options(*err)) {
      include_usage = false;  // an older compatible server: ask again without stream_options
      http = build_upstream_request(config_, request, false);
      --attempt;
      continue;
    }
    if (err != nullptr) {
      err->message = redact(std::move(err->message), config_.api_key.value);
      const bool can_retry = err->retryable && !relayed && err->kind != ErrorKind::cancelled &&
                             !cancelled(co_await asio::this_coro::cancellation_state);
      const auto delay = can_retry
                             ? retry_delay(retry, attempt, a.retry_after,
                                           std::uniform_real_distribution<double>(0.0, 1.0)(rng))
                             : std::nullopt;
      if (log) {
        log->warn("[{}] provider {} model {} attempt {} failed: {} {} (status {}){}",
                  request.request_id, config_.name, request.model, attempt + 1,
                  to_string(err->kind), err->message, err->http_status,
                  delay ? fmt::format(", retrying in {} ms", delay->count()) : "");
      }
      if (delay) {
        timer.expires_after(*delay);
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (!cancelled(co_await asio::this_coro::cancellation_state)) continue;
        terminal = StreamError{ErrorKind::cancelled, "cancelled", "generation cancelled", 0,
                               "cancelled",          false};
      }
    }
    sink(std::move(terminal));
    co_return;
  }
}

}  // namespace chatstream::providers
