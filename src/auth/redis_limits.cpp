#include "auth/redis_limits.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <stdexcept>

#include "auth/secrets.hpp"
#include "redis/client.hpp"
#include "redis/script.hpp"

namespace chatstream::auth {
namespace asio = boost::asio;

namespace {

// Every script starts with this: the time in ms, ARGV[n] when it is a positive number (an
// injected clock), else the server's.
constexpr std::string_view kNow = R"lua(
local function now_ms(arg)
  local n = tonumber(arg)
  if n and n > 0 then return n end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
)lua";

// KEYS[1] bucket; ARGV per_minute, now. Returns 0 (taken) or the Retry-After seconds.
constexpr std::string_view kRate = R"lua(
local cap = tonumber(ARGV[1])
local now = now_ms(ARGV[2])
local per_ms = cap / 60000
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens, ts = tonumber(b[1]), tonumber(b[2])
if tokens == nil or ts == nil then tokens, ts = cap, now end
local elapsed = now - ts
if elapsed < 0 then elapsed = 0 end
tokens = math.min(cap, tokens + elapsed * per_ms)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.max(1, math.ceil((1 - tokens) / per_ms / 1000))
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], 61000)
return wait
)lua";

// KEYS[1] slots; ARGV max, ttl_ms, slot, now. Returns 1 (taken) or 0 (max running).
constexpr std::string_view kTakeSlot = R"lua(
local now = now_ms(ARGV[4])
local max, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if max > 0 and redis.call('ZCARD', KEYS[1]) >= max then return 0 end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[3])
redis.call('PEXPIRE', KEYS[1], ttl + 1000)
return 1
)lua";

// KEYS[1] slots; ARGV ttl_ms, slot, now. The holder is alive: (re)sets the slot's expiry.
constexpr std::string_view kRefreshSlot = R"lua(
local now = now_ms(ARGV[3])
local ttl = tonumber(ARGV[1])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[2])
redis.call('PEXPIRE', KEYS[1], ttl + 1000)
return 1
)lua";

// KEYS[1] slots; ARGV now. The slots not expired.
constexpr std::string_view kRunning = R"lua(
local now = now_ms(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])
)lua";

// KEYS lockout hashes; ARGV now. 0 or the Retry-After seconds of the longest lock.
constexpr std::string_view kLocked = R"lua(
local now = now_ms(ARGV[1])
local worst = 0
for i = 1, #KEYS do
  local u = tonumber(redis.call('HGET', KEYS[i], 'until'))
  if u and u > now then worst = math.max(worst, math.max(1, math.ceil((u - now) / 1000))) end
end
return worst
)lua";

// KEYS[1] lockout hash; ARGV free, base_ms, max_ms, forget_ms, now. Returns the failures.
constexpr std::string_view kFailure = R"lua(
local free, base, maxms, forget = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local now = now_ms(ARGV[5])
local e = redis.call('HMGET', KEYS[1], 'failures', 'last', 'until')
local failures, last, locked = tonumber(e[1]) or 0, tonumber(e[2]) or 0, tonumber(e[3]) or 0
if failures > 0 and now - last > forget then failures, locked = 0, 0 end
failures = failures + 1
local over = failures - free
if over > 0 then locked = now + math.min(maxms, base * 2 ^ math.min(over - 1, 30)) end
redis.call('HSET', KEYS[1], 'failures', failures, 'last', tostring(now), 'until', tostring(locked))
redis.call('PEXPIRE', KEYS[1], math.max(forget, locked - now) + 1000)
return failures
)lua";

std::string with_now(std::string_view body) {
  return std::string(kNow) + std::string(body);
}

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::vector<std::string> policy_args(const LockoutPolicy& p, std::string now) {
  return redis::args(std::to_string(p.free_failures), std::to_string(p.base_ms),
                     std::to_string(p.max_ms), std::to_string(p.forget_ms), std::move(now));
}

}  // namespace

struct RedisLimits::Scripts {
  redis::Script rate{with_now(kRate)};
  redis::Script take_slot{with_now(kTakeSlot)};
  redis::Script refresh_slot{with_now(kRefreshSlot)};
  redis::Script running{with_now(kRunning)};
  redis::Script locked{with_now(kLocked)};
  redis::Script failure{with_now(kFailure)};
  std::string boot = random_secret(6);  // slot ids differ after a restart
};

