// The Store every backend shares, on top of a ShellCore (shell_core.hpp: the batching
// writer, the reader pool and its threads); accounts() is an AccountShell on the same core.
// Included only by the backends' store .cpp files. See shell_core.hpp for what `Backend`
// supplies.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/accounts.hpp"
#include "store/common/account_shell.hpp"
#include "store/common/shell_core.hpp"
#include "store/store.hpp"

namespace chatstream::store::common {

template <class Backend>
class StoreShell final : public Store {
 public:
  using Connection = typename Backend::Connection;

  // `target` is what the backend opens (a file path, a URL).
  StoreShell(const std::string& target, const StoreConfig& config)
      : core_(target, config), accounts_(core_) {}
  StoreShell(const StoreShell&) = delete;
  StoreShell& operator=(const StoreShell&) = delete;

  AccountStore& accounts() override { return accounts_; }

  boost::asio::awaitable<Conversation> create_conversation(NewConversation c) override {
    return core_.write([c = std::move(c), clock = core_.clock()](Connection& conn) {
      return Backend::insert_conversation(conn, c, clock());
    });
  }

  boost::asio::awaitable<std::optional<Conversation>> get_conversation(std::string user_id,
                                                                       std::string id) override {
    return core_.read([user_id = std::move(user_id), id = std::move(id)](Connection& conn) {
      return Backend::find_conversation(conn, user_id, id);
    });
  }

  boost::asio::awaitable<ConversationPage> list_conversations(ListConversations q) override {
    return core_.read(
        [q = std::move(q)](Connection& conn) { return Backend::list_conversations(conn, q); });
  }

  boost::asio::awaitable<Result<Conversation>> update_conversation(
      std::string user_id, std::string id, ConversationPatch patch) override {
    return core_.write([user_id = std::move(user_id), id = std::move(id), patch = std::move(patch),
                        clock = core_.clock()](Connection& conn) {
      return Backend::update_conversation(conn, user_id, id, patch, clock());
    });
  }

  boost::asio::awaitable<bool> delete_conversation(std::string user_id, std::string id) override {
    return core_.write([user_id = std::move(user_id), id = std::move(id)](Connection& conn) {
      return Backend::delete_conversation(conn, user_id, id);
    });
  }

  boost::asio::awaitable<std::vector<Message>> list_messages(std::string user_id,
                                                             std::string conversation_id) override {
    return core_.read([user_id = std::move(user_id), cid = std::move(conversation_id)](
                          Connection& conn) { return Backend::list_messages(conn, user_id, cid); });
  }

  boost::asio::awaitable<std::optional<Message>> get_message(std::string user_id,
                                                             std::string id) override {
    return core_.read([user_id = std::move(user_id), id = std::move(id)](Connection& conn) {
      return Backend::find_message(conn, user_id, id);
    });
  }

  boost::asio::awaitable<std::vector<Message>> get_branch(std::string user_id,
                                                          std::string leaf_id) override {
    return core_.read([user_id = std::move(user_id), leaf = std::move(leaf_id)](Connection& conn) {
      return Backend::branch(conn, user_id, leaf);
    });
  }

  boost::asio::awaitable<Result<std::vector<Message>>> insert_messages(
      std::string user_id, std::string conversation_id, std::vector<Message> messages) override {
    return core_.write([user_id = std::move(user_id), cid = std::move(conversation_id),
                        messages = std::move(messages), clock = core_.clock()](Connection& conn) {
      return Backend::insert_messages(conn, user_id, cid, messages, clock());
    });
  }

  void save_progress(std::string message_id, std::string content, std::int64_t delta_seq) override {
    core_.writer().save_progress(std::move(message_id), std::move(content), delta_seq);
  }

  boost::asio::awaitable<bool> finish_message(MessageFinal final_state) override {
    if (final_state.status == MessageStatus::streaming) {
      throw std::invalid_argument("finish_message: the final status cannot be streaming");
    }
    return core_.write([f = std::move(final_state), clock = core_.clock(),
                        writer = &core_.writer()](Connection& conn) {
      writer->drop_progress(f.id);
      return Backend::finish_message(conn, f, clock());
    });
  }

  boost::asio::awaitable<int> mark_interrupted_streaming() override {
    return core_.write([clock = core_.clock()](Connection& conn) {
      return Backend::mark_interrupted(conn, clock());
    });
  }

  boost::asio::awaitable<bool> ping() override { return core_.ping(); }

  boost::asio::awaitable<void> flush() override {
    return core_.write([writer = &core_.writer()](Connection&) { writer->write_all_progress(); });
  }

  StoreStats stats() const override { return core_.writer().stats(); }

 private:
  ShellCore<Backend> core_;
  AccountShell<Backend> accounts_;  // refers to core_
};

}  // namespace chatstream::store::common
