// The streaming engine: head, preamble, tokens with delays and jitter, faults, tail.
// One timer per stream and no per-stream buffers beyond the frame being written.
#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "http_io.hpp"
#include "json_text.hpp"
#include "responder.hpp"
#include "textgen.hpp"

namespace chatstream::fake_upstream {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

// Keeps the streams_active counter right whichever way the coroutine ends.
class ActiveStream {
 public:
  explicit ActiveStream(Recorder& r) : r_(r) { r_.stream_started(); }
  ~ActiveStream() { r_.stream_ended(); }
  ActiveStream(const ActiveStream&) = delete;
  ActiveStream& operator=(const ActiveStream&) = delete;

 private:
  Recorder& r_;
};

StreamContext make_context(const Exchange& x) {
  StreamContext ctx;
  ctx.provider = x.provider;
  ctx.model = x.chat.model;
  ctx.id = x.provider == Provider::anthropic ? make_id("msg_", x.record_id, 24)
                                             : make_id("chatcmpl-", x.record_id, 29);
  ctx.created =
      std::chrono::duration_cast<std::chrono::seconds>(x.req.received_at.time_since_epoch())
          .count();
  ctx.seed = x.controls.seed;
  ctx.tokens = x.controls.tokens;
  ctx.prompt_tokens = x.chat.prompt_tokens;
  ctx.include_usage = x.chat.include_usage;
  ctx.finish = x.controls.finish;
  ctx.started = x.req.received_at;
  return ctx;
}

void mark_disconnected(Exchange& x) {
  x.result.outcome = Outcome::client_disconnected;
  x.result.disconnect_at = std::chrono::system_clock::now();
  x.keep_alive = false;
  x.responded = true;
}

void mark(Exchange& x, Outcome o) {
  x.result.outcome = o;
  if (o != Outcome::completed) x.keep_alive = false;
  x.responded = true;
}

// Writes the head: chunked for HTTP/1.1, close-delimited for HTTP/1.0 peers.
asio::awaitable<bool> start_stream(BodyWriter& w, Exchange& x, std::string_view content_type) {
  const bool chunked = x.req.version >= 11;
  if (!chunked) x.keep_alive = false;
  HeaderList extra{{"cache-control", "no-cache"}};
  if (x.provider == Provider::anthropic) extra.emplace_back("request-id", x.request_id);
  if (x.provider == Provider::openai) extra.emplace_back("x-request-id", x.request_id);
  x.result.status = 200;
  w.set_trickle(x.controls.trickle, microseconds(x.controls.trickle_us));
  w.set_chunked(false);
  const bool ok =
      co_await w.raw(response_head(200, content_type, extra, std::nullopt, chunked, x.keep_alive));
  w.set_chunked(chunked);
  co_return ok;
}

enum class FaultStep { go_on, ended, failed };

// Applies the fault due now. `ended`: the stream is over (result set, or the watcher decides).
asio::awaitable<FaultStep> inject_fault(Transport& t, BodyWriter& w, Exchange& x,
                                        asio::steady_timer& timer, const StreamContext& ctx) {
  switch (x.controls.fault) {
    case Fault::none:
      break;
    case Fault::malformed:
      co_return co_await w.piece(stream_malformed(ctx)) ? FaultStep::go_on : FaultStep::failed;
    case Fault::stall:
      // Hold the connection open; only the client (or shutdown) ends this.
      timer.expires_at(asio::steady_timer::time_point::max());
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      co_return FaultStep::ended;
    case Fault::reset:
      t.reset();
      mark(x, Outcome::reset);
      co_return FaultStep::ended;
    case Fault::close:
      co_await w.end();
      t.close();
      mark(x, Outcome::closed);
      co_return FaultStep::ended;
    case Fault::eof:
      t.close();
      mark(x, Outcome::eof);
      co_return FaultStep::ended;
  }
  co_return FaultStep::go_on;
}

microseconds delay_before(const Controls& c, std::size_t index) {
  if (index == 0) return milliseconds(c.first_token_delay_ms);
  return milliseconds(c.delay_ms + jitter_for(c.seed, index, c.jitter_ms));
}

// Sends `count` frames produced by `frame(i, out)` with delays and the fault, then `tail`.
template <typename Frame, typename Tail>
asio::awaitable<void> run_frames(Transport& t, BodyWriter& w, Exchange& x,
                                 asio::steady_timer& timer, const StreamContext& ctx,
                                 std::size_t count, Frame frame, Tail tail) {
  const Controls& c = x.controls;
  std::string buf;
  for (std::size_t i = 0; i <= count; ++i) {
    if (c.fault != Fault::none && i == std::min<std::size_t>(c.fault_after, count)) {
      const FaultStep step = co_await inject_fault(t, w, x, timer, ctx);
      if (step == FaultStep::ended) co_return;
      if (step == FaultStep::failed) co_return mark_disconnected(x);
    }
    if (i == count) break;
    const microseconds d = delay_before(c, i);
    if (d.count() > 0 && !co_await sleep_for(timer, d)) co_return;
    buf.clear();
    frame(i, buf);
    if (!co_await w.piece(buf)) co_return mark_disconnected(x);
    x.result.tokens_sent = i + 1;
  }
  buf.clear();
  tail(buf);
  if (!co_await w.piece(buf) || !co_await w.end()) co_return mark_disconnected(x);
  if (!x.keep_alive) t.close();
  mark(x, Outcome::completed);
}

}  // namespace

asio::awaitable<void> stream_generated(Transport& t, Recorder& rec, Exchange& x) {
  ActiveStream active(rec);
  asio::steady_timer timer(co_await asio::this_coro::executor);
  BodyWriter w(t, timer);
  const StreamContext ctx = make_context(x);
  if (!co_await start_stream(w, x, stream_content_type(x.provider))) co_return mark_disconnected(x);
  if (!co_await w.piece(stream_head(ctx))) co_return mark_disconnected(x);
  co_await run_frames(
      t, w, x, timer, ctx, ctx.tokens,
      [&ctx](std::size_t i, std::string& out) { append_stream_token(out, ctx, i); },
      [&ctx, &x](std::string& out) { out = stream_tail(ctx, x.result.tokens_sent); });
}

asio::awaitable<void> stream_fixture(Transport& t, Recorder& rec, Exchange& x, std::string body,
                                     std::string content_type) {
  ActiveStream active(rec);
  asio::steady_timer timer(co_await asio::this_coro::executor);
  BodyWriter w(t, timer);
  const StreamContext ctx = make_context(x);
  if (!co_await start_stream(w, x, content_type)) co_return mark_disconnected(x);
  const Controls& c = x.controls;
  const bool paced = c.delay_ms || c.jitter_ms || c.first_token_delay_ms || c.fault != Fault::none;
  std::vector<std::string_view> frames;
  if (paced) {
    frames = split_frames(body, content_type == "application/x-ndjson");
  } else {
    frames.emplace_back(body);
  }
  co_await run_frames(
      t, w, x, timer, ctx, frames.size(),
      [&frames](std::size_t i, std::string& out) { out.assign(frames[i]); },
      [](std::string& out) { out.clear(); });
}

}  // namespace chatstream::fake_upstream
