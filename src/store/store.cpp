#include "store/store.hpp"

#include <array>
#include <string>
#include <utility>

#include "store/postgres/postgres_store.hpp"
#include "store/sqlite/sqlite_store.hpp"

namespace chatstream::store {
namespace {

constexpr std::array<std::pair<Role, std::string_view>, 3> role_names{{
    {Role::system, "system"},
    {Role::user, "user"},
    {Role::assistant, "assistant"},
}};

constexpr std::array<std::pair<MessageStatus, std::string_view>, 5> status_names{{
    {MessageStatus::streaming, "streaming"},
    {MessageStatus::complete, "complete"},
    {MessageStatus::cancelled, "cancelled"},
    {MessageStatus::error, "error"},
    {MessageStatus::interrupted, "interrupted"},
}};

class StoreCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "chatstream.store"; }
  std::string message(int value) const override {
    switch (static_cast<Errc>(value)) {
      case Errc::not_found:
        return "not found";
      case Errc::invalid_parent:
        return "parent message is not in this conversation";
      case Errc::invalid_leaf:
        return "current leaf is not a message of this conversation";
    }
    return "unknown store error";
  }
};

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

std::string_view to_string(Role role) noexcept {
  for (const auto& [value, name] : role_names) {
    if (value == role) return name;
  }
  return "user";
}

std::string_view to_string(MessageStatus status) noexcept {
  for (const auto& [value, name] : status_names) {
    if (value == status) return name;
  }
  return "error";
}

std::optional<Role> role_from_string(std::string_view text) noexcept {
  for (const auto& [value, name] : role_names) {
    if (name == text) return value;
  }
  return std::nullopt;
}

std::optional<MessageStatus> message_status_from_string(std::string_view text) noexcept {
  for (const auto& [value, name] : status_names) {
    if (name == text) return value;
  }
  return std::nullopt;
}

const std::error_category& store_category() noexcept {
  static const StoreCategory category;
  return category;
}

std::error_code make_error_code(Errc e) noexcept {
  return {static_cast<int>(e), store_category()};
}

std::unique_ptr<Store> open_store(const StoreConfig& config) {
  const std::string_view url = config.url;
  if (starts_with(url, "postgres://") || starts_with(url, "postgresql://")) {
    return postgres::open_postgres_store(config.url, config);
  }
  std::string path;
  if (starts_with(url, "sqlite://")) {
    path = url.substr(9);
  } else if (starts_with(url, "sqlite:")) {
    path = url.substr(7);
  } else if (url.find("://") != std::string_view::npos) {
    throw StoreFailure("store: unsupported database URL scheme in '" + std::string(url) + "'");
  } else {
    path = url;
  }
  if (path.empty() || path == ":memory:" || starts_with(path, "file:")) {
    throw StoreFailure("store: the SQLite store needs a file path, got '" + std::string(url) + "'");
  }
  return sqlite::open_sqlite_store(path, config);
}

}  // namespace chatstream::store
