// Throughput of the upstream stream parsing path on a large synthetic OpenAI Chat
// Completions stream shaped like tests/fixtures/upstream/openai_chat_basic.sse.
// Reports bytes/s (MB/s) and items/s (chunks); ns per chunk = 1e9 / items_per_second.
//
//   bench_parse --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "providers/dialect/decoder.hpp"
#include "sse/parser.hpp"

namespace {

using chatstream::providers::dialect::Dialect;

constexpr int chunk_count = 5000;

std::string chunk(std::string_view delta, std::string_view finish = "null") {
  std::string s =
      R"(data: {"id":"chatcmpl-C8vTq2LmZx7RkP4nWd9HsYb3aEf1G","object":"chat.completion.chunk",)"
      R"("created":1756302914,"model":"gpt-4o-mini-2024-07-18","service_tier":"default",)"
      R"("system_fingerprint":"fp_560af6e559","choices":[{"index":0,"delta":)";
  s += delta;
  s += R"(,"logprobs":null,"finish_reason":)";
  s += finish;
  s += R"(}],"usage":null,"obfuscation":"kTKBp4kA"})";
  s += "\n\n";
  return s;
}

// Role chunk, `chunk_count` content chunks (ASCII words, CJK, emoji, escapes), finish
// chunk, usage chunk, [DONE]. Returns the body; `chunks` gets the number of data events.
std::string make_stream(int& chunks) {
  static const char* const pieces[] = {
      "Hello",
      " world",
      ",",
      " the",
      " quick",
      " brown",
      " fox",
      " 你好",
      "，世界",
      " 👋",
      "\\\"quoted\\\"",
      "\\n\\n",
      " jumps",
      " over",
      " the lazy",
      " 👨‍👩‍👧",
      " dog",
      ".",
  };
  std::string body = chunk(R"({"role":"assistant","content":"","refusal":null})");
  for (int i = 0; i < chunk_count; ++i) {
    body += chunk(std::string(R"({"content":")") + pieces[i % std::size(pieces)] + "\"}");
  }
  body += chunk("{}", "\"stop\"");
  body +=
      R"(data: {"id":"chatcmpl-C8vTq2LmZx7RkP4nWd9HsYb3aEf1G","object":"chat.completion.chunk",)"
      R"("created":1756302914,"model":"gpt-4o-mini-2024-07-18","choices":[],"usage":)"
      R"({"prompt_tokens":24,"completion_tokens":5000,"total_tokens":5024}})"
      "\n\ndata: [DONE]\n\n";
  chunks = chunk_count + 4;
  return body;
}

const std::string& stream(int& chunks) {
  static int count = 0;
  static const std::string body = make_stream(count);
  chunks = count;
  return body;
}

// SSE framing only, fed in socket-read-sized slices (state.range(0) bytes).
void BM_SseParser(benchmark::State& state) {
  int chunks = 0;
  const std::string& body = stream(chunks);
  const auto slice = static_cast<std::size_t>(state.range(0));
  chatstream::sse::EventStreamParser parser;
  std::size_t data_bytes = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < body.size(); i += slice) {
      parser.feed(std::string_view(body).substr(i, slice),
                  [&](const chatstream::sse::Event& e) { data_bytes += e.data.size(); });
    }
    parser.finish();
  }
  benchmark::DoNotOptimize(data_bytes);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * chunks));
}
BENCHMARK(BM_SseParser)->Arg(16384)->Arg(1024)->Arg(64);

// SSE framing + JSON decoding of every chunk into typed events (the full hot path).
void BM_SseParserOpenAiDecode(benchmark::State& state) {
  int chunks = 0;
  const std::string& body = stream(chunks);
  const auto slice = static_cast<std::size_t>(state.range(0));
  std::vector<chatstream::providers::Event> events;
  events.reserve(64);
  std::size_t count = 0;
  for (auto _ : state) {
    auto decoder = chatstream::providers::dialect::make_decoder(Dialect::openai_chat);
    for (std::size_t i = 0; i < body.size(); i += slice) {
      decoder->feed(std::string_view(body).substr(i, slice), events);
      count += events.size();
      events.clear();
    }
    decoder->finish(events);
    if (!decoder->done() || decoder->failed()) {
      state.SkipWithError("stream did not finish normally");
      break;
    }
    events.clear();
  }
  benchmark::DoNotOptimize(count);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * body.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * chunks));
}
BENCHMARK(BM_SseParserOpenAiDecode)->Arg(16384)->Arg(1024)->Arg(64);

}  // namespace

BENCHMARK_MAIN();
