// HttpClient: the connection pool and the request coroutine raced against its watchdog.
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <stdexcept>

#include "providers/http/detail.hpp"

namespace chatstream::providers {

namespace {

using namespace http_detail;  // NOLINT(google-build-using-namespace): .cpp only

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Everything one request needs; lives in HttpClient::stream's frame.
struct Call {
  HttpClient::Impl* impl = nullptr;
  Target target;
  std::optional<Proxy> proxy;
  std::string pool_key;
  std::string wire;
  HttpClient::HeadHandler* on_head = nullptr;
  HttpClient::BodyHandler* on_body = nullptr;
  Guard* guard = nullptr;
  HttpOutcome out;
};

void finish_with(Call* call, const ExchangeResult& ex) {
  call->out.failure = ex.failure;
  call->out.detail = ex.detail;
  call->out.head_received = ex.head_received;
  call->out.complete = ex.complete;
  call->out.stopped = ex.stopped;
}

asio::awaitable<void> run_call(Call* call) {
  co_await asio::this_coro::throw_if_cancelled(false);
  co_await asio::this_coro::reset_cancellation_state(asio::enable_partial_cancellation());
  Guard* guard = call->guard;
  std::unique_ptr<Connection> conn = call->impl->checkout(call->pool_key);
  bool reused = conn != nullptr;
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!conn) {
      ConnectResult cr =
          co_await open_connection(call->impl, call->target.origin, call->proxy, guard);
      guard->conn = cr.conn.get();
      if (!cr.conn) {
        call->out.failure = cr.failure;
        call->out.detail = cr.detail;
        break;
      }
      conn = std::move(cr.conn);
      reused = false;
    } else {
      ++call->impl->reused;
      guard->conn = conn.get();
    }
    const ExchangeResult ex = co_await exchange(conn.get(), guard, &call->impl->config, call->wire,
                                                call->on_head, call->on_body);
    const bool interrupted = guard->fired || guard->cancelled;
    if (reused && !interrupted && ex.failure == HttpFailure::closed && !ex.head_received &&
        ex.bytes_received == 0) {
      guard->conn = nullptr;  // the server had closed the idle connection: replace it once
      conn->close();
      conn.reset();
      ++call->impl->stale_replaced;
      reused = false;
      continue;
    }
    finish_with(call, ex);
    guard->conn = nullptr;
    if (ex.complete && ex.keep_alive && !interrupted) {
      call->impl->checkin(call->pool_key, std::move(conn));
    } else {
      conn->close();
    }
    break;
  }
  if (!guard->fired &&
      (co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) {
    guard->cancelled = true;  // our read was aborted by the caller's cancellation
  }
  guard->conn = nullptr;
  guard->done = true;
  guard->timer.cancel();
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
          impl_->stale_replaced.load()};
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

asio::awaitable<HttpOutcome> HttpClient::stream(HttpRequest request, HeadHandler on_head,
                                                BodyHandler on_body) {
  co_await asio::this_coro::throw_if_cancelled(false);
  if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) {
    co_return HttpOutcome{HttpFailure::cancelled, "request cancelled", false, false, false};
  }
  co_await asio::this_coro::reset_cancellation_state(asio::enable_partial_cancellation());
  Call call;
  call.impl = impl_.get();
  std::string error;
  auto target = parse_url(request.url, error);
  if (!target) co_return HttpOutcome{HttpFailure::connect, error, false, false, false};
  call.target = std::move(*target);
  call.proxy = proxy_for(call.target.origin, impl_->config);
  // Connections belong to the io_context they were opened on: the key includes it.
  auto ex = co_await asio::this_coro::executor;
  const void* context = &asio::query(ex, asio::execution::context);
  call.pool_key = call.target.origin.key() +
                  (call.proxy ? " via " + call.proxy->origin.key() : "") + " @" +
                  std::to_string(reinterpret_cast<std::uintptr_t>(context));
  call.wire = serialize_request(request, call.target);
  // The wire bytes are all that is sent: the request's headers and body are not kept for the
  // length of the stream, and neither are the wire bytes once a head came (no resend after it).
  std::vector<HttpHeader>().swap(request.headers);
  std::string().swap(request.body);
  HeadHandler head_then_release = [&call, &on_head](const HttpResponseHead& head) {
    std::string().swap(call.wire);
    if (on_head) on_head(head);
  };
  call.on_head = &head_then_release;
  call.on_body = &on_body;

  // The request and its watchdog share one strand: the caller's, when it already is one (a
  // second strand layered on it would cost a dispatch per completion and buy nothing).
  const bool on_strand = ex.target<asio::strand<asio::any_io_executor>>() != nullptr ||
                         ex.target<asio::strand<asio::io_context::executor_type>>() != nullptr;
  asio::any_io_executor strand = on_strand ? ex : asio::any_io_executor(asio::make_strand(ex));
  Guard guard(strand);
  if (impl_->config.total_timeout.count() > 0)
    guard.total_deadline = Clock::now() + impl_->config.total_timeout;
  call.guard = &guard;
  if (impl_->logger) {
    impl_->logger->debug("[{}] upstream {} {}{}{}", request.request_id, request.method,
                         call.target.origin.key(), call.target.path,
                         call.proxy ? " (via proxy)" : "");
  }
  auto [order, e1, e2] = co_await asio::experimental::make_parallel_group(
                             asio::co_spawn(strand, run_call(&call), asio::deferred),
                             asio::co_spawn(strand, watchdog(&guard), asio::deferred))
                             .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
  if (e1) std::rethrow_exception(e1);
  if (e2) std::rethrow_exception(e2);
  HttpOutcome out = std::move(call.out);
  if (guard.fired && !out.complete) {
    out.failure = guard.fired_as;
    out.detail = describe(guard.fired_as, impl_->config);
  } else if (guard.cancelled && !out.complete) {
    out.failure = HttpFailure::cancelled;
    out.detail = "request cancelled";
  }
  if (impl_->logger && out.failure != HttpFailure::none) {
    impl_->logger->info("[{}] upstream {}{}: {}", request.request_id, call.target.origin.key(),
                        call.target.path, out.detail);
  }
  co_return out;
}

}  // namespace chatstream::providers
