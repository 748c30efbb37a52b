// Generation admission (daily token budget, requests per minute, concurrent generations) and
// the ticket that gives the slot back and records the tokens used.
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "auth/service.hpp"
#include "auth/state.hpp"

namespace chatstream::auth {
namespace asio = boost::asio;

namespace detail {

namespace {
asio::awaitable<void> add_usage(std::shared_ptr<LimitState> state, std::string user_id,
                                std::string day, std::int64_t tokens, std::int64_t requests) {
  try {
    if (state->stopped) co_return;
    co_await state->store->add_usage(std::move(user_id), std::move(day), tokens, requests);
  } catch (const std::exception& e) {
    if (state->logger) state->logger->warn("usage not recorded: {}", e.what());
  }
}
}  // namespace

void record_usage(const std::shared_ptr<LimitState>& state, const std::string& user_id,
                  std::int64_t tokens, std::int64_t requests) {
  if (state->store == nullptr || state->stopped || !state->executor) return;
  asio::co_spawn(state->executor,
                 add_usage(state, user_id, utc_day(state->clock()), tokens, requests),
                 asio::detached);
}

}  // namespace detail

GenerationTicket::GenerationTicket(std::shared_ptr<detail::LimitState> state, std::string user_id,
                                   std::optional<std::string> slot)
    : state_(std::move(state)), user_id_(std::move(user_id)), slot_(std::move(slot)) {}

GenerationTicket::~GenerationTicket() {
  try {
    if (slot_) state_->backend->give_back_slot(user_id_, *slot_);
  } catch (const std::exception&) {
    // A slot not given back expires with its lease (shared limits) or is lost with the process.
  }
  try {
    if (auto t = tokens(); t > 0) detail::record_usage(state_, user_id_, t, 0);
  } catch (const std::exception&) {
    // Never throw from a destructor; a lost usage record is the lesser harm.
  }
}

void GenerationTicket::set_usage(std::int64_t prompt_tokens, std::int64_t completion_tokens) {
  reported_ =
      std::max<std::int64_t>(0, prompt_tokens) + std::max<std::int64_t>(0, completion_tokens);
}

std::int64_t GenerationTicket::tokens() const noexcept {
  if (reported_) return *reported_;
  return estimate_tokens(prompt_chars_) + estimate_tokens(completion_chars_);
}

asio::awaitable<std::variant<std::shared_ptr<GenerationTicket>, Refusal>>
Accounts::admit_generation(std::string user_id) {
  Limits limits = settings_.limits;
  if (multi_user()) {
    auto user = co_await store_->get_user(user_id);
    if (!user || user->disabled) {
      co_return Refusal{401, "unauthenticated", "Please log in.", 0};
    }
    limits = limits_of(*user);
    const auto now = clock_();
    if (limits.tokens_per_day > 0) {
      auto usage = co_await store_->get_usage(user_id, utc_day(now));
      if (auto wait = budget_retry_after(usage.tokens, limits.tokens_per_day, now)) {
        co_return Refusal{429, "token_budget_exceeded",
                          "You have used today's token budget (" +
                              std::to_string(limits.tokens_per_day) +
                              " tokens). It resets at midnight UTC.",
                          *wait};
      }
    }
  } else {
    // Single-user mode: no per-user limits (only the server-wide --max-generations).
    co_return std::shared_ptr<GenerationTicket>{};
  }
  auto& backend = *limits_->backend;
  if (auto wait = co_await backend.take_request(user_id, limits.requests_per_minute)) {
    co_return Refusal{429, "rate_limited",
                      "Too many requests: at most " + std::to_string(limits.requests_per_minute) +
                          " answers per minute. Try again shortly.",
                      *wait};
  }
  auto slot = co_await backend.take_slot(user_id, limits.max_concurrent);
  if (!slot) {
    co_return Refusal{429, "too_many_generations",
                      "You already have " + std::to_string(limits.max_concurrent) +
                          " answers being generated. Wait for one to finish or stop it.",
                      5};
  }
  detail::record_usage(limits_, user_id, 0, 1);
  co_return std::make_shared<GenerationTicket>(limits_, std::move(user_id), std::move(slot));
}

}  // namespace chatstream::auth
