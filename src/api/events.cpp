// GET /api/messages/{mid}/events: live from the generation's log when it is running or in
// its grace period (here, or with several instances followed from the one running it), else
// replayed from the store.
#include <charconv>

#include "api/handlers.hpp"
#include "api/json.hpp"
#include "api/sources.hpp"
#include "generation/hub.hpp"
#include "http/error.hpp"
#include "sse/encoder.hpp"
#include "store/store.hpp"
#include "util/id.hpp"

namespace chatstream::api {

LiveEventSource::LiveEventSource(std::shared_ptr<generation::Generation> g, std::uint64_t after,
                                 std::string prefix)
    : generation_(std::move(g)), cursor_(after), prefix_(std::move(prefix)) {}

LiveEventSource::~LiveEventSource() {
  on_close();
}

void LiveEventSource::set_waker(Waker waker) {
  if (token_ == 0) token_ = generation_->subscribe(std::move(waker));
}

bool LiveEventSource::pull(std::string& out) {
  if (!prefix_.empty()) {
    out += prefix_;
    prefix_.clear();
  }
  return generation_->read_frames(cursor_, out);
}

void LiveEventSource::on_close() {
  if (token_ != 0) {
    generation_->unsubscribe(token_);
    token_ = 0;
  }
}

namespace {

// `after` from Last-Event-ID (what EventSource sends on reconnect) or ?after=.
std::optional<std::uint64_t> resume_point(const http::Request& req, bool& malformed) {
  malformed = false;
  std::string value(req.header("last-event-id"));
  if (value.empty()) value = req.query_param("after").value_or("");
  if (value.empty()) return 0;
  std::uint64_t n = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || p != value.data() + value.size()) {
    malformed = true;
    return std::nullopt;
  }
  return n;
}

// A stored message as a stream: its whole content as one delta (unless the client already
// has it), then the terminal event. A client that had only part of it (its live log is
// gone) gets the whole text with "replace": true.
std::string stored_frames(const store::Message& m, std::uint64_t after) {
  auto outcome = generation::outcome_of(m);
  std::uint64_t seq = std::max<std::uint64_t>(outcome.last_seq, m.content.empty() ? 0 : 1);
  outcome.last_seq = seq;
  std::string frames;
  if (!m.content.empty() && after < seq) {
    std::string data = "{\"text\":";
    sse::append_json_string(data, m.content);
    data += after > 0 ? ",\"replace\":true}" : "}";
    sse::append_event(frames, "delta", data, std::to_string(seq));
  }
  frames += generation::terminal_frame(outcome);
  return frames;
}

// Another instance generates it, and the shared stream cannot be reached from here: an error
// the client may retry (nothing about the message itself is final).
std::string unavailable_frame(const store::Message& m) {
  const auto seq = static_cast<std::uint64_t>(std::max<std::int64_t>(m.delta_seq, 0));
  return "retry: 1000\n\n" + generation::terminal_frame(generation::unavailable_outcome(seq));
}

}  // namespace

Reply message_events(ApiContext* ctx, http::Request req) {
  std::string id(req.param("mid"));
  if (!util::is_valid_id(id)) co_return not_found("Message");
  bool malformed = false;
  auto after = resume_point(req, malformed);
  if (malformed) {
    co_return http::json_error(400, "invalid_last_event_id",
                               "Last-Event-ID / after must be a delta number.");
  }
  auto user = user_of(req);
  http::Response r;
  if (auto g = ctx->hub.find(id); g && g->user_id() == user) {
    r.sse = std::make_shared<LiveEventSource>(std::move(g), *after);
    co_return r;
  }
  auto m = co_await ctx->store.get_message(user, id);
  if (!m || m->role != store::Role::assistant) co_return not_found("Message");
  // It may have started or ended between the two lookups: prefer the live log.
  if (auto g = ctx->hub.find(id); g && g->user_id() == user) {
    r.sse = std::make_shared<LiveEventSource>(std::move(g), *after);
    co_return r;
  }
  if (m->status == store::MessageStatus::streaming && ctx->hub.clustered()) {
    if (auto g = co_await ctx->hub.attach(*m, user)) {
      r.sse = std::make_shared<LiveEventSource>(std::move(g), *after);
    } else {
      r.sse = std::make_shared<FixedEventSource>(unavailable_frame(*m));
    }
    co_return r;
  }
  r.sse = std::make_shared<FixedEventSource>(stored_frames(*m, *after));
  co_return r;
}

}  // namespace chatstream::api
