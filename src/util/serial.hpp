// Serial executors: where work that must not run concurrently with itself (a connection, a
// relay, a generation) runs. Across several threads that is a strand. On an io_context that one
// thread runs, the io_context's own executor is already serial: a strand there would add a
// queue, a lock and a second trip through the scheduler to every completion, for nothing.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <mutex>
#include <optional>

namespace chatstream::util {

// Declares that `ctx` is run by one thread only, for as long as it runs handlers. Call it
// before work is started on `ctx`; the declaration lasts as long as `ctx`.
void mark_single_threaded(boost::asio::io_context& ctx);

// Whether `ctx` was declared run by one thread (mark_single_threaded).
bool is_single_threaded(boost::asio::io_context& ctx);

// Whether handlers on `ex` never run concurrently with each other: a strand, or an executor of
// an io_context declared single-threaded.
bool is_serial(const boost::asio::any_io_executor& ex);

// The io_context executor under `ex`, looking through strands; nullopt when `ex` does not run
// on an io_context.
std::optional<boost::asio::io_context::executor_type> io_executor_of(
    const boost::asio::any_io_executor& ex);

// A serial executor on `ex`'s execution context: the io_context's own executor when that
// context is single-threaded, else a new strand (with the io_context's concrete executor inside
// when there is one, so that no type-erased executor is copied per dispatch).
boost::asio::any_io_executor make_serial(const boost::asio::any_io_executor& ex);

// Whether every handler on `ex` runs on one thread: its context is an io_context declared
// single-threaded (whatever strand it is wrapped in).
bool on_single_thread(const boost::asio::any_io_executor& ex);

// A mutex for state that handlers share with callers on other threads, which locks only when
// there can be other threads: built with `needed` false (on_single_thread), lock and unlock do
// nothing, as every party runs on the one thread of the io_context.
class SharedStateMutex {
 public:
  explicit SharedStateMutex(bool needed) noexcept : needed_(needed) {}
  void lock() {
    if (needed_) mutex_.lock();
  }
  void unlock() {
    if (needed_) mutex_.unlock();
  }

 private:
  std::mutex mutex_;
  const bool needed_;
};

// Whether the calling thread runs `ex`'s handlers at this moment (inside the strand, for a
// strand). False for executor types it does not know.
bool running_in_this_thread(const boost::asio::any_io_executor& ex);

}  // namespace chatstream::util
