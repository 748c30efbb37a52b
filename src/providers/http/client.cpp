// HttpClient: the connection pool and the request coroutine with its deadline handler.
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <stdexcept>

#include "providers/http/detail.hpp"
#include "util/deadline.hpp"
#include "util/serial.hpp"

namespace chatstream::providers {

namespace {

using namespace http_detail;  // NOLINT(google-build-using-namespace): .cpp only

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Everything one request needs, with its deadlines: shared by HttpClient::stream's frame and
// the pending deadline handler. Built before the first suspension; the frame holds a pointer.
struct Call final : Guard {
  explicit Call(const asio::any_io_executor& ex) : Guard(ex) {}
  HttpClient::Impl* impl = nullptr;
  Target target;
  std::optional<Proxy> proxy;
  std::string pool_key;
  std::string wire;
  std::string request_id;
  ExchangeResult result;  // of the last exchange
};

// Parses and serializes the request; null (and `error`) when the URL is unusable.
std::shared_ptr<Call> prepare(HttpClient::Impl* impl, HttpRequest& request,
                              const asio::any_io_executor& ex, std::string& error) {
  std::optional<Proxy> proxy;
  auto target = impl->target(request.url, error, proxy);
  if (!target) return nullptr;
  auto call = std::make_shared<Call>(ex);
  call->impl = impl;
  call->target = std::move(*target);
  call->proxy = std::move(proxy);
  // Connections belong to the io_context they were opened on: the key includes it.
  const void* context = &asio::query(ex, asio::execution::context);
  call->pool_key = call->target.origin.key() +
                   (call->proxy ? " via " + call->proxy->origin.key() : "") + " @" +
                   std::to_string(reinterpret_cast<std::uintptr_t>(context));
  call->wire = serialize_request(request, call->target);
  // The wire bytes are all that is sent: the request's headers and body are not kept for the
  // length of the stream.
  std::vector<HttpHeader>().swap(request.headers);
  std::string().swap(request.body);
  std::string().swap(request.url);
  call->request_id = std::move(request.request_id);
  if (impl->config.total_timeout.count() > 0)
    call->total_deadline = util::coalesced_deadline(Clock::now(), impl->config.total_timeout);
  if (impl->logger) {
    impl->logger->debug("[{}] upstream {} {}{}{}", call->request_id, request.method,
                        call->target.origin.key(), call->target.path,
                        call->proxy ? " (via proxy)" : "");
  }
  return call;
}

// After an exchange: true when the pooled connection had been closed by the server and may be
// replaced once (nothing was received, no deadline, no cancellation).
bool stale(const ExchangeResult& ex, bool reused, bool interrupted) {
  return reused && !interrupted && ex.failure == HttpFailure::closed && !ex.head_received &&
         ex.bytes_received == 0;
}

// The exchange is over: pool or close the connection.
void settle(Call& call, std::unique_ptr<Connection> conn, const ExchangeResult& ex,
            bool interrupted) {
  call.conn = nullptr;
  if (ex.complete && ex.keep_alive && !interrupted) {
    call.impl->checkin(call.pool_key, std::move(conn));
  } else {
    conn->close();
  }
}

// Not coroutines: the arguments of the coroutines they start are built here, not in the
// (long-lived) frame of HttpClient::stream.
asio::awaitable<ConnectResult> connect(Call& call) {
  return open_connection(call.impl, call.target.origin, call.proxy, &call);
}

asio::awaitable<HttpOutcome> on_own_strand(HttpClient& client, const asio::any_io_executor& ex,
                                           HttpRequest& request, HttpClient::HeadHandler& on_head,
                                           HttpClient::BodyHandler& on_body) {
  return asio::co_spawn(util::make_serial(ex),
                        client.stream(std::move(request), std::move(on_head), std::move(on_body)),
                        asio::use_awaitable);
}

HttpOutcome outcome_of(const ExchangeResult& ex) {
  return HttpOutcome{ex.failure, ex.detail, ex.head_received, ex.complete, ex.stopped};
}

std::string describe(HttpFailure f, const HttpClientConfig& c) {
  const auto ms = [](std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; };
  switch (f) {
    case HttpFailure::timeout_connect:
      return "upstream connect timeout (" + ms(c.connect_timeout) + ")";
    case HttpFailure::timeout_first_byte:
      return "upstream first byte timeout (" + ms(c.first_byte_timeout) + ")";
    case HttpFailure::timeout_idle:
      return "upstream idle timeout (" + ms(c.idle_timeout) + " without data)";
    case HttpFailure::timeout_total:
      return "upstream total timeout (" + ms(c.total_timeout) + ")";
    default:
      return "upstream timeout";
  }
}

// The request is over: deadlines and cancellation decide the failure reported.
HttpOutcome finish(Call& call, HttpOutcome out) {
  call.finish();
  if (call.fired && !out.complete) {
    out.failure = call.fired_as;
    out.detail = describe(call.fired_as, call.impl->config);
  } else if (call.cancelled && !out.complete) {
    out.failure = HttpFailure::cancelled;
    out.detail = "request cancelled";
  }
  if (call.impl->logger && out.failure != HttpFailure::none) {
    call.impl->logger->info("[{}] upstream {}{}: {}", call.request_id, call.target.origin.key(),
                            call.target.path, out.detail);
  }
  return out;
}

}  // namespace

const char* to_string(HttpFailure failure) noexcept {
  switch (failure) {
    case HttpFailure::none:
      return "none";
    case HttpFailure::connect:
      return "connect";
    case HttpFailure::timeout_connect:
      return "timeout_connect";
    case HttpFailure::timeout_first_byte:
      return "timeout_first_byte";
    case HttpFailure::timeout_idle:
      return "timeout_idle";
    case HttpFailure::timeout_total:
      return "timeout_total";
    case HttpFailure::cancelled:
      return "cancelled";
    case HttpFailure::protocol:
      return "protocol";
    case HttpFailure::closed:
      return "closed";
  }
  return "unknown";
}

std::string_view HttpResponseHead::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (iequals(h.name, name)) return h.value;
  }
  return {};
}

