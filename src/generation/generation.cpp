#include "generation/generation.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <charconv>

#include "sse/encoder.hpp"

namespace chatstream::generation {
namespace asio = boost::asio;

namespace {

void append_field(std::string& out, std::string_view name, const std::optional<std::int64_t>& v) {
  if (!v) return;
  out += ",\"";
  out += name;
  out += "\":";
  out += std::to_string(*v);
}

}  // namespace

void append_delta_frame(std::string& out, std::uint64_t seq, std::string_view text) {
  static constexpr std::string_view kHead = "event: delta\nid: ";
  static constexpr std::string_view kData = "\ndata: {\"text\":\"";
  static constexpr std::string_view kEnd = "\"}\n\n";
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, seq);
  (void)ec;  // 24 characters hold any 64-bit number
  out.append(kHead);
  out.append(digits, end);
  out.append(kData);
  sse::append_json_escaped(out, text);
  out.append(kEnd);
}

Outcome outcome_of(const store::Message& m) {
  Outcome o;
  o.status =
      m.status == store::MessageStatus::streaming ? store::MessageStatus::interrupted : m.status;
  o.finish_reason = m.finish_reason;
  o.prompt_tokens = m.prompt_tokens;
  o.completion_tokens = m.completion_tokens;
  o.ttft_ms = m.ttft_ms;
  o.duration_ms = m.duration_ms;
  o.error_message = m.error_message;
  o.error_code = m.error_code;
  o.last_seq = static_cast<std::uint64_t>(std::max<std::int64_t>(m.delta_seq, 0));
  return o;
}

Outcome unavailable_outcome(std::uint64_t last_seq) {
  Outcome o;
  o.status = store::MessageStatus::streaming;  // nothing final is known
  o.last_seq = last_seq;
  o.error_code = "live_stream_unavailable";
  o.error_message = "The live stream of this answer is unavailable right now; retry shortly.";
  o.retryable = true;
  return o;
}

std::string terminal_frame(const Outcome& o) {
  std::string data = "{\"status\":\"";
  data += store::to_string(o.status);
  data += "\",\"last_seq\":" + std::to_string(o.last_seq);
  const bool is_error = o.status == store::MessageStatus::error || o.error_code.has_value();
  if (is_error) {
    data += ",\"message\":";
    sse::append_json_string(data, o.error_message.value_or("The generation failed."));
    data += ",\"code\":";
    sse::append_json_string(data, o.error_code.value_or("generation_failed"));
  }
  if (o.finish_reason) {
    data += ",\"finish_reason\":";
    sse::append_json_string(data, *o.finish_reason);
  }
  if (o.prompt_tokens || o.completion_tokens) {
    data += ",\"usage\":{\"prompt_tokens\":" + std::to_string(o.prompt_tokens.value_or(0)) +
            ",\"completion_tokens\":" + std::to_string(o.completion_tokens.value_or(0)) + "}";
  }
  append_field(data, "ttft_ms", o.ttft_ms);
  append_field(data, "duration_ms", o.duration_ms);
  if (o.retryable) data += ",\"retryable\":true";
  data += "}";
  std::string frame;
  sse::append_event(frame, is_error ? "error" : "done", data);
  return frame;
}

Generation::Generation(std::string message_id, std::string conversation_id, std::string user_id,
                       asio::any_io_executor strand)
    : message_id_(std::move(message_id)),
      conversation_id_(std::move(conversation_id)),
      user_id_(std::move(user_id)),
      strand_(std::move(strand)),
      unwatched_since_(Clock::now()) {}

void Generation::append(std::string_view text) {
  if (text.empty()) return;
  std::shared_ptr<const Wakers> wakers;
  {
    std::lock_guard lock(mutex_);
    if (outcome_) return;
    append_delta_frame(frames_, frame_end_.size() + 1, text);
    frame_end_.push_back(frames_.size());
    text_.append(text);
    text_end_.push_back(text_.size());
    wakers = wakers_;
  }
  wake(wakers);
}

void Generation::finish(Outcome outcome) {
  std::shared_ptr<const Wakers> wakers;
  {
    std::lock_guard lock(mutex_);
    if (outcome_) return;
    terminal_ = terminal_frame(outcome);
    outcome_ = std::move(outcome);
    finished_at_ = Clock::now();
    wakers = wakers_;
  }
  wake(wakers);
}

void Generation::wake(const std::shared_ptr<const Wakers>& wakers) {
  // Called outside the lock: a waker may post, never re-enter us.
  if (!wakers) return;
  for (const auto& [token, w] : *wakers) w();
}

bool Generation::read_frames(std::uint64_t& cursor, std::string& out) const {
  std::lock_guard lock(mutex_);
  const std::uint64_t last = frame_end_.size();
  if (cursor < last) {
    std::size_t begin = cursor == 0 ? 0 : frame_end_[cursor - 1];
    out.append(frames_, begin, frames_.size() - begin);
    cursor = last;
  }
  if (outcome_ && cursor >= last) {
    out += terminal_;
    return false;
  }
  return true;
}

