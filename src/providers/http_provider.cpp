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

// What retries need: the request (kept for a resend) and the conversation it was built from
// (rebuilt without stream_options for older servers). On the heap: the streaming frame holds a
// pointer.
struct RetryState {
  HttpRequest http;
  ChatRequest request;
  bool include_usage = true;
};

// The backoff's jitter, a fraction in [0, 1). One engine per thread, seeded once: constructing
// a std::random_device costs microseconds (it probes the CPU each time), too much per stream.
double jitter_fraction() {
  thread_local std::minstd_rand rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

// What the provider keeps for the stream: the retry state until the first relayed token (then
// there is no retry: it is given back for the rest of the stream), the ids for log lines.
struct StreamState {
  std::unique_ptr<RetryState> retry = std::make_unique<RetryState>();
  bool relayed = false;  // a token went to the sink: no retry any more
  std::string request_id;
  std::string model;

  void release() {
    relayed = true;
    retry.reset();
  }
};

// One HTTP exchange decoded into events: non-terminal events go to the sink as they arrive,
// the terminal one (Finish or StreamError) is held back until the end. On the heap.
class AttemptState {
 public:
  AttemptState(dialect::Dialect d, EventSink* sink, StreamState* retry)
      : dialect_(d), decoder_(dialect::make_decoder(d)), sink_(sink), retry_(retry) {}

  void on_head(const HttpResponseHead& h) {
    status_ = h.status;
    retry_after = parse_retry_after(h.header("retry-after-ms"), h.header("retry-after"),
                                    std::chrono::system_clock::now());
    should_retry_ = std::string(h.header("x-should-retry"));
  }

  bool on_body(std::string_view bytes) {
    if (status_ < 200 || status_ >= 300) {
      error_body_.append(
          bytes.substr(0, kMaxErrorBody - std::min(kMaxErrorBody, error_body_.size())));
      return true;
    }
    decoder_->feed(bytes, events_);
    deliver();
    return !decoder_->failed();  // after an error event, stop reading (and drop the connection)
  }

  // The exchange is over: sets the terminal event (a protocol error when nothing ended the
  // stream).
  void finish(const HttpOutcome& o) {
    if (o.head_received && (status_ < 200 || status_ >= 300)) {
      StreamError e = dialect::decode_http_error(dialect_, status_, error_body_);
      if (should_retry_ == "true") e.retryable = true;
      if (should_retry_ == "false") e.retryable = false;
      held_ = std::move(e);
    } else if (o.failure == HttpFailure::none ||
               (o.failure == HttpFailure::closed && o.head_received)) {
      if (!decoder_->done()) decoder_->finish(events_);  // truncated unless a marker came
      deliver();
    } else if (!decoder_->done() || decoder_->failed()) {
      if (!decoder_->failed()) held_ = error_from(o);
    }
    if (!held_) {
      held_ = StreamError{ErrorKind::protocol,
                          "protocol_error",
                          "upstream stream ended without a result",
                          0,
                          "no_result",
                          false};
    }
  }

  // After finish(): the terminal event.
  Event& terminal() { return *held_; }
  std::optional<std::chrono::milliseconds> retry_after;

 private:
  void deliver() {
    for (auto& e : events_) {
      if (std::holds_alternative<Finish>(e) || std::holds_alternative<StreamError>(e)) {
        if (!held_ || std::holds_alternative<StreamError>(e)) held_ = std::move(e);
        continue;
      }
      if (!retry_->relayed && is_token_event(e)) retry_->release();
      (*sink_)(std::move(e));
    }
    events_.clear();
  }

  dialect::Dialect dialect_;
  std::unique_ptr<dialect::Decoder> decoder_;
  EventSink* sink_;
  StreamState* retry_;
  int status_ = 0;
  std::string error_body_;
  std::string should_retry_;  // x-should-retry header
  std::vector<Event> events_;
  std::optional<Event> held_;  // Finish or StreamError
};

// Starts one attempt (a copy of the request: the original stays for a retry). Not a
// coroutine: the handlers and the copy are built here, not in the caller's frame.
asio::awaitable<HttpOutcome> start_attempt(HttpClient& client, const HttpRequest& http,
                                           AttemptState* at) {
  return client.stream(
      http, [at](const HttpResponseHead& h) { at->on_head(h); },
      [at](std::string_view bytes) { return at->on_body(bytes); });
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds delay) {
  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

enum class Next { deliver, again_now, again_later };

// After an attempt: deliver its terminal event, ask again at once (without stream_options) or
// retry after `delay`. Logs failures.
Next next_step(const ProviderConfig& config, const HttpClient& client, StreamState& st,
               AttemptState& at, int attempt, bool cancelled_now,
               std::chrono::milliseconds& delay) {
  auto* err = std::get_if<StreamError>(&at.terminal());
  if (err == nullptr) return Next::deliver;
  RetryState* retry = st.relayed ? nullptr : st.retry.get();
  if (retry != nullptr && retry->include_usage && config.kind == "openai" &&
      rejects_stream_options(*err)) {
    retry->include_usage = false;  // an older compatible server: ask again without stream_options
    retry->http = build_upstream_request(config, retry->request, false);
    return Next::again_now;
  }
  err->message = redact(std::move(err->message), config.api_key.value);
  const bool can_retry =
      err->retryable && retry != nullptr && err->kind != ErrorKind::cancelled && !cancelled_now;
  const auto wait =
      can_retry ? retry_delay(client.config().retry, attempt, at.retry_after, jitter_fraction())
                : std::nullopt;
  if (const auto log = client.logger()) {
    log->warn("[{}] provider {} model {} attempt {} failed: {} {} (status {}){}", st.request_id,
              config.name, st.model, attempt + 1, to_string(err->kind), err->message,
              err->http_status, wait ? fmt::format(", retrying in {} ms", wait->count()) : "");
  }
  if (!wait) return Next::deliver;
  delay = *wait;
  return Next::again_later;
}

}  // namespace

HttpProvider::HttpProvider(ProviderConfig config, std::shared_ptr<HttpClient> client)
    : config_(std::move(config)), client_(std::move(client)) {}

std::vector<ModelInfo> HttpProvider::models() const {
  std::vector<ModelInfo> out;
  for (const auto& m : config_.models) out.push_back({m, m, config_.name, false});
  return out;
}

// The frame that stays suspended for the whole stream holds pointers: the retry state and the
// attempt live on the heap, the handlers and the request copy are built outside it.
asio::awaitable<void> HttpProvider::stream_chat(ChatRequest request, EventSink sink) {
  co_await asio::this_coro::throw_if_cancelled(false);
  co_await asio::this_coro::reset_cancellation_state(asio::enable_partial_cancellation());
  const auto st = std::make_unique<StreamState>();
  if (request.model.empty()) request.model = config_.default_model;
  st->request_id = request.request_id;
  st->model = request.model;
  st->retry->http = build_upstream_request(config_, request);
  st->retry->request = std::move(request);
  const dialect::Dialect d = dialect_of(config_.kind);
  for (int attempt = 0;; ++attempt) {
    auto at = std::make_unique<AttemptState>(d, &sink, st.get());
    at->finish(co_await start_attempt(*client_, st->retry->http, at.get()));
    const bool cancelled_now = cancelled(co_await asio::this_coro::cancellation_state);
    std::chrono::milliseconds delay{0};
    const Next next = next_step(config_, *client_, *st, *at, attempt, cancelled_now, delay);
    if (next == Next::again_now) {
      --attempt;
      continue;
    }
    if (next == Next::again_later) {
      co_await sleep_for(delay);
      if (!cancelled(co_await asio::this_coro::cancellation_state)) continue;
      at->terminal() = StreamError{ErrorKind::cancelled, "cancelled", "generation cancelled", 0,
                                   "cancelled",          false};
    }
    sink(std::move(at->terminal()));
    co_return;
  }
}

}  // namespace chatstream::providers
