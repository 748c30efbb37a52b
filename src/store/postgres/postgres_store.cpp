#include "store/postgres/postgres_store.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <condition_variable>
#include <mutex>
#include <stdexcept>

#include "store/postgres/migrations.hpp"
#include "store/postgres/repository.hpp"
#include "store/postgres/writer.hpp"
#include "util/offload.hpp"
#include "util/time.hpp"

namespace chatstream::store::postgres {
namespace {

namespace asio = boost::asio;

// Read connections, one per reader thread; acquire() blocks only if a caller holds more
// than one (it never does).
class ReaderPool {
 public:
  void add(std::unique_ptr<Connection> conn) {
    std::lock_guard lock(mutex_);
    free_.push_back(std::move(conn));
  }

  // Runs f on a connection, reconnecting first when it broke. A read that fails because
  // the connection broke under it runs once more on a new connection (reads are safe to
  // repeat).
  template <class F>
  auto with_connection(F& f) {
    Lease lease(*this);
    lease.conn->ensure_open();
    try {
      return f(*lease.conn);
    } catch (const ConnectionLost&) {
      lease.conn->ensure_open();
    }
    return f(*lease.conn);
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
  template <class Handler, class F>
  void operator()(Handler handler, Writer* writer, F f) const {
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
        [state, f = std::move(f)](Connection& conn) mutable {
          if constexpr (std::is_void_v<R>) {
            f(conn);
            state->result.emplace(true);
          } else {
            state->result.emplace(f(conn));
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

class PostgresStore final : public Store {
 public:
  PostgresStore(const std::string& url, const StoreConfig& config);
  // Waits for running reads, then (members) commits queued writes and stops the writer.
  ~PostgresStore() override { read_threads_.join(); }
  PostgresStore(const PostgresStore&) = delete;
  PostgresStore& operator=(const PostgresStore&) = delete;

  asio::awaitable<Conversation> create_conversation(NewConversation c) override;
  asio::awaitable<std::optional<Conversation>> get_conversation(std::string user_id,
                                                                std::string id) override;
  asio::awaitable<ConversationPage> list_conversations(ListConversations q) override;
  asio::awaitable<Result<Conversation>> update_conversation(std::string user_id, std::string id,
                                                            ConversationPatch patch) override;
  asio::awaitable<bool> delete_conversation(std::string user_id, std::string id) override;
  asio::awaitable<std::vector<Message>> list_messages(std::string user_id,
                                                      std::string conversation_id) override;
  asio::awaitable<std::optional<Message>> get_message(std::string user_id, std::string id) override;
  asio::awaitable<std::vector<Message>> get_branch(std::string user_id,
                                                   std::string leaf_id) override;
  asio::awaitable<Result<std::vector<Message>>> insert_messages(
      std::string user_id, std::string conversation_id, std::vector<Message> messages) override;
  void save_progress(std::string message_id, std::string content, std::int64_t delta_seq) override;
  asio::awaitable<bool> finish_message(MessageFinal final_state) override;
  asio::awaitable<int> mark_interrupted_streaming() override;
  asio::awaitable<bool> ping() override;
  asio::awaitable<void> flush() override;
  StoreStats stats() const override { return writer_->stats(); }

 private:
  template <class F>
  auto read(F f) {
    return util::run_on(read_threads_.get_executor(),
                        [this, f = std::move(f)]() mutable { return readers_.with_connection(f); });
  }

  template <class F>
  auto write(F f) {
    using R = std::invoke_result_t<F&, Connection&>;
    return asio::async_initiate<const asio::use_awaitable_t<>, typename WriteSignature<R>::type>(
        WriteInitiation{}, asio::use_awaitable, writer_.get(), std::move(f));
  }

  std::function<std::int64_t()> clock_;
  ReaderPool readers_;
  std::unique_ptr<Writer> writer_;
  // Declared last: destroyed (joined) first, before the connections it uses.
  asio::thread_pool read_threads_;
};

std::function<std::int64_t()> make_clock(const StoreConfig& config) {
  if (config.clock) return config.clock;
  return [] { return util::now_epoch_ms(); };
}

PostgresStore::PostgresStore(const std::string& url, const StoreConfig& config)
    : clock_(make_clock(config)), read_threads_(std::max<std::size_t>(1, config.read_connections)) {
  auto write_conn = Connection::open(url, config.busy_timeout);
  repo::migrate(*write_conn, postgres_migrations(), clock_());
  for (std::size_t i = 0; i < std::max<std::size_t>(1, config.read_connections); ++i) {
    readers_.add(Connection::open(url, config.busy_timeout));
  }
  writer_ = std::make_unique<Writer>(
      std::move(write_conn),
      WriterOptions{config.progress_interval, std::max<std::size_t>(1, config.max_batch), clock_});
}

asio::awaitable<Conversation> PostgresStore::create_conversation(NewConversation c) {
  return write([c = std::move(c), clock = clock_](Connection& conn) {
    return repo::insert_conversation(conn, c, clock());
  });
}

asio::awaitable<std::optional<Conversation>> PostgresStore::get_conversation(std::string user_id,
                                                                             std::string id) {
  return read([user_id = std::move(user_id), id = std::move(id)](Connection& conn) {
    return repo::find_conversation(conn, user_id, id);
  });
}

asio::awaitable<ConversationPage> PostgresStore::list_conversations(ListConversations q) {
  return read([q = std::move(q)](Connection& conn) { return repo::list_conversations(conn, q); });
}

asio::awaitable<Result<Conversation>> PostgresStore::update_conversation(std::string user_id,
                                                                         std::string id,
                                                                         ConversationPatch patch) {
  return write([user_id = std::move(user_id), id = std::move(id), patch = std::move(patch),
                clock = clock_](Connection& conn) {
    return repo::update_conversation(conn, user_id, id, patch, clock());
  });
}

asio::awaitable<bool> PostgresStore::delete_conversation(std::string user_id, std::string id) {
  return write([user_id = std::move(user_id), id = std::move(id)](Connection& conn) {
    return repo::delete_conversation(conn, user_id, id);
  });
}

asio::awaitable<std::vector<Message>> PostgresStore::list_messages(std::string user_id,
                                                                   std::string conversation_id) {
  return read([user_id = std::move(user_id), cid = std::move(conversation_id)](Connection& conn) {
    return repo::list_messages(conn, user_id, cid);
  });
}

asio::awaitable<std::optional<Message>> PostgresStore::get_message(std::string user_id,
                                                                   std::string id) {
  return read([user_id = std::move(user_id), id = std::move(id)](Connection& conn) {
    return repo::find_message(conn, user_id, id);
  });
}

asio::awaitable<std::vector<Message>> PostgresStore::get_branch(std::string user_id,
                                                                std::string leaf_id) {
  return read([user_id = std::move(user_id), leaf = std::move(leaf_id)](Connection& conn) {
    return repo::branch(conn, user_id, leaf);
  });
}

asio::awaitable<Result<std::vector<Message>>> PostgresStore::insert_messages(
    std::string user_id, std::string conversation_id, std::vector<Message> messages) {
  return write([user_id = std::move(user_id), cid = std::move(conversation_id),
                messages = std::move(messages), clock = clock_](Connection& conn) {
    return repo::insert_messages(conn, user_id, cid, messages, clock());
  });
}

void PostgresStore::save_progress(std::string message_id, std::string content,
                                  std::int64_t delta_seq) {
  writer_->save_progress(std::move(message_id), std::move(content), delta_seq);
}

asio::awaitable<bool> PostgresStore::finish_message(MessageFinal final_state) {
  if (final_state.status == MessageStatus::streaming) {
    throw std::invalid_argument("finish_message: the final status cannot be streaming");
  }
  return write(
      [f = std::move(final_state), clock = clock_, writer = writer_.get()](Connection& conn) {
        writer->drop_progress(f.id);
        return repo::finish_message(conn, f, clock());
      });
}

asio::awaitable<int> PostgresStore::mark_interrupted_streaming() {
  return write(
      [clock = clock_](Connection& conn) { return repo::mark_interrupted(conn, clock()); });
}

asio::awaitable<bool> PostgresStore::ping() {
  // Reconnecting is part of the probe: a server that is down fails it, and is not an error.
  return util::run_on(read_threads_.get_executor(), [this] {
    auto probe = [](Connection& conn) { return repo::ping(conn); };
    try {
      return readers_.with_connection(probe);
    } catch (const std::exception&) {
      return false;
    }
  });
}

asio::awaitable<void> PostgresStore::flush() {
  return write([](Connection&) {});
}

}  // namespace

std::unique_ptr<Store> open_postgres_store(const std::string& url, const StoreConfig& config) {
  return std::make_unique<PostgresStore>(url, config);
}

}  // namespace chatstream::store::postgres
