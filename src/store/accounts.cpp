#include "store/accounts.hpp"

#include <array>
#include <utility>

namespace chatstream::store {
namespace {

constexpr std::array<std::pair<UserRole, std::string_view>, 2> user_role_names{{
    {UserRole::admin, "admin"},
    {UserRole::user, "user"},
}};

class AccountCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "chatstream.accounts"; }
  std::string message(int value) const override {
    switch (static_cast<AccountErrc>(value)) {
      case AccountErrc::username_taken:
        return "username already taken";
      case AccountErrc::user_not_found:
        return "user not found";
    }
    return "unknown accounts error";
  }
};

}  // namespace

std::string_view to_string(UserRole role) noexcept {
  for (const auto& [value, name] : user_role_names) {
    if (value == role) return name;
  }
  return "user";
}

std::optional<UserRole> user_role_from_string(std::string_view text) noexcept {
  for (const auto& [value, name] : user_role_names) {
    if (name == text) return value;
  }
  return std::nullopt;
}

const std::error_category& account_category() noexcept {
  static const AccountCategory category;
  return category;
}

std::error_code make_error_code(AccountErrc e) noexcept {
  return {static_cast<int>(e), account_category()};
}

}  // namespace chatstream::store