std::uint64_t Generation::subscribe(std::function<void()> waker, bool watcher) {
  std::lock_guard lock(mutex_);
  auto token = next_token_++;
  auto next = wakers_ ? std::make_shared<Wakers>(*wakers_) : std::make_shared<Wakers>();
  next->emplace_back(token, std::move(waker));
  wakers_ = std::move(next);
  if (watcher) {
    unwatched_since_.reset();
  } else {
    observers_.push_back(token);
  }
  return token;
}

void Generation::unsubscribe(std::uint64_t token) {
  std::lock_guard lock(mutex_);
  if (!wakers_) {
    unwatched_since_ = Clock::now();
    return;
  }
  auto next = std::make_shared<Wakers>(*wakers_);
  std::erase_if(*next, [token](const auto& w) { return w.first == token; });
  const bool was_observer = std::erase(observers_, token) > 0;
  if (next->empty()) {
    wakers_.reset();
  } else {
    wakers_ = std::move(next);
  }
  const std::size_t watchers = (wakers_ ? wakers_->size() : 0) - observers_.size();
  if (watchers == 0 && !was_observer) unwatched_since_ = Clock::now();
}

void Generation::read_deltas(std::uint64_t& cursor, std::vector<std::string>& out,
                             std::size_t max) const {
  std::lock_guard lock(mutex_);
  while (cursor < text_end_.size() && max-- > 0) {
    std::size_t begin = cursor == 0 ? 0 : text_end_[cursor - 1];
    out.emplace_back(text_, begin, text_end_[cursor] - begin);
    ++cursor;
  }
}

std::uint64_t Generation::last_seq() const {
  std::lock_guard lock(mutex_);
  return frame_end_.size();
}

bool Generation::finished() const {
  std::lock_guard lock(mutex_);
  return outcome_.has_value();
}

std::optional<Outcome> Generation::outcome() const {
  std::lock_guard lock(mutex_);
  return outcome_;
}

std::string Generation::text() const {
  std::lock_guard lock(mutex_);
  return text_;
}

std::string Generation::text_up_to(std::uint64_t seq) const {
  std::lock_guard lock(mutex_);
  if (seq == 0) return {};
  seq = std::min<std::uint64_t>(seq, text_end_.size());
  return text_.substr(0, text_end_[seq - 1]);
}

std::size_t Generation::subscriber_count() const {
  std::lock_guard lock(mutex_);
  return (wakers_ ? wakers_->size() : 0) - observers_.size();
}

std::optional<Generation::Clock::time_point> Generation::unwatched_since() const {
  std::lock_guard lock(mutex_);
  return unwatched_since_;
}

std::optional<Generation::Clock::time_point> Generation::finished_at() const {
  std::lock_guard lock(mutex_);
  return finished_at_;
}

std::optional<std::uint64_t> Generation::cancel_shown() const {
  std::lock_guard lock(mutex_);
  return cancel_shown_;
}

store::MessageStatus Generation::cancel_status() const {
  std::lock_guard lock(mutex_);
  return cancel_status_;
}

void Generation::request_cancel(std::optional<std::uint64_t> shown, store::MessageStatus status) {
  {
    std::lock_guard lock(mutex_);
    if (outcome_ || cancel_requested_.load()) return;
    cancel_shown_ = shown;
    cancel_status_ = status;
  }
  cancel_requested_.store(true);
  asio::post(strand_, [self = shared_from_this()] {
    self->cancel_signal_.emit(asio::cancellation_type::terminal);
  });
}

bool Generation::mark_snapshot_due() {
  std::lock_guard lock(mutex_);
  if (snapshot_queued_ || snapshots_stopped_) return false;
  snapshot_queued_ = true;
  return true;
}

void Generation::save_snapshot(store::Store& store) {
  // Under the lock: stop_snapshots() cannot return while a snapshot is being handed over.
  std::lock_guard lock(mutex_);
  snapshot_queued_ = false;
  const std::uint64_t seq = text_end_.size();
  if (snapshots_stopped_ || seq == snapshot_seq_) return;
  snapshot_seq_ = seq;
  store.save_progress(message_id_, text_, static_cast<std::int64_t>(seq));
}

void Generation::stop_snapshots() {
  std::lock_guard lock(mutex_);
  snapshots_stopped_ = true;
}

asio::awaitable<bool> Generation::wait_finished(std::chrono::milliseconds timeout) {
  struct Waiter {
    explicit Waiter(asio::any_io_executor ex) : timer(std::move(ex)) {}
    asio::steady_timer timer;
    bool woken = false;  // on the waiting coroutine's executor only
  };
  auto ex = co_await asio::this_coro::executor;
  auto waiter = std::make_shared<Waiter>(ex);
  waiter->timer.expires_after(timeout);
  auto token = subscribe([weak = std::weak_ptr<Waiter>(waiter), ex] {
    asio::post(ex, [weak] {
      if (auto w = weak.lock()) {
        w->woken = true;
        w->timer.cancel();
      }
    });
  });
  while (!finished() && std::chrono::steady_clock::now() < waiter->timer.expiry()) {
    if (waiter->woken) {
      waiter->woken = false;
      continue;
    }
    co_await waiter->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  unsubscribe(token);
  co_return finished();
}

}  // namespace chatstream::generation