RedisLimits::RedisLimits(asio::any_io_executor executor, RedisLimitsSettings settings,
                         std::shared_ptr<spdlog::logger> logger, Clock clock,
                         std::optional<Clock> script_clock)
    : executor_(std::move(executor)),
      settings_(std::move(settings)),
      logger_(logger ? std::move(logger) : spdlog::default_logger()),
      script_clock_(std::move(script_clock)),
      fallback_(std::move(clock), settings_.account_lockout, settings_.address_lockout),
      scripts_(std::make_unique<Scripts>()) {
  auto config = redis::parse_url(settings_.redis_url);
  if (!config) throw std::invalid_argument("not a redis:// URL");
  config->log_connects = false;  // the cluster layer logs the connection already
  client_ = std::make_unique<redis::Client>(executor_, std::move(*config), logger_);
}

RedisLimits::~RedisLimits() {
  stop();
}

void RedisLimits::start() {
  client_->start();
  const auto every = std::max(std::chrono::milliseconds(50), settings_.slot_ttl / 3);
  asio::co_spawn(executor_, refresh_loop(weak_from_this(), executor_, every), asio::detached);
}

void RedisLimits::stop() {
  if (stopped_.exchange(true)) return;
  client_->stop();
}

std::size_t RedisLimits::held_slots() const {
  std::lock_guard lock(held_mutex_);
  return held_.size();
}

std::string RedisLimits::rate_key(const std::string& user_id) const {
  return settings_.prefix + "rate:" + user_id;
}
std::string RedisLimits::slots_key(const std::string& user_id) const {
  return settings_.prefix + "generations:" + user_id;
}
std::string RedisLimits::account_key(const std::string& account) const {
  return settings_.prefix + "login:user:" + account;
}
std::string RedisLimits::address_key(const std::string& address) const {
  return settings_.prefix + "login:ip:" + address;
}

bool RedisLimits::usable() const {
  return !stopped_ && client_->connected() && steady_ms() >= skip_until_ms_.load();
}

void RedisLimits::failed(std::string_view what, std::string_view why) {
  skip_until_ms_.store(steady_ms() + settings_.retry_after_failure.count());
  if (!degraded_.exchange(true)) {
    logger_->warn(
        "limits: Redis unavailable for {} ({}): using this instance's own limits until it "
        "answers again",
        what, why);
  }
}

void RedisLimits::succeeded() {
  if (degraded_.exchange(false)) logger_->info("limits: shared through Redis again");
}

std::string RedisLimits::now_arg() const {
  return script_clock_ ? std::to_string((*script_clock_)()) : std::string("0");
}

asio::awaitable<std::optional<std::vector<long long>>> RedisLimits::run(
    std::string what, std::vector<redis::ScriptCall> calls) {
  if (!usable()) {
    if (!stopped_ && !client_->connected()) failed(what, "not connected");
    co_return std::nullopt;
  }
  auto replies = co_await redis::run_scripts(*client_, std::move(calls), settings_.timeout);
  if (!replies) {
    failed(what, replies.error().message());
    co_return std::nullopt;
  }
  std::vector<long long> out;
  out.reserve(replies->size());
  for (const auto& r : *replies) {
    if (r.type != redis::Reply::Type::integer) {
      failed(what, r.is_error() ? r.str : std::string("unexpected reply"));
      co_return std::nullopt;
    }
    out.push_back(r.integer);
  }
  succeeded();
  co_return out;
}

asio::awaitable<std::optional<std::int64_t>> RedisLimits::take_request(std::string user_id,
                                                                       std::int64_t per_minute) {
  if (per_minute <= 0) co_return std::nullopt;
  std::vector<redis::ScriptCall> calls;
  calls.push_back({&scripts_->rate, redis::args(rate_key(user_id)),
                   redis::args(std::to_string(per_minute), now_arg())});
  auto r = co_await run("requests per minute", std::move(calls));
  if (!r) co_return fallback_.take_request_now(user_id, per_minute);
  if (r->front() <= 0) co_return std::nullopt;
  co_return static_cast<std::int64_t>(r->front());
}

asio::awaitable<std::optional<std::string>> RedisLimits::take_slot(std::string user_id,
                                                                   std::int64_t max) {
  const auto n = next_slot_.fetch_add(1, std::memory_order_relaxed);
  std::string slot = settings_.instance_id + ":" + scripts_->boot + ":" + std::to_string(n);
  const auto key = slots_key(user_id);
  std::vector<redis::ScriptCall> calls;
  calls.push_back({&scripts_->take_slot, redis::args(key),
                   redis::args(std::to_string(std::max<std::int64_t>(0, max)),
                               std::to_string(settings_.slot_ttl.count()), slot, now_arg())});
  auto r = co_await run("concurrent generations", std::move(calls));
  if (!r) {
    if (!fallback_.take_slot_now(user_id, max)) co_return std::nullopt;
    co_return std::string(MemoryLimits::slot_id);
  }
  if (r->front() != 1) co_return std::nullopt;
  {
    std::lock_guard lock(held_mutex_);
    held_.emplace(slot, key);
  }
  co_return slot;
}

