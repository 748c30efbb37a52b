#include "util/offload.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

namespace chatstream::util {
namespace {

namespace asio = boost::asio;

struct Observed {
  std::thread::id caller;
  std::thread::id worker;
  std::thread::id resumed;
  std::string value;
  std::string error;
  bool void_ran = false;
  std::unique_ptr<int> move_only;
};

asio::awaitable<void> exercise(asio::thread_pool::executor_type pool, Observed* out) {
  out->caller = std::this_thread::get_id();
  out->value = co_await run_on(pool, [out] {
    out->worker = std::this_thread::get_id();
    return std::string("computed");
  });
  out->resumed = std::this_thread::get_id();
  try {
    co_await run_on(pool, []() -> int { throw std::runtime_error("boom"); });
  } catch (const std::runtime_error& e) {
    out->error = e.what();
  }
  co_await run_on(pool, [out] { out->void_ran = true; });
  out->move_only = co_await run_on(pool, [] { return std::make_unique<int>(42); });
}

TEST(Offload, RunsElsewhereAndResumesOnCallerExecutor) {
  asio::io_context io;
  asio::thread_pool pool{2};
  Observed seen;
  asio::co_spawn(io, exercise(pool.get_executor(), &seen), asio::detached);
  // run() only returns after every offloaded call completed: the pending work is tracked.
  io.run();
  EXPECT_EQ(seen.value, "computed");
  EXPECT_EQ(seen.caller, std::this_thread::get_id());
  EXPECT_EQ(seen.resumed, std::this_thread::get_id());
  EXPECT_NE(seen.worker, std::this_thread::get_id());
  EXPECT_EQ(seen.error, "boom");
  EXPECT_TRUE(seen.void_ran);
  ASSERT_NE(seen.move_only, nullptr);
  EXPECT_EQ(*seen.move_only, 42);
  pool.join();
}

TEST(Offload, VoidFailurePropagates) {
  asio::io_context io;
  asio::thread_pool pool{1};
  std::exception_ptr caught;
  asio::co_spawn(
      io,
      [](asio::thread_pool::executor_type ex) -> asio::awaitable<void> {
        co_await run_on(ex, [] { throw std::logic_error("void failure"); });
      }(pool.get_executor()),
      [&caught](std::exception_ptr e) { caught = e; });
  io.run();
  ASSERT_TRUE(caught);
  EXPECT_THROW(std::rethrow_exception(caught), std::logic_error);
  pool.join();
}

TEST(Offload, CallbackTokenGetsErrorAndValue) {
  asio::thread_pool pool{1};
  std::promise<std::pair<bool, int>> done;
  async_run_on(
      pool.get_executor(), [] { return 7; },
      [&done](std::exception_ptr e, int v) {
        done.set_value({e == nullptr, v});
      });
  const auto [ok, value] = done.get_future().get();
  EXPECT_TRUE(ok);
  EXPECT_EQ(value, 7);
  pool.join();
}

TEST(Offload, ManyConcurrentCallsAllComplete) {
  asio::io_context io;
  asio::thread_pool pool{2};
  int completed = 0;
  for (int i = 0; i < 200; ++i) {
    asio::co_spawn(
        io,
        [](asio::thread_pool::executor_type ex, int n) -> asio::awaitable<int> {
          co_return co_await run_on(ex, [n] { return n * 2; });
        }(pool.get_executor(), i),
        [&completed, i](std::exception_ptr e, int v) {
          if (!e && v == i * 2) ++completed;
        });
  }
  io.run();
  EXPECT_EQ(completed, 200);
  pool.join();
}

}  // namespace
}  // namespace chatstream::util
