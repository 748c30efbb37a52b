// The providers that talk HTTP: OpenAI Chat Completions (and every compatible server),
// Anthropic Messages and Ollama /api/chat. One class: the kind selects the request
// builder and the stream decoder.
#pragma once

#include <memory>
#include <string>

#include "providers/config.hpp"
#include "providers/http_client.hpp"
#include "providers/provider.hpp"

namespace chatstream::providers {

class HttpProvider final : public Provider {
 public:
  // config.kind must be openai, anthropic or ollama.
  HttpProvider(ProviderConfig config, std::shared_ptr<HttpClient> client);

  const std::string& name() const override { return config_.name; }
  std::string_view kind() const override { return config_.kind; }
  std::vector<ModelInfo> models() const override;

  // Retries (bounded, with backoff and Retry-After) only while no token was relayed, on
  // connect failures and on 408/409/429/5xx/529 (or an upstream error event marked
  // retryable). Never after a token.
  boost::asio::awaitable<void> stream_chat(ChatRequest request, EventSink sink) override;

 private:
  ProviderConfig config_;
  std::shared_ptr<HttpClient> client_;
};

}  // namespace chatstream::providers
