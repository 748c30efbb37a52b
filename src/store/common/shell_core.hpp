// The machinery every backend shares (ShellCore): writes go to the batching writer
// (batch_writer.hpp), reads to a pool of connections on their own threads, and the caller
// resumes on its own executor. StoreShell (store_shell.hpp) and AccountShell
// (account_shell.hpp) put the Store and AccountStore methods on top of one ShellCore.
//
// `Backend` supplies what really differs:
//   using Connection = ...;
//   static std::unique_ptr<Connection> open_writer(target, config, now);  // opens, migrates
//   static std::unique_ptr<Connection> open_reader(target, config);
//   static std::unique_ptr<WriterBackend> writer_backend(std::unique_ptr<Connection>);
//   template <class F> static auto run_read(Connection&, F&);  // runs f, reconnecting if able
//   the repository functions (find_conversation, insert_conversation, ..., ping, and the
//   account functions: insert_user, find_user, ...).
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "store/common/batch_writer.hpp"
#include "store/store.hpp"
#include "util/offload.hpp"
#include "util/time.hpp"

namespace chatstream::store::common {

// Read connections, one per reader thread; acquire() blocks only if a caller holds more
// than one (it never does).
template <class Backend>
class ReaderPool {
 public:
  using Connection = typename Backend::Connection;

  void add(std::unique_ptr<Connection> conn) {
    std::lock_guard lock(mutex_);
    free_.push_back(std::move(conn));
  }

  template <class F>
  auto with_connection(F& f) {
    Lease lease(*this);
    return Backend::run_read(*lease.conn, f);
  }

 private:
  // Borrows a connection for one call; gives it back even when the call throws.
  struct Lease {
    explicit Lease(ReaderPool& p) : pool(p) {
      std::unique_lock lock(pool.mutex_);
      pool.available_.wait(lock, [this] { return !pool.free_.empty(); });
      conn = std::move(pool.free_.back());
      pool.free_.pop_back();
    }
    ~Lease() {
      pool.add(std::move(conn));
      pool.available_.notify_one();
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ReaderPool& pool;
    std::unique_ptr<Connection> conn;
  };

  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<Connection>> free_;
};

template <class R>
struct WriteSignature {
  using type = void(std::exception_ptr, R);
};
template <>
struct WriteSignature<void> {
  using type = void(std::exception_ptr);
};

// Queues `f(Connection&)` on the writer and completes after the batch commits, through the
// handler's associated executor (the awaiting coroutine's executor).
struct WriteInitiation {
  template <class Handler, class Connection, class F>
  void operator()(Handler handler, BatchWriter* writer, Connection* conn, F f) const {
    namespace asio = boost::asio;
    using R = std::invoke_result_t<F&, Connection&>;
    auto home = asio::prefer(asio::get_associated_executor(handler),
                             asio::execution::outstanding_work.tracked);
    struct State {
      Handler handler;
      decltype(home) executor;
      std::optional<std::conditional_t<std::is_void_v<R>, bool, R>> result;
    };
    auto state = std::make_shared<State>(State{std::move(handler), std::move(home), {}});
    writer->submit(
        [state, conn, f = std::move(f)]() mutable {
          if constexpr (std::is_void_v<R>) {
            f(*conn);
            state->result.emplace(true);
          } else {
            state->result.emplace(f(*conn));
          }
        },
        [state](std::exception_ptr error) {
          auto target = state->executor;
          asio::dispatch(target, [state, error] {
            if constexpr (std::is_void_v<R>) {
              std::move(state->handler)(error);
            } else if (error || !state->result) {
              std::move(state->handler)(
                  error ? error : std::make_exception_ptr(StoreFailure("store: write lost")), R{});
            } else {
              std::move(state->handler)(nullptr, std::move(*state->result));
            }
          });
        });
  }
};

inline std::function<std::int64_t()> make_clock(const StoreConfig& config) {
  if (config.clock) return config.clock;
  return [] { return util::now_epoch_ms(); };
}

// The connections, the writer and the reader threads of one store, and how work reaches
// them. Both facades (Store, AccountStore) of a store use the same core.
template <class Backend>
class ShellCore {
 public:
  using Connection = typename Backend::Connection;

  // `target` is what the backend opens (a file path, a URL).
  ShellCore(const std::string& target, const StoreConfig& config)
      : clock_(make_clock(config)),
        read_threads_(std::max<std::size_t>(1, config.read_connections)) {
    auto write_conn = Backend::open_writer(target, config, clock_());
    for (std::size_t i = 0; i < std::max<std::size_t>(1, config.read_connections); ++i) {
      readers_.add(Backend::open_reader(target, config));
    }
    write_conn_ = write_conn.get();
    writer_ = std::make_unique<BatchWriter>(
        Backend::writer_backend(std::move(write_conn)),
        WriterOptions{config.progress_interval, std::max<std::size_t>(1, config.max_batch),
                      clock_});
  }
  // Waits for running reads, then (members) commits queued writes and stops the writer.
  ~ShellCore() { read_threads_.join(); }
  ShellCore(const ShellCore&) = delete;
  ShellCore& operator=(const ShellCore&) = delete;

  // Runs `f(Connection&)` on a reader thread; the caller resumes on its own executor.
  template <class F>
  auto read(F f) {
    return util::run_on(read_threads_.get_executor(),
                        [this, f = std::move(f)]() mutable { return readers_.with_connection(f); });
  }

  // Queues `f(Connection&)` on the writer; completes after its batch committed.
  template <class F>
  auto write(F f) {
    namespace asio = boost::asio;
    using R = std::invoke_result_t<F&, Connection&>;
    return asio::async_initiate<const asio::use_awaitable_t<>, typename WriteSignature<R>::type>(
        WriteInitiation{}, asio::use_awaitable, writer_.get(), write_conn_, std::move(f));
  }

  // Reconnecting (where the backend does) is part of the probe: a server that is down
  // fails it, and is not an error.
  boost::asio::awaitable<bool> ping() {
    return util::run_on(read_threads_.get_executor(), [this] {
      auto probe = [](Connection& conn) { return Backend::ping(conn); };
      try {
        return readers_.with_connection(probe);
      } catch (const std::exception&) {
        return false;
      }
    });
  }

  const std::function<std::int64_t()>& clock() const { return clock_; }
  BatchWriter& writer() { return *writer_; }
  const BatchWriter& writer() const { return *writer_; }

 private:
  std::function<std::int64_t()> clock_;
  ReaderPool<Backend> readers_;
  Connection* write_conn_ = nullptr;  // owned by writer_'s backend; used on its thread only
  std::unique_ptr<BatchWriter> writer_;
  // Declared last: destroyed (joined) first, before the connections it uses.
  boost::asio::thread_pool read_threads_;
};

}  // namespace chatstream::store::common
