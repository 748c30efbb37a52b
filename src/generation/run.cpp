#include "generation/run.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
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
  std::size_t deltas = 0;
};

// Gathers the provider's events: deltas go to the log (and queue a snapshot), the rest into
// `c`. Runs on the generation's strand.
providers::EventSink make_sink(std::shared_ptr<Generation> g, std::shared_ptr<Collected> c,
                               SnapshotScheduler* snapshots) {
  return [g = std::move(g), c = std::move(c), snapshots](providers::Event&& event) {
    std::visit(
        [&](auto&& e) {
          using T = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<T, providers::TextDelta>) {
            if (e.text.empty()) return;
            if (!c->first_token) c->first_token = Clock::now();
            g->append(e.text);
            snapshots->on_delta(g);
            ++c->deltas;
          } else if constexpr (std::is_same_v<T, providers::Usage>) {
            c->usage = e;
          } else if constexpr (std::is_same_v<T, providers::Finish>) {
            c->finish = std::move(e);
          } else if constexpr (std::is_same_v<T, providers::StreamError>) {
            c->error = std::move(e);
          }
          // Reasoning and tool-call fragments are not part of a chat answer's text.
        },
        std::move(event));
  };
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

store::MessageFinal final_state_of(const Generation& g, const Outcome& outcome,
                                   std::string content) {
  store::MessageFinal f;
  f.id = g.message_id();
  f.content = std::move(content);
  f.status = outcome.status;
  f.finish_reason = outcome.finish_reason;
  f.prompt_tokens = outcome.prompt_tokens;
  f.completion_tokens = outcome.completion_tokens;
  f.ttft_ms = outcome.ttft_ms;
  f.duration_ms = outcome.duration_ms;
  f.error_message = outcome.error_message;
  f.error_code = outcome.error_code;
  f.delta_seq = static_cast<std::int64_t>(outcome.last_seq);
  return f;
}

// Writes the final state, then ends the log (subscribers get `done`/`error` only once it is
// durable). A coroutine of its own: its frame (outcome, final state) exists only at the end,
// not during the whole stream.
asio::awaitable<void> save_final(std::shared_ptr<Generation> g, std::string model_id,
                                 std::shared_ptr<Collected> collected, Clock::time_point started,
                                 const RunContext* ctx) {
  std::string content;
  Outcome outcome = decide(*g, *collected, started, content);
  try {
    co_await ctx->store.finish_message(final_state_of(*g, outcome, std::move(content)));
  } catch (const std::exception& e) {
    ctx->logger->error("saving message {} failed: {}", g->message_id(), e.what());
  }
  if (outcome.status == store::MessageStatus::error) {
    ctx->logger->warn("generation {} ({}) failed: {} [{}]", g->message_id(), model_id,
                      outcome.error_message.value_or(""), outcome.error_code.value_or(""));
  }
  g->finish(std::move(outcome));
  ctx->on_finished(g);
}

}  // namespace

asio::awaitable<void> run_generation(std::shared_ptr<Generation> g, providers::ResolvedModel model,
                                     providers::ChatRequest request, RunContext ctx) {
  const auto started = Clock::now();
  auto collected = std::make_shared<Collected>();
  if (!g->cancel_requested()) {
    try {
      // A nested spawn bound to the generation's cancel slot: cancelling closes the upstream
      // request, and only the provider call sees the cancellation.
      auto sink = make_sink(g, collected, ctx.snapshots.get());
      co_await asio::co_spawn(co_await asio::this_coro::executor,
                              model.provider->stream_chat(std::move(request), std::move(sink)),
                              asio::bind_cancellation_slot(g->cancel_slot(), asio::use_awaitable));
    } catch (const std::exception& e) {
      if (!collected->error) {
        collected->error = providers::StreamError{
            providers::ErrorKind::protocol, "internal", e.what(), 0, "internal_error", false};
      }
    }
  }
  ctx.count_deltas(collected->deltas);
  g->stop_snapshots();  // no snapshot may land after the final state
  co_await save_final(g, model.id, collected, started, &ctx);
}

}  // namespace chatstream::generation
