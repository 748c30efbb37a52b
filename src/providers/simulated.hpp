// The built-in offline model: realistic streamed Markdown answers that depend on the
// prompt (deterministic for a given prompt and seed), with human-like token timing.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "providers/config.hpp"
#include "providers/provider.hpp"

namespace chatstream::providers {

// Pure helpers, exposed for tests.
namespace simulated {

// The full answer the model gives to `request` (no timing, no truncation).
std::string answer_for(const ChatRequest& request, std::uint64_t seed);

// Splits text into word-ish tokens (leading space kept with the word, long words cut,
// punctuation and newlines separate, one token per CJK character). Never splits a UTF-8
// sequence; concatenating the tokens gives back `text` exactly.
std::vector<std::string> split_tokens(std::string_view text);

// Prompt token count as the model reports it in Usage.
std::int64_t count_prompt_tokens(const ChatRequest& request);

}  // namespace simulated

class SimulatedProvider final : public Provider {
 public:
  SimulatedProvider(std::string name, SimulatedConfig config);

  const std::string& name() const override { return name_; }
  std::string_view kind() const override { return "simulated"; }
  std::vector<ModelInfo> models() const override;
  boost::asio::awaitable<void> stream_chat(ChatRequest request, EventSink sink) override;

 private:
  std::string name_;
  SimulatedConfig config_;
};

}  // namespace chatstream::providers
