#include "runner.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cmath>
#include <optional>

#include "wire.hpp"

namespace chatstream::loadgen {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using asio::awaitable;
constexpr auto io = asio::as_tuple(asio::use_awaitable);

const char* error_name(ErrorKind k) {
  static constexpr const char* names[] = {"connect", "status", "protocol",     "closed",     "read",
                                          "timeout", "api",    "short_stream", "error_event"};
  return names[static_cast<std::size_t>(k)];
}

namespace {

std::uint64_t micros(Clock::duration d) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(d).count());
}

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

// One event-stream connection. Owned by its Unit; the buffers keep their capacity between
// streams, so a stream allocates nothing per token.
struct Sub {
  std::optional<tcp::socket> socket;
  std::vector<char> buffer;
  ResponseReader reader;
  SseScanner scanner;
  Clock::time_point last_activity{};
  Clock::time_point last_token{};
  Clock::time_point drop_time{};
  std::uint64_t catch_target = 0;
  bool active = false;
  bool timed_out = false;
  bool drop_requested = false;
  bool awaiting_catchup = false;
  bool resumed = false;
};

// One generation and its subscribers.
struct Unit {
  std::vector<Sub> subs;
  std::string events_path;  // chatstream: /api/messages/{id}/events
  Clock::time_point start{};
  std::size_t running = 0;  // subscribers still streaming
  std::optional<asio::steady_timer> all_done;

  std::uint64_t max_id() const {
    std::uint64_t m = 0;
    for (const auto& s : subs) m = std::max(m, s.scanner.counters().last_id);
    return m;
  }
};

struct Runner::Impl {
  explicit Impl(Options o)
      : opt(std::move(o)), endpoint(asio::ip::make_address(opt.host), opt.port) {}

  Options opt;
  asio::io_context ctx{1};
  tcp::endpoint endpoint;
  std::vector<Unit> units;
  Results res;
  std::string stream_request;  // openai / sse: the same bytes for every stream
  std::size_t slots_running = 0;
  Clock::time_point deadline{};
  bool aborting = false;

  void init();
  std::string host_header() const { return opt.host + ":" + std::to_string(opt.port); }
  std::string events_request(const Unit& u, std::uint64_t last_id) const;
  void on_tokens(Unit& u, Sub& s, std::size_t n, Clock::time_point now);
  void finish_sub(Sub& s, std::optional<ErrorKind> err);
  void drop_now();
  void check_idle(Clock::time_point now);
};

Runner::Runner(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Runner::~Runner() = default;

void Runner::Impl::init() {
  units.resize(opt.streams);
  TokenKey key = opt.kind == TargetKind::openai ? TokenKey::content : TokenKey::text;
  for (auto& u : units) {
    u.subs.resize(opt.subscribers);
    for (auto& s : u.subs) {
      s.buffer.resize(opt.read_buffer);
      s.scanner = SseScanner(key);
    }
    u.all_done.emplace(ctx);
  }
  if (opt.kind == TargetKind::openai) {
    std::string body =
        R"({"model":")" + opt.model +
        R"(","stream":true,"messages":[{"role":"user","content":"Say something."}]})";
    stream_request = "POST " + opt.path + " HTTP/1.1\r\nHost: " + host_header() +
                     "\r\nContent-Type: application/json\r\nAccept: text/event-stream\r\n"
                     "Content-Length: " +
                     std::to_string(body.size()) + "\r\n\r\n" + body;
  } else if (opt.kind == TargetKind::sse) {
    stream_request = "GET " + opt.path + " HTTP/1.1\r\nHost: " + host_header() +
                     "\r\nAccept: text/event-stream\r\n\r\n";
  }
  double expected = opt.duration_s > 0
                        ? opt.duration_s
                        : opt.ramp_s + std::ceil(double(opt.count) / opt.streams) *
                                           (opt.tokens * opt.delay_ms / 1000.0 + 5.0);
  deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(expected + opt.grace_s));
  auto slots = static_cast<std::size_t>((expected + opt.grace_s) / opt.timeline_step_s) + 2;
  res.timeline.assign(std::min<std::size_t>(slots, 1'000'000), 0);
}

