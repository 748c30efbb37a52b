// Test support: an io_context running on a thread of its own for the duration of a test.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>

namespace chatstream::testing {

class Loop {
 public:
  Loop() : guard_(ioc_.get_executor()), thread_([this] { ioc_.run(); }) {}
  ~Loop() {
    guard_.reset();
    ioc_.stop();
    thread_.join();
  }
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  boost::asio::any_io_executor executor() { return ioc_.get_executor(); }
  // Runs `a` on the loop and waits for its result (at most 20 s).
  template <class T>
  T run(boost::asio::awaitable<T> a) {
    auto f = boost::asio::co_spawn(ioc_, std::move(a), boost::asio::use_future);
    if (f.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
      throw std::runtime_error("timed out");
    }
    return f.get();
  }

 private:
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::thread thread_;
};

}  // namespace chatstream::testing
