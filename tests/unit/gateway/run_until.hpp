// Runs an io_context until a condition holds (bounded in time) — for single-threaded tests.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>

namespace chatstream::testing {

template <class Predicate>
bool run_until(boost::asio::io_context& ioc, Predicate done,
               std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    if (ioc.stopped()) ioc.restart();
    ioc.run_for(std::chrono::milliseconds(5));
  }
  return done();
}

}  // namespace chatstream::testing
