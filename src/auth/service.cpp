#include "auth/service.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <mutex>

#include "auth/secrets.hpp"
#include "auth/state.hpp"
#include "http/error.hpp"

namespace chatstream::auth {
namespace asio = boost::asio;

std::string_view to_string(Mode mode) noexcept {
  return mode == Mode::multi_user ? "multi-user" : "single-user";
}

std::optional<Mode> mode_from_string(std::string_view text) noexcept {
  if (text == "single-user") return Mode::single_user;
  if (text == "multi-user") return Mode::multi_user;
  return std::nullopt;
}

Limits effective_limits(const store::UserLimits& overrides, const Limits& defaults) noexcept {
  return {overrides.max_concurrent.value_or(defaults.max_concurrent),
          overrides.requests_per_minute.value_or(defaults.requests_per_minute),
          overrides.tokens_per_day.value_or(defaults.tokens_per_day)};
}

http::Response to_response(const Refusal& refusal) {
  auto r = http::json_error(refusal.status, refusal.code, refusal.message);
  r.set_header("Cache-Control", "no-store");
  if (refusal.retry_after_s > 0) r.set_header("Retry-After", std::to_string(refusal.retry_after_s));
  return r;
}

struct Accounts::Private {
  asio::thread_pool hashing{2};
  std::string dummy_hash;  // verified against for unknown names (same work as a real one)
  std::mutex setup_mutex;
  std::optional<std::string> setup_hash;
  bool setup_consumed = false;
};

Accounts::Accounts(AuthSettings settings, store::AccountStore* store,
                   asio::any_io_executor executor, std::shared_ptr<spdlog::logger> logger,
                   Clock clock, std::shared_ptr<LimitBackend> limits)
    : settings_(settings),
      store_(store),
      executor_(std::move(executor)),
      logger_(std::move(logger)),
      clock_(std::move(clock)),
      limits_(std::make_shared<detail::LimitState>(
          clock_, limits ? std::move(limits)
                         : std::make_shared<MemoryLimits>(clock_, settings_.account_lockout,
                                                          settings_.address_lockout))),
      private_(std::make_unique<Private>()) {
  ensure_sodium();
  if (multi_user() && store_ == nullptr) {
    throw std::invalid_argument("multi-user mode needs an account store");
  }
  limits_->store = store_;
  limits_->executor = executor_;
  limits_->logger = logger_;
  if (multi_user()) {
    private_->dummy_hash = auth::hash_password(random_secret(16), settings_.password_cost);
  }
}

Accounts::~Accounts() {
  limits_->stopped = true;
  private_->hashing.join();
}

void Accounts::audit(std::string_view event, std::string_view details) const {
  logger_->info("audit event={} {}", event, details);
}

// --- passwords

namespace {
// Run on the hashing pool (co_spawn'd there; the caller resumes on its own executor).
asio::awaitable<std::string> hash_on_pool(std::string password, PasswordCost cost) {
  co_return auth::hash_password(password, cost);
}
asio::awaitable<bool> verify_on_pool(std::string hash, std::string password) {
  co_return auth::verify_password(hash, password);
}
}  // namespace

asio::awaitable<std::string> Accounts::hash_password(std::string password) {
  co_return co_await asio::co_spawn(private_->hashing.get_executor(),
                                    hash_on_pool(std::move(password), settings_.password_cost),
                                    asio::use_awaitable);
}

asio::awaitable<bool> Accounts::verify_password(std::string hash, std::string password) {
  co_return co_await asio::co_spawn(private_->hashing.get_executor(),
                                    verify_on_pool(std::move(hash), std::move(password)),
                                    asio::use_awaitable);
}

// --- setup token

asio::awaitable<std::optional<std::string>> Accounts::prepare_setup() {
  if (!multi_user()) co_return std::nullopt;
  const auto users = co_await store_->count_users();
  if (users > 0) co_return std::nullopt;
  auto token = random_secret(24);
  std::lock_guard lock(private_->setup_mutex);
  private_->setup_hash = secret_hash(token);
  private_->setup_consumed = false;
  co_return token;
}

bool Accounts::consume_setup_token(std::string_view token) {
  const auto presented = secret_hash(token);
  std::lock_guard lock(private_->setup_mutex);
  if (!private_->setup_hash || private_->setup_consumed) return false;
  if (!constant_time_equal(*private_->setup_hash, presented)) return false;
  private_->setup_consumed = true;
  return true;
}

void Accounts::restore_setup_token() {
  std::lock_guard lock(private_->setup_mutex);
  private_->setup_consumed = false;
}

// --- login

std::string Accounts::client_address(const http::Request& req) const {
  if (settings_.trust_forwarded_for) {
    std::string_view xff = req.header("x-forwarded-for");
    if (!xff.empty()) {
      auto comma = xff.rfind(',');
      auto last = comma == std::string_view::npos ? xff : xff.substr(comma + 1);
      while (!last.empty() && last.front() == ' ') last.remove_prefix(1);
      while (!last.empty() && last.back() == ' ') last.remove_suffix(1);
      if (!last.empty() && last.size() <= 64) return std::string(last);
    }
  }
  return req.remote_address;
}

namespace {
std::string lower_ascii(std::string s) {
  for (auto& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}
}  // namespace

asio::awaitable<std::optional<Refusal>> Accounts::login_locked(std::string username,
                                                               std::string client) {
  auto wait =
      co_await limits_->backend->login_locked(lower_ascii(std::move(username)), std::move(client));
  if (!wait) co_return std::nullopt;
  co_return Refusal{429, "too_many_login_attempts", "Too many failed logins. Try again later.",
                    *wait};
}

asio::awaitable<std::variant<store::User, Refusal>> Accounts::login(std::string username,
                                                                    std::string password,
                                                                    std::string client) {
  if (auto locked = co_await login_locked(username, client)) {
    audit("login_locked", fmt::format("username={:?} client={}", username, client));
    co_return *locked;
  }
  auto user = co_await store_->find_user_by_name(username);
  const std::string& hash = user ? user->password_hash : private_->dummy_hash;
  const bool verified = co_await verify_password(hash, password);
  const bool ok = verified && user.has_value();
  if (!ok || user->disabled) {
    if (!ok) {
      co_await limits_->backend->login_failed(lower_ascii(username), client);
    }
    audit("login_failed", fmt::format("username={:?} client={} reason={}", username, client,
                                      ok ? "disabled" : "bad_credentials"));
    co_return Refusal{401, "invalid_credentials", "Wrong username or password.", 0};
  }
  co_await limits_->backend->login_succeeded(lower_ascii(username));
  if (needs_rehash(user->password_hash, settings_.password_cost)) {
    store::UserPatch patch;
    patch.password_hash = co_await hash_password(password);
    auto updated = co_await store_->update_user(user->id, std::move(patch));
    if (updated) {
      user = std::move(*updated);
      audit("password_rehashed", fmt::format("user_id={}", user->id));
    }
  }
  audit("login_ok",
        fmt::format("user_id={} username={:?} client={}", user->id, user->username, client));
  co_return std::move(*user);
}

// --- sessions

asio::awaitable<std::string> Accounts::start_session(const store::User& user,
                                                     const http::Request& req) {
  auto secret = new_session_secret();
  store::Session s;
  s.id_hash = secret_hash(secret);
  s.user_id = user.id;
  s.created_at_ms = clock_();
  s.last_seen_ms = s.created_at_ms;
  s.expires_at_ms = s.created_at_ms + settings_.session_absolute.count();
  s.user_agent = std::string(req.header("user-agent").substr(0, 200));
  s.remote_address = client_address(req);
  co_await store_->create_session(std::move(s));
  co_return secret;
}

std::string Accounts::session_cookie(const std::string& secret) const {
  const auto max_age =
      std::chrono::duration_cast<std::chrono::seconds>(settings_.session_absolute).count();
  std::string c = std::string(session_cookie_name) + "=" + secret +
                  "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" + std::to_string(max_age);
  if (settings_.secure_cookie) c += "; Secure";
  return c;
}

std::string Accounts::clearing_cookie() const {
  std::string c = std::string(session_cookie_name) + "=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0";
  if (settings_.secure_cookie) c += "; Secure";
  return c;
}

std::optional<std::string> Accounts::session_secret(const http::Request& req) {
  std::string_view rest = req.header("cookie");
  while (!rest.empty()) {
    auto semi = rest.find(';');
    auto pair = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    auto eq = pair.find('=');
    if (eq == std::string_view::npos || pair.substr(0, eq) != session_cookie_name) continue;
    auto value = pair.substr(eq + 1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    if (value.empty() || value.size() > 128) return std::nullopt;
    return std::string(value);
  }
  return std::nullopt;
}

asio::awaitable<std::int64_t> Accounts::running_generations(std::string user_id) const {
  co_return co_await limits_->backend->running(std::move(user_id));
}

Limits Accounts::limits_of(const store::User& user) const noexcept {
  return effective_limits(user.limits, settings_.limits);
}

}  // namespace chatstream::auth
