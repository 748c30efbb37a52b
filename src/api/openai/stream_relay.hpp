// The streaming relay of POST /v1/chat/completions: runs one provider stream on a strand
// (normally the client connection's own, so the upstream and the client side of a stream are
// serialized by one strand) and is the SseSource the HTTP session pulls from.
//
// Hot path: each provider event is encoded once, straight into the pending buffer, and the
// session is woken only when that buffer goes from empty to non-empty; pull() swaps the whole
// buffer out, so a slow client gets everything that piled up in one write (coalescing).
//
// Cancellation through structure: the provider coroutine is spawned with a cancellation slot
// owned by the relay. on_close() (client gone, write timeout, shutdown) emits terminal
// cancellation on the provider's strand, which closes the upstream socket at once.
//
// Thread-safety: set_waker/pull/on_close may be called from any thread; provider events arrive
// on the relay's strand; the pending buffer is guarded by a mutex never held across co_await
// (which locks only when the io_context has several threads).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "api/openai/chunk_encoder.hpp"
#include "http/message.hpp"
#include "providers/provider.hpp"
#include "util/serial.hpp"

namespace chatstream::api::openai {

class StreamRelay final : public http::SseSource, public std::enable_shared_from_this<StreamRelay> {
 public:
  // Observes every event after it was relayed (e.g. history capture); called on the strand.
  using Observer = std::function<void(const providers::Event&)>;

  // `strand` must be a strand (or another serialising executor); a strand over the
  // io_context's concrete executor fits in the type-erased executor without an allocation.
  StreamRelay(boost::asio::any_io_executor strand, ChunkEncoder encoder,
              Observer observer = nullptr);
  ~StreamRelay() override;

  // Starts the provider and waits until the first token, the end of the stream or
  // `first_event_wait`, whichever comes first (directly when the caller already runs on the
  // relay's strand). Returns the failure when the stream failed
  // before any token (nothing is then streamed: answer with an error status); nullopt when
  // the relay is ready to be streamed.
  static boost::asio::awaitable<std::optional<providers::StreamError>> start(
      std::shared_ptr<StreamRelay> self, std::shared_ptr<providers::Provider> provider,
      providers::ChatRequest request, std::chrono::milliseconds first_event_wait);

  void set_waker(Waker waker) override;
  bool pull(std::string& out) override;
  void on_close() override;
  // The waker is called outside the lock, from on_event, while the provider coroutine (which
  // keeps the relay alive) runs.
  bool wakes_inline() const override { return true; }
  // OpenAI clients expect an error chunk, not a foreign `event: shutdown` frame.
  void append_shutdown(std::string& out, std::chrono::milliseconds retry_hint) override;

  // True once the provider coroutine has returned (for tests; strand-independent).
  bool provider_done() const;

 private:
  void on_event(providers::Event&& event);  // strand
  void on_provider_done();                  // strand
  void encode(providers::Event& event);     // strand, mutex held
  static boost::asio::awaitable<std::optional<providers::StreamError>> wait_first(
      std::shared_ptr<StreamRelay> self, std::chrono::milliseconds first_event_wait);

  boost::asio::any_io_executor strand_;
  ChunkEncoder encoder_;
  Observer observer_;

  // Strand-only state.
  boost::asio::cancellation_signal cancel_;
  boost::asio::steady_timer* first_timer_ = nullptr;  // while start() waits for the first event
  bool first_seen_ = false;                           // a token or the terminal event arrived
  bool terminal_seen_ = false;
  bool committed_ = false;  // the response head will be sent: failures go in-stream
  bool role_sent_ = false;
  bool client_gone_ = false;
  std::unique_ptr<providers::StreamError> early_error_;  // a failure before any token (rare)
  providers::Usage usage_;

  // Shared with the session thread (no lock when one thread runs everything).
  mutable util::SharedStateMutex mutex_;
  std::string pending_;         // guarded by mutex_
  bool done_ = false;           // guarded by mutex_: the last bytes are in pending_
  bool has_waker_ = false;      // guarded by mutex_; waker_ is immutable once this is true
  bool provider_done_ = false;  // guarded by mutex_
  Waker waker_;
};

}  // namespace chatstream::api::openai