std::string Runner::Impl::events_request(const Unit& u, std::uint64_t last_id) const {
  std::string r = "GET " + u.events_path + " HTTP/1.1\r\nHost: " + host_header() +
                  "\r\nAccept: text/event-stream\r\n";
  if (last_id > 0) r += "Last-Event-ID: " + std::to_string(last_id) + "\r\n";
  return r + "\r\n";
}

void Runner::Impl::on_tokens(Unit& u, Sub& s, std::size_t n, Clock::time_point now) {
  res.tokens += n;
  auto slot = static_cast<std::size_t>(seconds(now - res.t0) / opt.timeline_step_s);
  res.timeline[std::min(slot, res.timeline.size() - 1)] += n;
  std::uint64_t total = s.scanner.counters().tokens;
  if (total == n) res.ttft.add(micros(now - u.start));
  if (s.awaiting_catchup) {
    if (s.scanner.counters().last_id >= s.catch_target || s.scanner.counters().done) {
      s.awaiting_catchup = false;
      ++res.caught_up;
      res.catchup.add(micros(now - s.drop_time));
    }
    s.last_token = now;
    return;
  }
  if (total != n) res.gap.add(micros(now - s.last_token));
  for (std::size_t i = 1; i < n && total > 1; ++i) res.gap.add(0);
  s.last_token = now;
}

void Runner::Impl::finish_sub(Sub& s, std::optional<ErrorKind> err) {
  const auto& c = s.scanner.counters();
  if (!err && c.error) err = ErrorKind::error_event;
  if (!err && !c.done) err = s.timed_out ? ErrorKind::timeout : ErrorKind::closed;
  if (!err && c.tokens != opt.tokens) err = ErrorKind::short_stream;
  res.id_gaps += c.gaps;
  res.id_dups += c.dups;
  if (err) {
    ++res.errors[static_cast<std::size_t>(*err)];
  } else {
    ++res.ok;
    ++res.content_checked;
    if (!res.has_reference) {
      res.has_reference = true;
      res.reference_hash = c.hash.value;
    } else if (c.hash.value != res.reference_hash) {
      ++res.content_mismatch;
    }
  }
  if (s.awaiting_catchup) s.awaiting_catchup = false;
  boost::system::error_code ec;
  if (s.socket) s.socket->close(ec);
  s.socket.reset();
  s.active = false;
  --res.active;
  res.last_end = Clock::now();
}

