// Internal to api/: model-made conversation titles.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <string>

#include "api/context.hpp"
#include "generation/generation.hpp"
#include "providers/registry.hpp"

namespace chatstream::api {

// Turns a model's answer to the title prompt into a title: first line, no surrounding quotes,
// markdown emphasis or trailing period, at most 80 characters. Empty when nothing usable.
std::string clean_title(std::string_view raw);

// Waits for the first answer of a conversation; if it completed, asks the same model for a
// short title and sets it, unless the user renamed the conversation in the meantime
// (`derived_title` is what the server set from the first message). Never throws.
boost::asio::awaitable<void> auto_title(ApiContext* ctx, std::string user,
                                        std::string conversation_id, std::string derived_title,
                                        std::string first_message,
                                        std::shared_ptr<generation::Generation> answer,
                                        providers::ResolvedModel model);

}  // namespace chatstream::api
