// Builds the model request for a branch of the conversation tree (pure).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "providers/provider.hpp"
#include "store/store.hpp"

namespace chatstream::generation {

// `branch` is root -> ... -> the user message to answer. Messages without text are skipped
// (e.g. an answer that failed before its first token). When the texts exceed
// `budget_chars`, the oldest turns are dropped (the system prompt and the last message are
// always kept). `dropped` (optional) receives how many messages were left out.
providers::ChatRequest build_chat_request(const std::vector<store::Message>& branch,
                                          const std::string& system_prompt,
                                          std::size_t budget_chars, std::size_t* dropped = nullptr);

// A conversation title from the first user message: its first line, whitespace collapsed,
// cut at a word boundary to at most `max_chars` characters (UTF-8 safe), with "…" when cut.
std::string title_from_message(std::string_view content, std::size_t max_chars = 60);

}  // namespace chatstream::generation
