// Internal: factories of the concrete decoders (see decoder.hpp for the public interface).
#pragma once

#include <cstddef>
#include <memory>

#include "providers/dialect/decoder.hpp"

namespace chatstream::providers::dialect::detail {

std::unique_ptr<Decoder> make_openai_chat_decoder(std::size_t max_event_bytes);
std::unique_ptr<Decoder> make_openai_responses_decoder(std::size_t max_event_bytes);
std::unique_ptr<Decoder> make_anthropic_decoder(std::size_t max_event_bytes);
std::unique_ptr<Decoder> make_ollama_decoder(std::size_t max_event_bytes);

}  // namespace chatstream::providers::dialect::detail
