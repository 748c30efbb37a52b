// A scripted Provider for gateway tests: emits the given events (each after its delay), can
// stall afterwards, and records how its streams ended (cancellation included).
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "providers/provider.hpp"

namespace chatstream::testing {

struct Step {
  providers::Event event;
  std::chrono::milliseconds delay{0};
};

// True when the wait ran out, false when it was cancelled. Awaited at once by the caller, so the
// reference parameter cannot dangle.
inline boost::asio::awaitable<bool> wait_for(boost::asio::steady_timer& timer,
                                             std::chrono::milliseconds d) {
  namespace asio = boost::asio;
  timer.expires_after(d);
  auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  co_return !ec;
}

class ScriptedProvider final : public providers::Provider {
 public:
  explicit ScriptedProvider(std::vector<Step> steps,
                            std::chrono::milliseconds stall = std::chrono::milliseconds(0))
      : steps_(std::move(steps)), stall_(stall) {}

  const std::string& name() const override { return name_; }
  std::string_view kind() const override { return "scripted"; }
  std::vector<providers::ModelInfo> models() const override {
    return {providers::ModelInfo{"scripted-model", "Scripted", name_, false}};
  }

  boost::asio::awaitable<void> stream_chat(providers::ChatRequest request,
                                           providers::EventSink sink) override {
    namespace asio = boost::asio;
    ++started;
    {
      std::lock_guard lock(mutex_);
      last_request_ = request;
    }
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (const auto& step : steps_) {
      if (step.delay.count() > 0 && !co_await wait_for(timer, step.delay)) {
        ++cancelled;
        sink(
            providers::StreamError{providers::ErrorKind::cancelled, "", "cancelled", 0, "", false});
        co_return;
      }
      auto copy = step.event;
      sink(std::move(copy));
    }
    if (stall_.count() > 0) {
      if (!co_await wait_for(timer, stall_)) {
        ++cancelled;
        sink(
            providers::StreamError{providers::ErrorKind::cancelled, "", "cancelled", 0, "", false});
        co_return;
      }
      sink(providers::StreamError{providers::ErrorKind::timeout, "", "idle timeout", 0, "", false});
    }
    ++finished;
  }

  providers::ChatRequest last_request() const {
    std::lock_guard lock(mutex_);
    return last_request_;
  }

  std::atomic<int> started{0};
  std::atomic<int> cancelled{0};
  std::atomic<int> finished{0};

 private:
  std::string name_ = "scripted";
  std::vector<Step> steps_;
  std::chrono::milliseconds stall_;
  mutable std::mutex mutex_;
  providers::ChatRequest last_request_;
};

}  // namespace chatstream::testing
