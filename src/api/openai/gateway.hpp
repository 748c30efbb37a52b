// The OpenAI-compatible gateway: POST /v1/chat/completions (streaming and not), GET /v1/models
// and GET /v1/models/{model}, with bearer-token authentication.
//
// Wiring (in app/):
//   auto gw = std::make_shared<api::openai::GatewayContext>();
//   gw->config = api::openai::gateway_config_from(file_table, providers::process_env());
//   gw->resolve = api::openai::registry_resolver(registry);  // or any function
//   gw->list_models = api::openai::registry_models(registry);
//   gw->executor = ioc.get_executor();
//   gw->logger = logger;
//   gw->store = store.get();  // for --gateway-history
//   api::openai::add_routes(router, gw);
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"
#include "http/router.hpp"
#include "providers/config.hpp"
#include "providers/registry.hpp"

namespace toml {
inline namespace v3 {
class table;
}
}  // namespace toml

namespace spdlog {
class logger;
}
namespace chatstream::store {
class Store;
}
namespace chatstream::auth {
class Accounts;
}

namespace chatstream::api::openai {

struct GatewayConfig {
  // SHA-256 (lower-case hex) of the accepted bearer tokens. Empty: no token is needed, but
  // only loopback clients may call /v1.
  std::vector<std::string> token_hashes;
  // Relay ReasoningDelta as delta.reasoning_content / message.reasoning_content (the field
  // OpenAI-compatible servers such as DeepSeek and vLLM use); off: reasoning is dropped.
  bool reasoning_content = true;
  // How long a streaming request waits for the first token before the response head is sent.
  // Failures within this window (upstream HTTP errors, connect failures) get a proper status;
  // later ones arrive as a `data: {"error":…}` chunk. A client that leaves during the wait is
  // noticed once it is over.
  std::chrono::milliseconds first_event_wait{std::chrono::seconds(10)};
  // Save /v1 exchanges as conversations (--gateway-history).
  bool history = false;
};

// Reads `[gateway]` from the config file (may be null): `tokens = ["…"]` (hashed here, never
// kept in clear), `token_sha256 = ["<64 hex>"]`, `reasoning_content`, `first_event_wait_ms`,
// `history`; and CHATSTREAM_API_TOKENS (comma-separated tokens). Throws std::invalid_argument
// with a token-free message when a value is malformed.
GatewayConfig gateway_config_from(const toml::table* file, const providers::EnvLookup& env);

// SHA-256 of `token` as 64 lower-case hex characters.
std::string sha256_hex(std::string_view token);

// nullopt when the request may use /v1, else the 401 answer (OpenAI's error shape).
// Compares hashes in constant time.
std::optional<http::Response> authorize(const http::Request& request, const GatewayConfig& config);

using ModelResolver = std::function<std::optional<providers::ResolvedModel>(std::string_view)>;
using ModelLister = std::function<std::vector<providers::ModelInfo>()>;

// Everything the handlers need; shared by all requests, immutable after add_routes.
struct GatewayContext {
  GatewayConfig config;
  ModelResolver resolve;
  ModelLister list_models;
  // Where upstream streams run (each on its own strand). Empty: the request's executor.
  boost::asio::any_io_executor executor;
  std::shared_ptr<spdlog::logger> logger;  // may be null
  // Where exchanges are saved when config.history is on (must outlive the server); may be null.
  store::Store* store = nullptr;
  std::int64_t created = 0;  // `created` of /v1/models entries; 0: time of add_routes
  // Accounts (may be null: config-token authentication only, no per-user limits). In
  // multi-user mode the router guard has already authenticated the request by its personal
  // API token; the configured gateway tokens are then not used.
  auth::Accounts* accounts = nullptr;
};

// Adapters over the provider registry (which must outlive the routes).
ModelResolver registry_resolver(const providers::Registry& registry);
ModelLister registry_models(const providers::Registry& registry);

void add_routes(http::Router& router, std::shared_ptr<GatewayContext> context);

}  // namespace chatstream::api::openai
