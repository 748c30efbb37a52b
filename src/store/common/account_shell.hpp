// The AccountStore every backend shares, on top of the same ShellCore as its Store
// (shell_core.hpp): writes go to the store's batching writer, reads to its reader pool.
// touch_session / touch_api_token are queued like save_progress (BatchWriter::touch).
// Included only through store_shell.hpp.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/accounts.hpp"
#include "store/common/shell_core.hpp"

namespace chatstream::store::common {

template <class Backend>
class AccountShell final : public AccountStore {
 public:
  using Connection = typename Backend::Connection;

  explicit AccountShell(ShellCore<Backend>& core) : core_(core) {}
  AccountShell(const AccountShell&) = delete;
  AccountShell& operator=(const AccountShell&) = delete;

  // ---- users ----

  boost::asio::awaitable<Result<User>> create_user(NewUser user) override {
    return core_.write([u = std::move(user), clock = core_.clock()](Connection& conn) {
      return Backend::insert_user(conn, u, clock());
    });
  }

  boost::asio::awaitable<std::optional<User>> get_user(std::string id) override {
    return core_.read(
        [id = std::move(id)](Connection& conn) { return Backend::find_user(conn, id); });
  }

  boost::asio::awaitable<std::optional<User>> find_user_by_name(std::string username) override {
    return core_.read([name = std::move(username)](Connection& conn) {
      return Backend::find_user_by_name(conn, name);
    });
  }

  boost::asio::awaitable<std::vector<User>> list_users() override {
    return core_.read([](Connection& conn) { return Backend::list_users(conn); });
  }

  boost::asio::awaitable<std::int64_t> count_users() override {
    return core_.read([](Connection& conn) { return Backend::count_users(conn); });
  }

  boost::asio::awaitable<Result<User>> update_user(std::string id, UserPatch patch) override {
    return core_.write(
        [id = std::move(id), patch = std::move(patch), clock = core_.clock()](Connection& conn) {
          return Backend::update_user(conn, id, patch, clock());
        });
  }

  // ---- sessions ----

  boost::asio::awaitable<void> create_session(Session session) override {
    return core_.write([s = std::move(session), clock = core_.clock()](Connection& conn) {
      Backend::insert_session(conn, s, clock());
    });
  }

  boost::asio::awaitable<std::optional<Session>> get_session(std::string id_hash) override {
    return core_.read(
        [id = std::move(id_hash)](Connection& conn) { return Backend::find_session(conn, id); });
  }

  void touch_session(std::string id_hash, std::int64_t last_seen_ms) override {
    core_.writer().touch(TouchKind::session_last_seen, std::move(id_hash), last_seen_ms);
  }

  boost::asio::awaitable<bool> delete_session(std::string id_hash) override {
    return core_.write(
        [id = std::move(id_hash)](Connection& conn) { return Backend::delete_session(conn, id); });
  }

  boost::asio::awaitable<std::int64_t> delete_user_sessions(
      std::string user_id, std::optional<std::string> keep_id_hash) override {
    return core_.write(
        [user_id = std::move(user_id), keep = std::move(keep_id_hash)](Connection& conn) {
          return Backend::delete_user_sessions(conn, user_id, keep);
        });
  }

  boost::asio::awaitable<std::int64_t> delete_expired_sessions(
      std::int64_t now_ms, std::int64_t idle_limit_ms) override {
    return core_.write([now_ms, idle_limit_ms, writer = &core_.writer()](Connection& conn) {
      // A queued touch may keep a session alive: write them first.
      writer->write_queued_touches();
      return Backend::delete_expired_sessions(conn, now_ms, idle_limit_ms);
    });
  }

  // ---- API tokens ----

  boost::asio::awaitable<ApiToken> create_api_token(ApiToken token) override {
    return core_.write([t = std::move(token), clock = core_.clock()](Connection& conn) {
      return Backend::insert_api_token(conn, t, clock());
    });
  }

  boost::asio::awaitable<std::vector<ApiToken>> list_api_tokens(std::string user_id) override {
    return core_.read([user_id = std::move(user_id)](Connection& conn) {
      return Backend::list_api_tokens(conn, user_id);
    });
  }

  boost::asio::awaitable<std::optional<ApiToken>> find_api_token(std::string token_hash) override {
    return core_.read([hash = std::move(token_hash)](Connection& conn) {
      return Backend::find_api_token(conn, hash);
    });
  }

  boost::asio::awaitable<bool> delete_api_token(std::string user_id, std::string id) override {
    return core_.write([user_id = std::move(user_id), id = std::move(id)](Connection& conn) {
      return Backend::delete_api_token(conn, user_id, id);
    });
  }

  void touch_api_token(std::string id, std::int64_t used_at_ms) override {
    core_.writer().touch(TouchKind::api_token_last_used, std::move(id), used_at_ms);
  }

  // ---- usage ----

  boost::asio::awaitable<void> add_usage(std::string user_id, std::string day, std::int64_t tokens,
                                         std::int64_t requests) override {
    return core_.write(
        [user_id = std::move(user_id), day = std::move(day), tokens, requests](Connection& conn) {
          Backend::add_usage(conn, user_id, day, tokens, requests);
        });
  }

  boost::asio::awaitable<UsageDay> get_usage(std::string user_id, std::string day) override {
    return core_.read([user_id = std::move(user_id), day = std::move(day)](Connection& conn) {
      return Backend::find_usage(conn, user_id, day);
    });
  }

  boost::asio::awaitable<std::vector<UsageDay>> list_usage(std::string from_day,
                                                           std::string to_day) override {
    return core_.read([from = std::move(from_day), to = std::move(to_day)](Connection& conn) {
      return Backend::list_usage(conn, from, to);
    });
  }

 private:
  ShellCore<Backend>& core_;
};

}  // namespace chatstream::store::common
