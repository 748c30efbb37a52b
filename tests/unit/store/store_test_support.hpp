// Shared pieces of the store test suite. The suite (StoreSuite) is parameterised over a
// BackendFactory, so every Store implementation runs the same tests: add a factory for a
// new backend and instantiate the suite with it (see store_test_support.cpp).
#pragma once

#include <gtest/gtest.h>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "store/store.hpp"

namespace chatstream::store::test {

// Provides databases of one backend for tests.
class BackendFactory {
 public:
  virtual ~BackendFactory() = default;
  // A config for a fresh, empty database (the same config reopens the same database).
  virtual StoreConfig fresh_config() = 0;
  // Configs that must fail to open, each with a text the error message must contain.
  virtual std::vector<std::pair<StoreConfig, std::string>> broken_configs() = 0;
  // Non-empty when the backend is not available here (the suite then skips with it).
  virtual std::string skip_reason() { return {}; }
};

struct BackendParam {
  std::string name;
  std::function<std::unique_ptr<BackendFactory>()> make;
};

inline void PrintTo(const BackendParam& param, std::ostream* os) {
  *os << param.name;
}

std::unique_ptr<BackendFactory> make_sqlite_factory();
// PostgreSQL: see postgres_test_support.hpp.
std::unique_ptr<BackendFactory> make_postgres_factory();

// Runs one awaitable to completion on a private io_context (the calling thread runs it).
// Bounded: throws if the operation did not complete, e.g. because a completion was not
// delivered to the caller's executor.
template <class T>
T sync(boost::asio::awaitable<T> op) {
  boost::asio::io_context io;
  auto done = boost::asio::co_spawn(io, std::move(op), boost::asio::use_future);
  io.run();
  if (done.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    throw std::runtime_error("store operation did not complete on the caller's executor");
  }
  return done.get();
}

class StoreSuite : public ::testing::TestWithParam<BackendParam> {
 protected:
  static constexpr std::int64_t t0 = 1'700'000'000'000;

  void SetUp() override;
  void TearDown() override;
  void reopen();
  void advance(std::int64_t ms) { now_->fetch_add(ms); }
  std::int64_t now() const { return now_->load(); }

  Conversation make_conversation(const std::string& title, std::string user = "local");
  // Inserts one message and returns it as stored.
  Message add(const Conversation& c, Role role, const std::string& content,
              std::optional<std::string> parent = std::nullopt,
              MessageStatus status = MessageStatus::complete);

  std::unique_ptr<BackendFactory> backend_;
  StoreConfig config_;
  std::shared_ptr<std::atomic<std::int64_t>> now_ = std::make_shared<std::atomic<std::int64_t>>(t0);
  std::unique_ptr<Store> store_;
};

}  // namespace chatstream::store::test