HttpClient::Impl::Impl(HttpClientConfig cfg, std::shared_ptr<spdlog::logger> log)
    : config(std::move(cfg)), logger(std::move(log)) {
  tls_context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                          ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                          ssl::context::no_tlsv1_1);
  SSL_CTX_set_min_proto_version(tls_context.native_handle(), TLS1_2_VERSION);
  boost::system::error_code ec;
  if (config.use_system_ca) tls_context.set_default_verify_paths(ec);
  if (!config.ca_file.empty()) {
    tls_context.load_verify_file(config.ca_file, ec);
    if (ec)
      throw std::runtime_error("cannot load CA file '" + config.ca_file + "': " + ec.message());
  }
  tls_context.set_verify_mode(ssl::verify_peer);
}

std::optional<Target> HttpClient::Impl::target(const std::string& url, std::string& error,
                                               std::optional<Proxy>& proxy) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = targets_.find(url); it != targets_.end()) {
      proxy = it->second.proxy;
      return it->second.target;
    }
  }
  auto parsed = parse_url(url, error);
  if (!parsed) return std::nullopt;
  proxy = proxy_for(parsed->origin, config);
  std::lock_guard lock(mutex_);
  if (targets_.size() >= kMaxTargets) targets_.clear();
  targets_.insert_or_assign(url, Resolved{*parsed, proxy});
  return parsed;
}

std::unique_ptr<Connection> HttpClient::Impl::checkout(const std::string& key) {
  std::vector<std::unique_ptr<Connection>> dead;  // closed outside the lock
  std::unique_ptr<Connection> found;
  {
    std::lock_guard lock(mutex_);
    auto it = idle_.find(key);
    while (it != idle_.end() && !it->second.empty() && !found) {
      IdleConnection idle = std::move(it->second.back());
      it->second.pop_back();
      if (Clock::now() - idle.since < config.pool_idle_timeout && idle.conn->looks_reusable()) {
        found = std::move(idle.conn);
      } else {
        dead.push_back(std::move(idle.conn));
      }
    }
  }
  stale_replaced += dead.size();
  for (auto& c : dead) c->close();
  return found;
}

