// What the REST handlers need, built once in main. Handlers keep no state of their own.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace spdlog {
class logger;
}
namespace chatstream::store {
class Store;
}
namespace chatstream::generation {
class GenerationHub;
}
namespace chatstream::providers {
class Registry;
}
namespace chatstream::auth {
class Accounts;
}

namespace chatstream::api {

struct ApiSettings {
  std::size_t max_message_bytes = 100'000;
  std::size_t max_system_prompt_bytes = 32'000;
  std::size_t max_title_bytes = 300;
  std::size_t context_budget_chars = 48'000;
  std::chrono::milliseconds cancel_wait{5000};  // a cancel request waits this long for the save
  bool auto_titles = true;  // ask a real model for a title after the first answer
};

struct ApiContext {
  store::Store& store;
  generation::GenerationHub& hub;
  const providers::Registry& registry;
  ApiSettings settings;
  std::shared_ptr<spdlog::logger> logger;
  // Mode, sessions and per-user limits (never null once the routes are added).
  auth::Accounts* accounts = nullptr;
};

}  // namespace chatstream::api
