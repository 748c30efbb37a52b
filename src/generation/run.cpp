#include "generation/run.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <variant>

namespace chatstream::generation {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

// What the provider said, gathered on the generation's strand.
struct Collected {
  std::optional<Clock::time_point> first_token;
  std::optional<providers::Usage> usage;
  std::optional<providers::Finish> finish;
  std::optional<providers::StreamError> error;
};

// Snapshots of a running generation. Driven by the deltas, not by polling: the first unsaved
// delta arms the timer for `interval`, when it expires the log is saved. An idle generation
// costs no wake-up, a busy one at most one save per interval. Strand only.
struct Persister {
  Persister(asio::any_io_executor ex, std::chrono::milliseconds i)
      : timer(std::move(ex), Clock::time_point::max()), interval(i) {}
  asio::steady_timer timer;
  std::chrono::milliseconds interval;
  bool armed = false;    // a save is scheduled
  bool stopped = false;  // the final state is being written

  void on_delta() {
    if (armed || stopped) return;
    armed = true;
    timer.expires_after(interval);  // wakes the loop parked at time_point::max
  }
  void stop() {
    stopped = true;
    timer.cancel();
  }
};

asio::awaitable<void> persist_loop(std::shared_ptr<Generation> g, store::Store* store,
                                   std::shared_ptr<Persister> p) {
  std::uint64_t saved = 0;
  while (!p->stopped) {
    co_await p->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (p->stopped) break;
    if (!p->armed || p->timer.expiry() > Clock::now()) continue;  // armed since: wait for it
    p->armed = false;
    p->timer.expires_at(Clock::time_point::max());
    auto seq = g->last_seq();
    if (seq == saved) continue;
    store->save_progress(g->message_id(), g->text_up_to(seq), static_cast<std::int64_t>(seq));
    saved = seq;
  }
}

std::string error_code_for(const providers::StreamError& e) {
  if (!e.code.empty()) return e.code;
  switch (e.kind) {
    case providers::ErrorKind::http_status:
      return "upstream_http_" + std::to_string(e.http_status);
    case providers::ErrorKind::truncated:
      return "upstream_truncated";
    case providers::ErrorKind::timeout:
      return "upstream_timeout";
    case providers::ErrorKind::connect:
      return "upstream_unreachable";
    case providers::ErrorKind::protocol:
      return "upstream_protocol_error";
    case providers::ErrorKind::cancelled:
      return "cancelled";
    case providers::ErrorKind::upstream:
      break;
  }
  return e.type.empty() ? "upstream_error" : e.type;
}

Outcome decide(const Generation& g, const Collected& c, Clock::time_point started,
               std::string& content) {
  Outcome o;
  const auto now = Clock::now();
  o.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - started).count();
  if (c.first_token) {
    o.ttft_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(*c.first_token - started).count();
  }
  if (c.usage) {
    o.prompt_tokens = c.usage->prompt_tokens;
    o.completion_tokens = c.usage->completion_tokens;
  }
  o.last_seq = g.last_seq();
  if (g.cancel_requested()) {
    o.status = g.cancel_status();
    if (auto shown = g.cancel_shown()) o.last_seq = std::min(o.last_seq, *shown);
    o.finish_reason = "cancelled";
  } else if (c.error) {
    o.status = store::MessageStatus::error;
    o.error_message = c.error->message.empty() ? "The model provider failed." : c.error->message;
    o.error_code = error_code_for(*c.error);
  } else if (c.finish) {
    o.status = store::MessageStatus::complete;
    o.finish_reason = c.finish->reason;
  } else {
    o.status = store::MessageStatus::error;
    o.error_message = "The model stream ended without a result.";
    o.error_code = "upstream_truncated";
  }
  content = g.text_up_to(o.last_seq);
  return o;
}

}  // namespace

asio::awaitable<void> run_generation(std::shared_ptr<Generation> g, providers::ResolvedModel model,
                                     providers::ChatRequest request, RunContext ctx) {
  const auto started = Clock::now();
  auto strand = co_await asio::this_coro::executor;
  auto persister = std::make_shared<Persister>(strand, ctx.persist_interval);
  asio::co_spawn(strand, persist_loop(g, &ctx.store, persister), asio::detached);

  auto collected = std::make_shared<Collected>();
  std::size_t deltas = 0;
  providers::EventSink sink = [g, collected, persister, &deltas](providers::Event&& event) {
    std::visit(
        [&](auto&& e) {
          using T = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<T, providers::TextDelta>) {
            if (e.text.empty()) return;
            if (!collected->first_token) collected->first_token = Clock::now();
            g->append(e.text);
            persister->on_delta();
            ++deltas;
          } else if constexpr (std::is_same_v<T, providers::Usage>) {
            collected->usage = e;
          } else if constexpr (std::is_same_v<T, providers::Finish>) {
            collected->finish = std::move(e);
          } else if constexpr (std::is_same_v<T, providers::StreamError>) {
            collected->error = std::move(e);
          }
          // Reasoning and tool-call fragments are not part of a chat answer's text.
        },
        std::move(event));
  };

  if (!g->cancel_requested()) {
    try {
      // A nested spawn bound to the generation's cancel slot: cancelling closes the upstream
      // request, and only the provider call sees the cancellation.
      co_await asio::co_spawn(strand, model.provider->stream_chat(std::move(request), sink),
                              asio::bind_cancellation_slot(g->cancel_slot(), asio::use_awaitable));
    } catch (const std::exception& e) {
      if (!collected->error) {
        collected->error = providers::StreamError{
            providers::ErrorKind::protocol, "internal", e.what(), 0, "internal_error", false};
      }
    }
  }
  ctx.count_deltas(deltas);
  persister->stop();  // no snapshot may land after the final state

  std::string content;
  Outcome outcome = decide(*g, *collected, started, content);
  store::MessageFinal final_state;
  final_state.id = g->message_id();
  final_state.content = std::move(content);
  final_state.status = outcome.status;
  final_state.finish_reason = outcome.finish_reason;
  final_state.prompt_tokens = outcome.prompt_tokens;
  final_state.completion_tokens = outcome.completion_tokens;
  final_state.ttft_ms = outcome.ttft_ms;
  final_state.duration_ms = outcome.duration_ms;
  final_state.error_message = outcome.error_message;
  final_state.error_code = outcome.error_code;
  final_state.delta_seq = static_cast<std::int64_t>(outcome.last_seq);
  try {
    co_await ctx.store.finish_message(std::move(final_state));
  } catch (const std::exception& e) {
    ctx.logger->error("saving message {} failed: {}", g->message_id(), e.what());
  }
  if (outcome.status == store::MessageStatus::error) {
    ctx.logger->warn("generation {} ({}) failed: {} [{}]", g->message_id(), model.id,
                     outcome.error_message.value_or(""), outcome.error_code.value_or(""));
  }
  g->finish(std::move(outcome));
  ctx.on_finished(g);
}

}  // namespace chatstream::generation