void HttpClient::Impl::checkin(const std::string& key, std::unique_ptr<Connection> conn) {
  std::unique_ptr<Connection> evicted;
  {
    std::lock_guard lock(mutex_);
    auto& list = idle_[key];
    list.push_back({std::move(conn), Clock::now()});
    if (list.size() > config.max_idle_per_origin) {
      evicted = std::move(list.front().conn);
      list.erase(list.begin());
    }
  }
  if (evicted) evicted->close();
}

void HttpClient::Impl::clear() {
  std::map<std::string, std::vector<IdleConnection>> all;
  {
    std::lock_guard lock(mutex_);
    all.swap(idle_);
  }
  for (auto& [key, list] : all) {
    for (auto& idle : list) idle.conn->close();
  }
}

HttpClient::HttpClient(HttpClientConfig config, std::shared_ptr<spdlog::logger> logger)
    : impl_(std::make_shared<Impl>(std::move(config), std::move(logger))) {}

HttpClient::~HttpClient() = default;

HttpClientStats HttpClient::stats() const {
  return {impl_->connections_opened.load(), impl_->tls_handshakes.load(), impl_->reused.load(),
          impl_->stale_replaced.load(), impl_->name_lookups.load()};
}

const HttpClientConfig& HttpClient::config() const {
  return impl_->config;
}
std::shared_ptr<spdlog::logger> HttpClient::logger() const {
  return impl_->logger;
}
void HttpClient::clear_pool() {
  impl_->clear();
}

// The request runs in this coroutine, on the caller's (serial) executor; its deadlines are a timer
// handler, not a second coroutine.
asio::awaitable<HttpOutcome> HttpClient::stream(HttpRequest request, HeadHandler on_head,
                                                BodyHandler on_body) {
  co_await asio::this_coro::throw_if_cancelled(false);
  if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) {
    co_return HttpOutcome{HttpFailure::cancelled, "request cancelled", false, false, false};
  }
  co_await asio::this_coro::reset_cancellation_state(asio::enable_partial_cancellation());
  const auto exec = co_await asio::this_coro::executor;
  if (!util::is_serial(exec)) {
    // The deadline handler and the request must be serialized: run on a strand of our own.
    co_return co_await on_own_strand(*this, exec, request, on_head, on_body);
  }
  std::string error;
  const std::shared_ptr<Call> call = prepare(impl_.get(), request, exec, error);
  if (!call) co_return HttpOutcome{HttpFailure::connect, std::move(error), false, false, false};
  HttpOutcome out;
  std::unique_ptr<Connection> conn = impl_->checkout(call->pool_key);
  bool reused = conn != nullptr;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!conn) {
      ConnectResult cr = co_await connect(*call);
      call->conn = cr.conn.get();
      if (!cr.conn) {
        out = HttpOutcome{cr.failure, std::move(cr.detail), false, false, false};
        break;
      }
      conn = std::move(cr.conn);
      reused = false;
    } else {
      ++impl_->reused;
    }
    call->conn = conn.get();
    co_await exchange(conn.get(), call.get(), &impl_->config, &call->wire, &on_head, &on_body,
                      &call->result);
    const ExchangeResult& res = call->result;
    const bool interrupted =
        call->fired ||
        (co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none;
    if (stale(res, reused, interrupted)) {
      call->conn = nullptr;  // the server had closed the idle connection: replace it once
      conn->close();
      conn.reset();
      ++impl_->stale_replaced;
      reused = false;
      continue;
    }
    settle(*call, std::move(conn), res, interrupted);
    out = outcome_of(res);
    break;
  }
  if (!call->fired &&
      (co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) {
    call->cancelled = true;  // our operation was aborted by the caller's cancellation
  }
  co_return finish(*call, std::move(out));
}

}  // namespace chatstream::providers
