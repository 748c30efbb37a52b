// Runs one awaitable to completion on a private io_context, on the calling thread: for tests
// that call coroutine APIs (the store, the hub) from plain test code.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace chatstream::testing {

template <class T>
T sync(boost::asio::awaitable<T> op) {
  boost::asio::io_context io;
  auto done = boost::asio::co_spawn(io, std::move(op), boost::asio::use_future);
  io.run();
  return done.get();
}

}  // namespace chatstream::testing
