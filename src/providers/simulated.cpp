// The simulated provider: tokenizer, usage counts and the timed streaming coroutine.
#include "providers/simulated.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdint>

namespace chatstream::providers {

Provider::~Provider() = default;

bool is_token_event(const Event& event) noexcept {
  return std::holds_alternative<TextDelta>(event) ||
         std::holds_alternative<ReasoningDelta>(event) ||
         std::holds_alternative<ToolCallDelta>(event);
}

namespace simulated {
namespace {

// Length of the UTF-8 sequence starting with byte `c` (1 for invalid lead bytes).
std::size_t seq_len(unsigned char c) {
  if (c < 0x80U) return 1;
  if ((c & 0xE0U) == 0xC0U) return 2;
  if ((c & 0xF0U) == 0xE0U) return 3;
  if ((c & 0xF8U) == 0xF0U) return 4;
  return 1;
}

std::uint32_t code_point(std::string_view s, std::size_t i, std::size_t len) {
  const auto b = [&](std::size_t k) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(s[i + k]));
  };
  switch (len) {
    case 2:
      return ((b(0) & 0x1FU) << 6U) | (b(1) & 0x3FU);
    case 3:
      return ((b(0) & 0x0FU) << 12U) | ((b(1) & 0x3FU) << 6U) | (b(2) & 0x3FU);
    case 4:
      return ((b(0) & 0x07U) << 18U) | ((b(1) & 0x3FU) << 12U) | ((b(2) & 0x3FU) << 6U) |
             (b(3) & 0x3FU);
    default:
      return b(0);
  }
}

// Modifiers that belong to the preceding code point: ZWJ, VS16, skin tones, combining marks.
bool is_joiner(std::uint32_t cp) {
  return cp == 0x200DU || cp == 0xFE0FU || (cp >= 0x1F3FBU && cp <= 0x1F3FFU) ||
         (cp >= 0x0300U && cp <= 0x036FU) || (cp >= 0xE0020U && cp <= 0xE007FU);
}

// Length of one non-ASCII "character": a code point plus its joiners (clamped to input).
std::size_t wide_char_len(std::string_view s, std::size_t i) {
  std::size_t j = i + std::min(seq_len(static_cast<unsigned char>(s[i])), s.size() - i);
  while (j < s.size()) {
    const std::size_t len = std::min(seq_len(static_cast<unsigned char>(s[j])), s.size() - j);
    const std::uint32_t cp = code_point(s, j, len);
    if (!is_joiner(cp)) break;
    j += len;
    if (cp == 0x200DU && j < s.size()) {  // ZWJ glues the next code point too
      j += std::min(seq_len(static_cast<unsigned char>(s[j])), s.size() - j);
    }
  }
  return j - i;
}

bool is_word(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '\'';
}

// The core of a token starting at i (after any leading spaces).
std::size_t core_len(std::string_view s, std::size_t i) {
  const char c = s[i];
  if (c == '\n') {
    std::size_t j = i;
    while (j < s.size() && s[j] == '\n') ++j;
    return j - i;
  }
  if (static_cast<unsigned char>(c) >= 0x80U) return wide_char_len(s, i);
  if (is_word(c)) {
    std::size_t j = i;
    while (j < s.size() && j - i < 6 && is_word(s[j])) ++j;
    return j - i;
  }
  std::size_t j = i;  // runs of the same punctuation ("```", "---") up to 3
  while (j < s.size() && j - i < 3 && s[j] == c) ++j;
  return j - i;
}

}  // namespace

std::vector<std::string> split_tokens(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = i;
    while (j < text.size() && (text[j] == ' ' || text[j] == '\t')) ++j;
    if (j < text.size()) j += core_len(text, j);
    out.emplace_back(text.substr(i, j - i));
    i = j;
  }
  return out;
}

std::int64_t count_prompt_tokens(const ChatRequest& request) {
  std::int64_t n = 3;
  if (!request.system_prompt.empty()) {
    n += 4 + static_cast<std::int64_t>(split_tokens(request.system_prompt).size());
  }
  for (const auto& m : request.messages) {
    n += 4 + static_cast<std::int64_t>(split_tokens(m.content).size());
  }
  return n;
}

}  // namespace simulated

namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// Delay before token `i` given the previous token's text.
Clock::duration token_gap(const SimulatedConfig& cfg, std::uint64_t& state,
                          const std::string& prev) {
  if (cfg.tokens_per_second <= 0) return Clock::duration::zero();
  state = state * 6364136223846793005ULL + 1442695040888963407ULL;
  const double u = static_cast<double>(state >> 11U) / static_cast<double>(1ULL << 53U);  // [0,1)
  double gap = (1.0 / cfg.tokens_per_second) * (1.0 + cfg.jitter * (2.0 * u - 1.0));
  if (prev.find('\n') != std::string::npos) gap *= 1.8;  // a short "thinking" pause per line
  return std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(std::max(gap, 0.0)));
}

StreamError cancelled_error() {
  return StreamError{ErrorKind::cancelled, "cancelled", "generation cancelled", 0,
                     "cancelled",          false};
}

}  // namespace

SimulatedProvider::SimulatedProvider(std::string name, SimulatedConfig config)
    : name_(std::move(name)), config_(config) {}

std::vector<ModelInfo> SimulatedProvider::models() const {
  return {ModelInfo{"simulated", "Simulated (offline)", name_, true}};
}

asio::awaitable<void> SimulatedProvider::stream_chat(ChatRequest request, EventSink sink) {
  co_await asio::this_coro::throw_if_cancelled(false);
  co_await asio::this_coro::reset_cancellation_state(asio::enable_partial_cancellation());
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer timer(ex);
  const auto cancelled = [](asio::cancellation_state cs) {
    return cs.cancelled() != asio::cancellation_type::none;
  };

  const std::string text = simulated::answer_for(request, config_.seed);
  const auto tokens = simulated::split_tokens(text);
  const std::int64_t prompt_tokens = simulated::count_prompt_tokens(request);
  std::uint64_t jitter_state = config_.seed ^ (tokens.size() * 0x9E3779B97F4A7C15ULL);

  auto next = Clock::now() + config_.first_token_delay;
  std::int64_t emitted = 0;
  const std::string* prev = nullptr;
  for (const auto& token : tokens) {
    if (request.max_tokens && emitted >= *request.max_tokens) break;
    if (prev != nullptr) next += token_gap(config_, jitter_state, *prev);
    if (next > Clock::now()) {
      timer.expires_at(next);
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    } else if (emitted % 16 == 15) {
      co_await asio::post(ex, asio::as_tuple(asio::use_awaitable));  // let others run
    }
    if (cancelled(co_await asio::this_coro::cancellation_state)) {
      sink(Usage{prompt_tokens, emitted, std::nullopt, std::nullopt});
      sink(cancelled_error());
      co_return;
    }
    sink(TextDelta{token});
    ++emitted;
    prev = &token;
  }
  const bool truncated = emitted < static_cast<std::int64_t>(tokens.size());
  sink(Usage{prompt_tokens, emitted, std::nullopt, std::nullopt});
  sink(Finish{truncated ? "length" : "stop", truncated ? "length" : "stop"});
}

}  // namespace chatstream::providers
