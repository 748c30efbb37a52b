// Builds the providers from configuration and resolves model ids to (provider, model).
// Immutable after construction: safe to share between threads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "providers/config.hpp"
#include "providers/provider.hpp"

namespace spdlog {
class logger;
}

namespace chatstream::providers {

class HttpClient;

struct ResolvedModel {
  std::shared_ptr<Provider> provider;
  std::string model;  // upstream model id to put into ChatRequest::model
  std::string id;     // the public id ("gpt-4o" or "openai/gpt-4o")
};

class Registry {
 public:
  // `logger` may be null (then nothing is logged). Keys are never logged.
  Registry(std::vector<ProviderConfig> configs, HttpClientConfig http,
           std::shared_ptr<spdlog::logger> logger);
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // "model" (first provider listing it) or "provider/model" (any model of that provider,
  // listed or not). Empty = the default model. nullopt when nothing matches.
  std::optional<ResolvedModel> resolve(std::string_view model) const;

  // All models; an id is "provider/model" when the bare model id is ambiguous.
  std::vector<ModelInfo> models() const;

  // The first real provider's default model, else "simulated".
  std::string default_model() const;

  std::shared_ptr<Provider> find_provider(std::string_view name) const;
  const std::vector<std::shared_ptr<Provider>>& providers() const { return providers_; }

  // The shared upstream HTTP client (connection pool); null when no HTTP provider exists.
  std::shared_ptr<HttpClient> http_client() const { return http_; }

 private:
  std::vector<std::shared_ptr<Provider>> providers_;
  std::vector<ProviderConfig> configs_;
  std::shared_ptr<HttpClient> http_;
  std::string default_model_;
};

}  // namespace chatstream::providers
