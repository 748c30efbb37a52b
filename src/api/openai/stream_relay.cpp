#include "api/openai/stream_relay.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <type_traits>

namespace chatstream::api::openai {
namespace asio = boost::asio;
using providers::Event;

namespace {

bool is_terminal(const Event& e) noexcept {
  return std::holds_alternative<providers::Finish>(e) ||
         std::holds_alternative<providers::StreamError>(e);
}

bool is_output(const Event& e) noexcept {
  return std::holds_alternative<providers::TextDelta>(e) ||
         std::holds_alternative<providers::ReasoningDelta>(e) ||
         std::holds_alternative<providers::ToolCallDelta>(e);
}

}  // namespace

StreamRelay::StreamRelay(asio::any_io_executor strand, ChunkEncoder encoder, Observer observer)
    : strand_(std::move(strand)),
      encoder_(std::move(encoder)),
      observer_(std::move(observer)),
      mutex_(!util::on_single_thread(strand_)) {}

StreamRelay::~StreamRelay() = default;

asio::awaitable<std::optional<providers::StreamError>> StreamRelay::start(
    std::shared_ptr<StreamRelay> self, std::shared_ptr<providers::Provider> provider,
    providers::ChatRequest request, std::chrono::milliseconds first_event_wait) {
  // A plain pointer (stored in the sink without an allocation): the completion handler below
  // keeps the relay alive until the provider coroutine, the only caller of the sink, returned.
  auto sink = [relay = self.get()](Event&& event) { relay->on_event(std::move(event)); };
  auto stream = provider->stream_chat(std::move(request), std::move(sink));
  // The completion handler keeps the relay (and so the cancellation signal) alive until the
  // provider coroutine has returned.
  asio::co_spawn(
      self->strand_, std::move(stream),
      asio::bind_cancellation_slot(self->cancel_.slot(), [self, provider](std::exception_ptr) {
        self->on_provider_done();
      }));
  if ((co_await asio::this_coro::executor) == self->strand_) {
    co_return co_await wait_first(std::move(self), first_event_wait);
  }
  co_return co_await asio::co_spawn(self->strand_, wait_first(self, first_event_wait),
                                    asio::use_awaitable);
}

asio::awaitable<std::optional<providers::StreamError>> StreamRelay::wait_first(
    std::shared_ptr<StreamRelay> self, std::chrono::milliseconds first_event_wait) {
  // Runs on the strand, like every event, so first_seen_ cannot change under our feet. The
  // timer exists only while we wait.
  if (!self->first_seen_ && first_event_wait.count() > 0) {
    asio::steady_timer timer(self->strand_, first_event_wait);
    self->first_timer_ = &timer;
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    self->first_timer_ = nullptr;
  }
  if (!self->early_error_) {
    self->committed_ = true;
    co_return std::nullopt;
  }
  co_return std::move(*self->early_error_);
}

void StreamRelay::on_event(Event&& event) {
  if (is_terminal(event)) terminal_seen_ = true;
  if (!first_seen_ && (is_output(event) || is_terminal(event))) {
    first_seen_ = true;
    if (first_timer_ != nullptr) first_timer_->cancel();
    if (!committed_) {
      if (auto* error = std::get_if<providers::StreamError>(&event)) {
        // Nothing was sent yet: the handler answers with an error status instead.
        early_error_ = std::make_unique<providers::StreamError>(std::move(*error));
        std::lock_guard lock(mutex_);
        done_ = true;
        return;
      }
    }
  }
  if (observer_) observer_(event);
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (done_) return;  // client gone (or already finished): nothing more to send
    const bool was_empty = pending_.empty();
    encode(event);
    wake = has_waker_ && (was_empty || done_) && (!pending_.empty() || done_);
  }
  if (wake) waker_();
}

void StreamRelay::encode(Event& event) {
  auto ensure_role = [this] {
    if (role_sent_) return;
    role_sent_ = true;
    encoder_.append_role(pending_);
  };
  std::visit(
      [&](auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, providers::TextDelta>) {
          if (e.text.empty()) return;
          ensure_role();
          encoder_.append_content(pending_, e.text);
        } else if constexpr (std::is_same_v<T, providers::ReasoningDelta>) {
          if (e.text.empty() || !encoder_.reasoning()) return;
          ensure_role();
          encoder_.append_reasoning(pending_, e.text);
        } else if constexpr (std::is_same_v<T, providers::ToolCallDelta>) {
          ensure_role();
          encoder_.append_tool_call(pending_, e);
        } else if constexpr (std::is_same_v<T, providers::Usage>) {
          usage_ = e;
        } else if constexpr (std::is_same_v<T, providers::Finish>) {
          ensure_role();
          encoder_.append_finish(pending_, e.reason);
          if (encoder_.include_usage()) encoder_.append_usage(pending_, usage_);
          ChunkEncoder::append_done(pending_);
          done_ = true;
        } else {
          ChunkEncoder::append_error(pending_, from_stream_error(e));
          done_ = true;
        }
      },
      event);
}

void StreamRelay::on_provider_done() {
  {
    std::lock_guard lock(mutex_);
    provider_done_ = true;
  }
  if (!terminal_seen_) {
    providers::StreamError error;
    error.kind = providers::ErrorKind::protocol;
    error.type = "server_error";
    error.message = "The provider stream ended without a result.";
    on_event(std::move(error));
  }
}

void StreamRelay::set_waker(Waker waker) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    waker_ = std::move(waker);
    has_waker_ = true;
    wake = !pending_.empty() || done_;
  }
  if (wake) waker_();
}

bool StreamRelay::pull(std::string& out) {
  std::lock_guard lock(mutex_);
  if (out.empty()) {
    out.swap(pending_);  // the session's emptied buffer becomes our next one
  } else {
    out += pending_;
  }
  pending_.clear();
  return !done_;
}

void StreamRelay::append_shutdown(std::string& out, std::chrono::milliseconds) {
  out +=
      "data: {\"error\":{\"message\":\"The server is shutting down; retry the request.\","
      "\"type\":\"server_error\",\"param\":null,\"code\":\"server_shutdown\"}}\n\n";
}

void StreamRelay::on_close() {
  asio::post(strand_, [self = shared_from_this()] {
    bool running = false;
    {
      std::lock_guard lock(self->mutex_);
      self->done_ = true;
      self->pending_.clear();
      running = !self->provider_done_;
    }
    if (self->first_timer_ != nullptr) self->first_timer_->cancel();
    // Terminal cancellation closes the upstream socket at once; the provider then reports
    // StreamError{cancelled}, which finds done_ set and sends nothing.
    if (running) self->cancel_.emit(asio::cancellation_type::terminal);
  });
}

bool StreamRelay::provider_done() const {
  std::lock_guard lock(mutex_);
  return provider_done_;
}

}  // namespace chatstream::api::openai
