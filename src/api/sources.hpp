// Internal to api/: event-stream sources for GET /api/messages/{id}/events.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "generation/generation.hpp"
#include "http/message.hpp"

namespace chatstream::api {

// A subscriber of a live generation: a cursor into its shared log.
class LiveEventSource final : public http::SseSource {
 public:
  LiveEventSource(std::shared_ptr<generation::Generation> g, std::uint64_t after,
                  std::string prefix = {});
  ~LiveEventSource() override;
  void set_waker(Waker waker) override;
  bool pull(std::string& out) override;
  void on_close() override;
  // The generation calls its wakers outside its lock (from append and finish), and the
  // session keeps this source alive through a wake it handles inline.
  bool wakes_inline() const override { return true; }

 private:
  std::shared_ptr<generation::Generation> generation_;
  std::uint64_t cursor_;
  std::string prefix_;
  std::uint64_t token_ = 0;
};

// Pre-encoded frames sent once (a finished message served from the store).
class FixedEventSource final : public http::SseSource {
 public:
  explicit FixedEventSource(std::string frames) : frames_(std::move(frames)) {}
  void set_waker(Waker) override {}
  bool pull(std::string& out) override {
    out += frames_;
    frames_.clear();
    return false;
  }

 private:
  std::string frames_;
};

}  // namespace chatstream::api