void RedisLimits::give_back_slot(const std::string& user_id, const std::string& slot) {
  if (slot == MemoryLimits::slot_id) {
    fallback_.give_back_slot_now(user_id);
    return;
  }
  std::string key;
  {
    std::lock_guard lock(held_mutex_);
    auto it = held_.find(slot);
    if (it == held_.end()) return;
    key = std::move(it->second);
    held_.erase(it);
  }
  // Not refreshed any more: if this removal is lost, the slot expires after the lease.
  if (stopped_) return;
  asio::co_spawn(executor_, remove_slot(shared_from_this(), std::move(key), slot), asio::detached);
}

asio::awaitable<void> RedisLimits::remove_slot(std::shared_ptr<RedisLimits> self, std::string key,
                                               std::string slot) {
  std::vector<std::vector<std::string>> commands;
  commands.push_back(redis::args("ZREM", std::move(key), std::move(slot)));
  auto r = co_await self->client_->pipeline_within(std::move(commands), self->settings_.timeout);
  if (!r) {
    self->logger_->debug("limits: slot not given back ({}); it expires with its lease",
                         r.error().message());
  }
}

asio::awaitable<std::int64_t> RedisLimits::running(std::string user_id) {
  std::vector<redis::ScriptCall> calls;
  calls.push_back({&scripts_->running, redis::args(slots_key(user_id)), redis::args(now_arg())});
  auto r = co_await run("concurrent generations", std::move(calls));
  const auto local = fallback_.running_now(user_id);
  if (!r) co_return local;
  co_return static_cast<std::int64_t>(r->front()) + local;
}

asio::awaitable<std::optional<std::int64_t>> RedisLimits::login_locked(std::string account,
                                                                       std::string address) {
  std::vector<redis::ScriptCall> calls;
  calls.push_back({&scripts_->locked, redis::args(account_key(account), address_key(address)),
                   redis::args(now_arg())});
  auto r = co_await run("login lockout", std::move(calls));
  // Locks recorded here while Redis was down still count on this instance.
  auto local = fallback_.login_locked_now(account, address);
  if (!r || r->front() <= 0) co_return local;
  co_return std::max(local.value_or(0), static_cast<std::int64_t>(r->front()));
}

asio::awaitable<void> RedisLimits::login_failed(std::string account, std::string address) {
  std::vector<redis::ScriptCall> calls;
  calls.push_back({&scripts_->failure, redis::args(account_key(account)),
                   policy_args(settings_.account_lockout, now_arg())});
  calls.push_back({&scripts_->failure, redis::args(address_key(address)),
                   policy_args(settings_.address_lockout, now_arg())});
  auto r = co_await run("login lockout", std::move(calls));
  if (!r) fallback_.login_failed_now(account, address);
}

asio::awaitable<void> RedisLimits::login_succeeded(std::string account) {
  fallback_.login_succeeded_now(account);
  if (!usable()) co_return;
  std::vector<std::vector<std::string>> commands;
  commands.push_back(redis::args("DEL", account_key(account)));
  auto r = co_await client_->pipeline_within(std::move(commands), settings_.timeout);
  if (!r) failed("login lockout", r.error().message());
}

asio::awaitable<void> RedisLimits::refresh_loop(std::weak_ptr<RedisLimits> weak,
                                                asio::any_io_executor executor,
                                                std::chrono::milliseconds every) {
  asio::steady_timer timer(executor);
  for (;;) {
    timer.expires_after(every);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    auto self = weak.lock();
    if (!self || self->stopped_) co_return;
    co_await self->refresh_once();
  }
}

asio::awaitable<void> RedisLimits::refresh_once() {
  std::vector<redis::ScriptCall> calls;
  {
    std::lock_guard lock(held_mutex_);
    for (const auto& [slot, key] : held_) {
      calls.push_back({&scripts_->refresh_slot, redis::args(key),
                       redis::args(std::to_string(settings_.slot_ttl.count()), slot, now_arg())});
    }
  }
  if (calls.empty() || !client_->connected()) co_return;
  auto r = co_await redis::run_scripts(*client_, std::move(calls), settings_.slot_ttl / 3);
  if (!r) logger_->warn("limits: generation slots not refreshed: {}", r.error().message());
}

}  // namespace chatstream::auth