namespace {

// Connects `s` and sends `request`.
awaitable<boost::system::error_code> open_stream(Runner::Impl* r, Sub* s, std::string request) {
  s->socket.emplace(r->ctx);
  auto [ec] = co_await s->socket->async_connect(r->endpoint, io);
  if (ec) co_return ec;
  s->socket->set_option(tcp::no_delay(true), ec);
  s->reader.reset();
  auto [wec, n] = co_await asio::async_write(*s->socket, asio::buffer(request), io);
  (void)n;
  co_return wec;
}

// Reads one event stream to its end (reconnecting with Last-Event-ID when dropped on purpose).
awaitable<void> stream_sub(Runner::Impl* r, Unit* u, Sub* s, std::string request) {
  s->scanner.reset();
  s->timed_out = s->drop_requested = s->awaiting_catchup = s->resumed = false;
  s->active = true;
  s->last_activity = Clock::now();
  ++r->res.subscribed;
  r->res.peak_active = std::max(r->res.peak_active, ++r->res.active);
  if (auto ec = co_await open_stream(r, s, std::move(request))) {
    r->finish_sub(*s, ErrorKind::connect);
    co_return;
  }
  std::optional<ErrorKind> err;
  for (;;) {
    auto [ec, n] = co_await s->socket->async_read_some(asio::buffer(s->buffer), io);
    auto now = Clock::now();
    if (ec && s->drop_requested && !r->aborting) {
      s->drop_requested = false;
      s->scanner.resume();
      s->resumed = true;
      std::uint64_t last = s->scanner.counters().last_id;
      s->catch_target = std::max(u->max_id(), last);
      s->awaiting_catchup = s->catch_target > last;
      if (!s->awaiting_catchup) ++r->res.caught_up, r->res.catchup.add(micros(now - s->drop_time));
      if (co_await open_stream(r, s, r->events_request(*u, last))) {
        err = ErrorKind::connect;
        break;
      }
      continue;
    }
    if (ec) {
      if (s->timed_out) {
        err = ErrorKind::timeout;
      } else if (ec != asio::error::eof) {
        err = ErrorKind::read;
      }
      break;
    }
    s->last_activity = now;
    r->res.bytes += n;
    std::size_t tokens = 0;
    auto state = s->reader.feed(s->buffer.data(), n, [&](const char* p, std::size_t len) {
      if (s->reader.status() == 200) tokens += s->scanner.feed(p, len);
    });
    if (tokens > 0) r->on_tokens(*u, *s, tokens, now);
    if (state == ResponseReader::State::failed) err = ErrorKind::protocol;
    if (state == ResponseReader::State::failed) break;
    if (state != ResponseReader::State::head && s->reader.status() != 200) {
      err = ErrorKind::status;
      break;
    }
    if (s->scanner.counters().done || s->scanner.counters().error) break;
    if (state == ResponseReader::State::complete) break;
  }
  r->finish_sub(*s, err);
}

// A request with a JSON answer on `socket` (keep-alive); returns the parsed body or null.
awaitable<boost::json::value> call_json(Runner::Impl* r, tcp::socket* socket, std::string method,
                                        std::string path, std::string body) {
  std::string req =
      method + " " + path + " HTTP/1.1\r\nHost: " + r->host_header() +
      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\n\r\n" + body;
  auto [wec, wn] = co_await asio::async_write(*socket, asio::buffer(req), io);
  (void)wn;
  if (wec) co_return nullptr;
  ResponseReader reader;
  reader.keep_body = true;
  std::array<char, 4096> buf;
  while (reader.state() == ResponseReader::State::head ||
         reader.state() == ResponseReader::State::body) {
    auto [ec, n] = co_await socket->async_read_some(asio::buffer(buf), io);
    if (ec) break;
    reader.feed(buf.data(), n, [](const char*, std::size_t) {});
  }
  if (reader.state() != ResponseReader::State::complete || reader.status() / 100 != 2) {
    co_return nullptr;
  }
  boost::system::error_code ec;
  auto v = boost::json::parse(reader.body, ec);
  if (ec) co_return nullptr;
  co_return v;
}

std::string json_id(const boost::json::value& v, std::string_view inner) {
  const auto* o = v.if_object();
  if (o == nullptr) return {};
  if (!inner.empty()) {
    const auto* in = o->if_contains(inner);
    if (in == nullptr || !in->is_object()) return {};
    o = &in->get_object();
  }
  const auto* id = o->if_contains("id");
  return id != nullptr && id->is_string() ? std::string(id->get_string()) : std::string{};
}

// chatstream: creates a conversation and posts a message; fills u->events_path.
awaitable<bool> start_chatstream(Runner::Impl* r, Unit* u) {
  tcp::socket socket(r->ctx);
  auto [ec] = co_await socket.async_connect(r->endpoint, io);
  if (ec) co_return false;
  socket.set_option(tcp::no_delay(true), ec);
  std::string model = R"({"title":"bench","model":")" + r->opt.model + "\"}";
  auto conv = co_await call_json(r, &socket, "POST", "/api/conversations", model);
  std::string cid = json_id(conv, "");
  if (cid.empty()) co_return false;
  u->start = Clock::now();
  std::string msg = R"({"content":"Say something.","model":")" + r->opt.model + "\"}";
  auto sent =
      co_await call_json(r, &socket, "POST", "/api/conversations/" + cid + "/messages", msg);
  std::string mid = json_id(sent, "assistant_message");
  if (mid.empty()) co_return false;
  u->events_path = "/api/messages/" + mid + "/events";
  co_return true;
}

awaitable<void> run_sub_and_signal(Runner::Impl* r, Unit* u, Sub* s, std::string request) {
  co_await stream_sub(r, u, s, std::move(request));
  if (--u->running == 0) u->all_done->cancel();
}

// One generation: its subscribers run in parallel; returns when all have ended.
awaitable<void> run_generation(Runner::Impl* r, Unit* u) {
  ++r->res.started;
  if (r->opt.kind != TargetKind::chatstream) {
    u->start = Clock::now();
    co_await stream_sub(r, u, &u->subs[0], r->stream_request);
    co_return;
  }
  if (!co_await start_chatstream(r, u)) {
    ++r->res.errors[static_cast<std::size_t>(ErrorKind::api)];
    r->res.last_end = Clock::now();
    co_return;
  }
  u->running = u->subs.size();
  for (auto& s : u->subs) {
    asio::co_spawn(r->ctx, run_sub_and_signal(r, u, &s, r->events_request(*u, 0)), asio::detached);
  }
  u->all_done->expires_at(Clock::time_point::max());
  while (u->running > 0) co_await u->all_done->async_wait(io);
}

