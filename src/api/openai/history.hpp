// Optional history capture (--gateway-history): a /v1 exchange is saved as a conversation
// (the request's messages plus the answer, with its status), so it shows up in the web app.
// Saved once, when the exchange ends; the relay hot path only appends text.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "providers/events.hpp"
#include "providers/provider.hpp"

namespace spdlog {
class logger;
}
namespace chatstream::store {
class Store;
}

namespace chatstream::api::openai {

// Collects one exchange. Events arrive in order from one strand (not thread-safe otherwise).
class HistoryCapture {
 public:
  // `store` must outlive every save started by this capture.
  // The exchange is saved as a conversation of `user_id` ("local" in single-user mode).
  HistoryCapture(store::Store& store, boost::asio::any_io_executor executor,
                 std::shared_ptr<spdlog::logger> logger, std::string model, std::string provider,
                 const providers::ChatRequest& request, std::string user_id = "local");

  // On the terminal event the exchange is saved in the background.
  void add(const providers::Event& event);

 private:
  void save();

  store::Store& store_;
  boost::asio::any_io_executor executor_;
  std::shared_ptr<spdlog::logger> logger_;
  std::string model_;
  std::string provider_;
  std::string user_id_;
  std::string system_prompt_;
  std::vector<providers::ChatMessage> messages_;
  std::string content_;
  std::optional<providers::Usage> usage_;
  std::optional<providers::Finish> finish_;
  std::optional<providers::StreamError> error_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::duration> first_token_;
  bool saved_ = false;
};

}  // namespace chatstream::api::openai
