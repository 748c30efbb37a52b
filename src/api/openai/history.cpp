#include "api/openai/history.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "store/store.hpp"
#include "util/id.hpp"

namespace chatstream::api::openai {
namespace asio = boost::asio;

namespace {

struct Exchange {
  store::NewConversation conversation;
  std::vector<store::Message> messages;
};

std::string title_for(const std::vector<providers::ChatMessage>& messages) {
  for (const auto& m : messages) {
    if (m.role != "user" || m.content.empty()) continue;
    std::string title = m.content.substr(0, 80);
    for (auto& c : title) {
      if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    }
    // Never cut a UTF-8 sequence in half.
    while (!title.empty() && (static_cast<unsigned char>(title.back()) & 0xC0) == 0x80) {
      title.pop_back();
    }
    if (!title.empty() && (static_cast<unsigned char>(title.back()) & 0x80) != 0) title.pop_back();
    return title;
  }
  return "API request";
}

asio::awaitable<void> save_exchange(store::Store& store, Exchange exchange,
                                    std::shared_ptr<spdlog::logger> logger) {
  try {
    auto conversation = co_await store.create_conversation(std::move(exchange.conversation));
    auto inserted = co_await store.insert_messages(conversation.user_id, conversation.id,
                                                   std::move(exchange.messages));
    if (!inserted && logger) {
      logger->warn("v1 history: messages not saved: {}", inserted.error().message());
    }
  } catch (const std::exception& e) {
    if (logger) logger->warn("v1 history: exchange not saved: {}", e.what());
  }
}

}  // namespace

HistoryCapture::HistoryCapture(store::Store& store, asio::any_io_executor executor,
                               std::shared_ptr<spdlog::logger> logger, std::string model,
                               std::string provider, const providers::ChatRequest& request,
                               std::string user_id)
    : store_(store),
      executor_(std::move(executor)),
      logger_(std::move(logger)),
      model_(std::move(model)),
      provider_(std::move(provider)),
      user_id_(std::move(user_id)),
      system_prompt_(request.system_prompt),
      messages_(request.messages) {}

void HistoryCapture::add(const providers::Event& event) {
  if (saved_) return;
  if (const auto* text = std::get_if<providers::TextDelta>(&event)) {
    if (!first_token_) first_token_ = std::chrono::steady_clock::now() - started_;
    content_ += text->text;
  } else if (const auto* usage = std::get_if<providers::Usage>(&event)) {
    usage_ = *usage;
  } else if (const auto* finish = std::get_if<providers::Finish>(&event)) {
    finish_ = *finish;
    save();
  } else if (const auto* error = std::get_if<providers::StreamError>(&event)) {
    error_ = *error;
    save();
  }
}

void HistoryCapture::save() {
  saved_ = true;
  Exchange x;
  x.conversation.user_id = user_id_;
  x.conversation.title = title_for(messages_);
  x.conversation.model = model_;
  x.conversation.system_prompt = system_prompt_;
  for (const auto& m : messages_) {
    auto role = store::role_from_string(m.role);
    if (!role || m.content.empty()) continue;  // tool results have no place in the web app
    store::Message msg;
    msg.role = *role;
    msg.content = m.content;
    x.messages.push_back(std::move(msg));
  }
  store::Message answer;
  answer.role = store::Role::assistant;
  answer.content = content_;
  answer.model = model_;
  answer.provider = provider_;
  const auto ms = [](auto d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  };
  answer.duration_ms = ms(std::chrono::steady_clock::now() - started_);
  if (first_token_) answer.ttft_ms = ms(*first_token_);
  if (usage_) {
    answer.prompt_tokens = usage_->prompt_tokens;
    answer.completion_tokens = usage_->completion_tokens;
  }
  if (finish_) {
    answer.status = store::MessageStatus::complete;
    answer.finish_reason = finish_->reason;
  } else if (error_ && error_->kind == providers::ErrorKind::cancelled) {
    answer.status = store::MessageStatus::cancelled;
  } else if (error_) {
    answer.status = store::MessageStatus::error;
    answer.error_message = error_->message;
    answer.error_code =
        error_->code.empty() ? std::string(providers::to_string(error_->kind)) : error_->code;
  }
  x.messages.push_back(std::move(answer));
  // Each message answers the one before it (a single branch).
  std::optional<std::string> parent;
  for (auto& m : x.messages) {
    m.id = util::new_id();
    m.parent_id = parent;
    parent = m.id;
  }
  asio::co_spawn(executor_, save_exchange(store_, std::move(x), logger_), asio::detached);
}

}  // namespace chatstream::api::openai
