#include "util/serial.hpp"

#include <gtest/gtest.h>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include <thread>
#include <vector>

namespace chatstream::util {
namespace {

namespace asio = boost::asio;
using IoExecutor = asio::io_context::executor_type;

TEST(Serial, AnIoContextIsSingleThreadedOnlyOnceMarked) {
  asio::io_context ioc(1);
  EXPECT_FALSE(is_single_threaded(ioc));
  mark_single_threaded(ioc);
  mark_single_threaded(ioc);  // a second mark is harmless
  EXPECT_TRUE(is_single_threaded(ioc));
  asio::io_context other(1);
  EXPECT_FALSE(is_single_threaded(other));
}

TEST(Serial, StrandsAreSerialAndAPlainExecutorOnlyOnAMarkedContext) {
  asio::io_context ioc;
  const asio::any_io_executor plain = ioc.get_executor();
  EXPECT_FALSE(is_serial(plain));
  EXPECT_TRUE(is_serial(asio::make_strand(ioc.get_executor())));
  EXPECT_TRUE(is_serial(asio::make_strand(plain)));
  asio::thread_pool pool(1);
  EXPECT_FALSE(is_serial(pool.get_executor()));
  mark_single_threaded(ioc);
  EXPECT_TRUE(is_serial(plain));
  EXPECT_FALSE(is_serial(pool.get_executor()));
}

TEST(Serial, MakeSerialGivesAStrandUnlessTheContextIsMarked) {
  asio::io_context ioc;
  const asio::any_io_executor strand = make_serial(ioc.get_executor());
  ASSERT_NE(strand.target<asio::strand<IoExecutor>>(), nullptr);
  // A strand over a strand would serialize with the first one: a new one on the io_context.
  const asio::any_io_executor again = make_serial(strand);
  ASSERT_NE(again.target<asio::strand<IoExecutor>>(), nullptr);
  EXPECT_NE(again, strand);
  EXPECT_NE(make_serial(asio::make_strand(asio::any_io_executor(ioc.get_executor())))
                .target<asio::strand<IoExecutor>>(),
            nullptr);
  asio::thread_pool pool(1);
  const asio::any_io_executor on_pool = make_serial(pool.get_executor());
  EXPECT_NE(on_pool.target<asio::strand<asio::any_io_executor>>(), nullptr);

  mark_single_threaded(ioc);
  const asio::any_io_executor serial = make_serial(ioc.get_executor());
  ASSERT_NE(serial.target<IoExecutor>(), nullptr);
  EXPECT_EQ(*serial.target<IoExecutor>(), ioc.get_executor());
  EXPECT_NE(make_serial(strand).target<IoExecutor>(), nullptr);
}

TEST(Serial, RunningInThisThreadIsTrueOnlyInsideTheExecutor) {
  asio::io_context ioc;
  const asio::any_io_executor plain = ioc.get_executor();
  const asio::any_io_executor strand = asio::make_strand(ioc.get_executor());
  const asio::any_io_executor other_strand = asio::make_strand(ioc.get_executor());
  EXPECT_FALSE(running_in_this_thread(plain));
  EXPECT_FALSE(running_in_this_thread(strand));
  std::vector<bool> seen;
  asio::post(plain, [&] { seen.push_back(running_in_this_thread(plain)); });
  asio::post(strand, [&] {
    seen.push_back(running_in_this_thread(strand));
    seen.push_back(running_in_this_thread(other_strand));
  });
  ioc.run();
  EXPECT_EQ(seen, (std::vector<bool>{true, true, false}));
  asio::thread_pool pool(1);
  EXPECT_FALSE(running_in_this_thread(pool.get_executor()));
}

TEST(Serial, OnSingleThreadSeesThroughStrandsAndOnlyOnAMarkedContext) {
  asio::io_context ioc;
  const asio::any_io_executor plain = ioc.get_executor();
  const asio::any_io_executor strand = asio::make_strand(ioc.get_executor());
  const asio::any_io_executor erased_strand = asio::make_strand(plain);
  EXPECT_FALSE(on_single_thread(plain));
  EXPECT_FALSE(on_single_thread(strand));
  EXPECT_FALSE(on_single_thread(erased_strand));
  mark_single_threaded(ioc);
  EXPECT_TRUE(on_single_thread(plain));
  EXPECT_TRUE(on_single_thread(strand));
  EXPECT_TRUE(on_single_thread(erased_strand));
  asio::thread_pool pool(1);
  EXPECT_FALSE(on_single_thread(pool.get_executor()));
  EXPECT_FALSE(on_single_thread(asio::make_strand(pool.get_executor())));
}

// Needed, the mutex excludes: two threads each add 100,000 times under it and none is lost.
// Not needed, it does nothing (a second lock from the same thread does not block).
TEST(Serial, IoExecutorOfLooksThroughStrandsAndIsEmptyOffAnIoContext) {
  asio::io_context ioc;
  const IoExecutor io = ioc.get_executor();
  EXPECT_EQ(io_executor_of(io), io);
  EXPECT_EQ(io_executor_of(asio::make_strand(io)), io);
  EXPECT_EQ(io_executor_of(asio::make_strand(asio::any_io_executor(io))), io);
  asio::thread_pool pool(1);
  EXPECT_FALSE(io_executor_of(pool.get_executor()).has_value());
  EXPECT_FALSE(
      io_executor_of(asio::make_strand(asio::any_io_executor(pool.get_executor()))).has_value());
}

TEST(Serial, SharedStateMutexLocksOnlyWhenNeeded) {
  SharedStateMutex needed(true);
  long counter = 0;
  const auto add = [&] {
    for (int i = 0; i < 100000; ++i) {
      std::lock_guard lock(needed);
      ++counter;
    }
  };
  std::thread other(add);
  add();
  other.join();
  EXPECT_EQ(counter, 200000);
  SharedStateMutex not_needed(false);
  std::lock_guard first(not_needed);
  std::lock_guard second(not_needed);
  SUCCEED();
}

}  // namespace
}  // namespace chatstream::util