awaitable<void> slot_loop(Runner::Impl* r, std::size_t index) {
  asio::steady_timer timer(r->ctx);
  auto ramp = std::chrono::duration<double>(r->opt.ramp_s * double(index) / r->opt.streams);
  timer.expires_at(r->res.t0 + std::chrono::duration_cast<Clock::duration>(ramp));
  co_await timer.async_wait(io);
  auto end = r->res.t0 + std::chrono::duration_cast<Clock::duration>(
                             std::chrono::duration<double>(r->opt.duration_s));
  for (;;) {
    if (r->aborting) break;
    if (r->opt.duration_s > 0 ? Clock::now() >= end : r->res.started >= r->opt.count) break;
    if (r->res.started == 0) r->res.first_start = Clock::now();
    co_await run_generation(r, &r->units[index]);
  }
  --r->slots_running;
}

}  // namespace

void Runner::Impl::drop_now() {
  std::uint32_t chosen = 0;
  auto now = Clock::now();
  for (std::size_t j = 0; j < opt.subscribers && chosen < opt.drop; ++j) {
    for (auto& u : units) {
      if (chosen >= opt.drop) break;
      Sub& s = u.subs[j];
      if (!s.active || !s.socket || s.scanner.counters().done || s.drop_requested) continue;
      s.drop_requested = true;
      s.drop_time = now;
      boost::system::error_code ec;
      s.socket->close(ec);
      ++chosen;
    }
  }
  res.dropped = chosen;
}

void Runner::Impl::check_idle(Clock::time_point now) {
  auto idle = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(opt.idle_timeout_s));
  bool past_deadline = now > deadline;
  if (past_deadline) aborting = true;
  for (auto& u : units) {
    for (auto& s : u.subs) {
      if (!s.active || !s.socket) continue;
      if (past_deadline || now - s.last_activity > idle) {
        s.timed_out = true;
        boost::system::error_code ec;
        s.socket->close(ec);
      }
    }
  }
}

namespace {

awaitable<void> watchdog(Runner::Impl* r) {
  asio::steady_timer timer(r->ctx);
  bool dropped = r->opt.drop == 0;
  auto drop_at = r->res.t0 + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(r->opt.drop_at_s));
  while (r->slots_running > 0) {
    auto now = Clock::now();
    auto next = now + std::chrono::milliseconds(250);
    if (!dropped && drop_at <= next) next = drop_at;
    timer.expires_at(next);
    co_await timer.async_wait(io);
    now = Clock::now();
    if (!dropped && now >= drop_at) {
      dropped = true;
      r->drop_now();
    }
    r->check_idle(now);
    // Something that ignores closed sockets (a hung request) must not keep the run alive.
    if (now > r->deadline + std::chrono::seconds(5)) r->ctx.stop();
  }
}

double timeval_s(const timeval& tv) {
  return double(tv.tv_sec) + double(tv.tv_usec) / 1e6;
}

}  // namespace

Results Runner::run() {
  Impl& r = *impl_;
  r.init();
  rusage before{};
  getrusage(RUSAGE_SELF, &before);
  r.res.t0 = Clock::now();
  r.res.first_start = r.res.last_end = r.res.t0;
  r.slots_running = r.units.size();
  for (std::size_t i = 0; i < r.units.size(); ++i) {
    asio::co_spawn(r.ctx, slot_loop(&r, i), asio::detached);
  }
  asio::co_spawn(r.ctx, watchdog(&r), asio::detached);
  r.ctx.run();
  rusage after{};
  getrusage(RUSAGE_SELF, &after);
  r.res.wall_s = seconds(Clock::now() - r.res.t0);
  r.res.cpu_user_s = timeval_s(after.ru_utime) - timeval_s(before.ru_utime);
  r.res.cpu_sys_s = timeval_s(after.ru_stime) - timeval_s(before.ru_stime);
  r.res.max_rss_kb = after.ru_maxrss;
  return std::move(r.res);
}

}  // namespace chatstream::loadgen
