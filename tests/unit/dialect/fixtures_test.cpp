// Every upstream fixture decoded whole, one byte at a time and in 200 random slicings,
// and compared with its .expected.json.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "sse/ndjson.hpp"
#include "sse/parser.hpp"
#include "support.hpp"

namespace chatstream::providers::dialect::test {
namespace {

namespace json = boost::json;

struct FixtureCase {
  const char* file;
  Dialect dialect;
  const char* expected;
};

void PrintTo(const FixtureCase& c, std::ostream* os) {
  *os << c.file;
}

const FixtureCase fixture_cases[] = {
    {"openai_chat_basic.sse", Dialect::openai_chat, "openai_chat_basic.expected.json"},
    {"openai_chat_tool_call.sse", Dialect::openai_chat, "openai_chat_tool_call.expected.json"},
    {"openai_chat_error_midstream.sse", Dialect::openai_chat,
     "openai_chat_error_midstream.expected.json"},
    {"openai_chat_crlf_and_comments.sse", Dialect::openai_chat,
     "openai_chat_crlf_and_comments.expected.json"},
    {"openai_responses_basic.sse", Dialect::openai_responses,
     "openai_responses_basic.expected.json"},
    {"anthropic_basic.sse", Dialect::anthropic, "anthropic_basic.expected.json"},
    {"anthropic_tool_use.sse", Dialect::anthropic, "anthropic_tool_use.expected.json"},
    {"anthropic_overloaded_error.sse", Dialect::anthropic,
     "anthropic_overloaded_error.expected.json"},
    {"ollama_chat_basic.ndjson", Dialect::ollama, "ollama_chat_basic.expected.json"},
    {"ollama_chat_error_midstream.ndjson", Dialect::ollama,
     "ollama_chat_error_midstream.expected.json"},
};

class Fixture : public ::testing::TestWithParam<FixtureCase> {
 protected:
  std::string body_ = read_fixture(GetParam().file);
  json::object expected_ = json::parse(read_fixture(GetParam().expected)).as_object();
};

std::int64_t num(const json::value& v) {
  return v.to_number<std::int64_t>();
}

std::string str(const json::value& v) {
  return std::string(v.as_string());
}

// --- slicing independence ---------------------------------------------------------------

TEST_P(Fixture, SameEventsWholeBytewiseAndRandomSlices) {
  const Dialect d = GetParam().dialect;
  const std::vector<std::string> whole = describe(decode_with_cuts(d, body_, {}));
  ASSERT_FALSE(whole.empty());
  EXPECT_EQ(describe(decode_bytewise(d, body_)), whole);
  std::size_t crlf_cuts = 0;
  std::size_t utf8_cuts = 0;
  for (unsigned round = 0; round < 200; ++round) {
    const std::vector<std::size_t> cuts = random_cuts(body_.size(), 1000 + round, 24);
    for (std::size_t c : cuts) {
      crlf_cuts += body_[c - 1] == '\r' && body_[c] == '\n' ? 1 : 0;
      utf8_cuts += (static_cast<unsigned char>(body_[c]) & 0xC0) == 0x80 ? 1 : 0;
    }
    ASSERT_EQ(describe(decode_with_cuts(d, body_, cuts)), whole) << "round " << round;
  }
  // The random slicings really did cut through CRLF pairs and UTF-8 sequences.
  if (body_.find("\r\n") != std::string::npos) {
    EXPECT_GT(crlf_cuts, 0u);
  }
  if (std::any_of(body_.begin(), body_.end(), [](char c) { return (c & 0x80) != 0; })) {
    EXPECT_GT(utf8_cuts, 0u);
  }
}

// --- framing level: the raw SSE events / NDJSON lines ------------------------------------

struct Framed {
  std::vector<std::string> types;
  std::vector<std::string> data;
};

Framed frame(std::string_view body, bool ndjson, std::size_t step) {
  Framed f;
  sse::EventStreamParser parser;
  sse::NdjsonSplitter splitter;
  auto on_event = [&](const sse::Event& e) {
    f.types.emplace_back(e.type);
    f.data.emplace_back(e.data);
  };
  auto on_line = [&](std::string_view line) { f.data.emplace_back(line); };
  for (std::size_t i = 0; i < body.size(); i += step) {
    const std::string slice(body.substr(i, step));
    ndjson ? (void)splitter.feed(slice, on_line) : (void)parser.feed(slice, on_event);
  }
  if (ndjson) {
    splitter.finish(on_line);
  }
  parser.finish();
  return f;
}

TEST_P(Fixture, FramingMatchesExpected) {
  const bool ndjson = GetParam().dialect == Dialect::ollama;
  const Framed f = frame(body_, ndjson, body_.size());
  for (std::size_t step : {std::size_t{1}, std::size_t{7}}) {
    const Framed g = frame(body_, ndjson, step);
    EXPECT_EQ(g.types, f.types);
    EXPECT_EQ(g.data, f.data);
  }
  if (const json::value* types = expected_.if_contains("event_types")) {
    std::vector<std::string> want;
    for (const json::value& t : types->as_array()) {
      want.push_back(str(t));
    }
    EXPECT_EQ(f.types, want);
    // Each event's data.type equals its `event:` name.
    for (std::size_t i = 0; i < f.data.size(); ++i) {
      EXPECT_EQ(json::parse(f.data[i]).at("type").as_string(), f.types[i]);
    }
  }
  if (const json::value* chunks = expected_.if_contains("json_chunks")) {
    std::vector<std::string> ids;
    std::int64_t json_chunks = 0;
    bool saw_done = false;
    for (const std::string& data : f.data) {
      if (data == "[DONE]") {
        saw_done = true;
        continue;
      }
      ++json_chunks;
      const json::value v = json::parse(data);  // every chunk is valid JSON
      if (const json::value* id = v.as_object().if_contains("id")) {
        if (std::find(ids.begin(), ids.end(), id->as_string()) == ids.end()) {
          ids.push_back(str(*id));
        }
      }
    }
    EXPECT_EQ(json_chunks, num(*chunks));
    EXPECT_EQ(saw_done, expected_.at("saw_done").as_bool());
    ASSERT_EQ(ids.size(), expected_.at("ids").as_array().size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
      EXPECT_EQ(ids[i], str(expected_.at("ids").as_array()[i]));
    }
  }
  if (const json::value* lines = expected_.if_contains("lines")) {
    EXPECT_EQ(static_cast<std::int64_t>(f.data.size()), num(*lines));
  }
}

// --- decoded result ---------------------------------------------------------------------

void expect_error(const Assembled& a, const json::value& want, bool done) {
  if (want.is_null()) {
    EXPECT_FALSE(a.error) << (a.error ? a.error->message : "");
    EXPECT_TRUE(done);
    return;
  }
  ASSERT_TRUE(a.error);
  EXPECT_EQ(a.errors, 1);
  EXPECT_TRUE(a.error_last);
  EXPECT_EQ(a.error->kind, ErrorKind::upstream);
  if (want.is_string()) {
    EXPECT_EQ(a.error->message, str(want));
    return;
  }
  EXPECT_EQ(a.error->message, str(want.at("message")));
  EXPECT_EQ(a.error->type, str(want.at("type")));
  if (const json::value* code = want.as_object().if_contains("code"); code && code->is_string()) {
    EXPECT_EQ(a.error->code, str(*code));
  }
}

void expect_finish(const Assembled& a, const json::value& want) {
  if (want.is_null()) {
    EXPECT_FALSE(a.finish);
  } else {
    ASSERT_TRUE(a.finish);
    EXPECT_EQ(a.finish->raw, str(want));
  }
}

void check_openai_chat(const Assembled& a, const json::object& x) {
  EXPECT_EQ(a.text, str(x.at("text")) + str(x.at("refusal")));
  const json::array& calls = x.at("tool_calls").as_array();
  ASSERT_EQ(a.tool_calls.size(), calls.size());
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const ToolCall& got = a.tool_calls.at(static_cast<int>(i));
    EXPECT_EQ(got.id, str(calls[i].at("id")));
    EXPECT_EQ(got.name, str(calls[i].at("name")));
    EXPECT_EQ(got.arguments, str(calls[i].at("arguments")));
    EXPECT_EQ(json::parse(got.arguments), calls[i].at("arguments_parsed"));
  }
  expect_finish(a, x.at("finish_reason"));
  if (x.at("usage").is_null()) {
    EXPECT_FALSE(a.usage);
  } else {
    ASSERT_TRUE(a.usage);
    const json::object& u = x.at("usage").as_object();
    EXPECT_EQ(a.usage->prompt_tokens, num(u.at("prompt_tokens")));
    EXPECT_EQ(a.usage->completion_tokens, num(u.at("completion_tokens")));
    if (const json::value* d = u.if_contains("prompt_tokens_details")) {
      EXPECT_EQ(a.usage->cached_prompt_tokens, num(d->at("cached_tokens")));
    } else {
      EXPECT_FALSE(a.usage->cached_prompt_tokens);
    }
    if (const json::value* d = u.if_contains("completion_tokens_details")) {
      EXPECT_EQ(a.usage->reasoning_tokens, num(d->at("reasoning_tokens")));
    }
  }
}

void check_openai_responses(const Assembled& a, const json::object& x) {
  EXPECT_EQ(a.text, str(x.at("text")));
  ASSERT_TRUE(a.finish);
  EXPECT_EQ(a.finish->raw, str(x.at("status")));
  EXPECT_EQ(a.finish->reason, "stop");
  ASSERT_TRUE(a.usage);
  const json::object& u = x.at("usage").as_object();
  EXPECT_EQ(a.usage->prompt_tokens, num(u.at("input_tokens")));
  EXPECT_EQ(a.usage->completion_tokens, num(u.at("output_tokens")));
  EXPECT_EQ(a.usage->cached_prompt_tokens, num(u.at("input_tokens_details").at("cached_tokens")));
  EXPECT_EQ(a.usage->reasoning_tokens, num(u.at("output_tokens_details").at("reasoning_tokens")));
}

void check_anthropic(const Assembled& a, const json::object& x) {
  std::string text;
  std::size_t tools = 0;
  for (const json::value& block : x.at("content").as_array()) {
    if (block.at("type") == "text") {
      text += str(block.at("text"));
    } else if (block.at("type") == "tool_use") {
      ASSERT_TRUE(a.tool_calls.count(static_cast<int>(tools)));
      const ToolCall& got = a.tool_calls.at(static_cast<int>(tools++));
      EXPECT_EQ(got.id, str(block.at("id")));
      EXPECT_EQ(got.name, str(block.at("name")));
      EXPECT_EQ(json::parse(got.arguments), block.at("input"));
    }
  }
  EXPECT_EQ(a.text, text);
  EXPECT_EQ(a.tool_calls.size(), tools);
  expect_finish(a, x.at("stop_reason"));
  ASSERT_TRUE(a.usage);
  const json::object& u = x.at("usage").as_object();
  const std::int64_t cache_read = num(u.at("cache_read_input_tokens"));
  EXPECT_EQ(a.usage->prompt_tokens,
            num(u.at("input_tokens")) + num(u.at("cache_creation_input_tokens")) + cache_read);
  EXPECT_EQ(a.usage->completion_tokens, num(u.at("output_tokens")));
  EXPECT_EQ(a.usage->cached_prompt_tokens, cache_read);
}

void check_ollama(const Assembled& a, const json::object& x) {
  EXPECT_EQ(a.text, str(x.at("text")));
  expect_finish(a, x.at("done_reason"));
  if (x.at("eval_count").is_null()) {
    EXPECT_FALSE(a.usage);
  } else {
    ASSERT_TRUE(a.usage);
    EXPECT_EQ(a.usage->completion_tokens, num(x.at("eval_count")));
    EXPECT_EQ(a.usage->prompt_tokens, num(x.at("prompt_eval_count")));
  }
}

TEST_P(Fixture, DecodedResultMatchesExpected) {
  auto decoder = make_decoder(GetParam().dialect);
  std::vector<Event> events;
  decoder->feed(body_, events);
  const bool done_before_finish = decoder->done();
  decoder->finish(events);
  const Assembled a = assemble(events);
  expect_error(a, expected_.at("error"), done_before_finish && !decoder->failed());
  if (const json::value* stop = expected_.if_contains("saw_message_stop")) {
    EXPECT_EQ(stop->as_bool(), !decoder->failed());
  }
  switch (GetParam().dialect) {
    case Dialect::openai_chat:
      check_openai_chat(a, expected_);
      break;
    case Dialect::openai_responses:
      check_openai_responses(a, expected_);
      break;
    case Dialect::anthropic:
      check_anthropic(a, expected_);
      break;
    case Dialect::ollama:
      check_ollama(a, expected_);
      break;
  }
}

// --- truncation -------------------------------------------------------------------------

TEST_P(Fixture, EveryPrefixEndsWithTerminalOrError) {
  const Dialect d = GetParam().dialect;
  const bool error_fixture = !expected_.at("error").is_null();
  // The last byte of an SSE body ends the blank line that dispatches the terminal event
  // (with CRLF, its CR already does); an NDJSON body's last line counts without its LF.
  const bool last_lf_optional = d == Dialect::ollama || body_.ends_with("\r\n");
  const std::size_t complete_at = body_.size() - (last_lf_optional ? 1 : 0);
  for (std::size_t len = 0; len < body_.size(); ++len) {
    const std::vector<Event> events = decode_stream(d, std::string_view(body_).substr(0, len));
    const Assembled a = assemble(events);
    ASSERT_EQ(a.errors, len >= complete_at && !error_fixture ? 0 : 1) << "prefix " << len;
    ASSERT_TRUE(a.error_last) << "prefix " << len;
    if (a.error && a.error->kind != ErrorKind::upstream) {
      ASSERT_EQ(a.error->kind, ErrorKind::truncated) << "prefix " << len;
      EXPECT_TRUE(a.error->retryable);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Upstream, Fixture, ::testing::ValuesIn(fixture_cases),
                         [](const ::testing::TestParamInfo<FixtureCase>& info) {
                           std::string name = info.param.file;
                           return name.substr(0, name.find('.'));
                         });

}  // namespace
}  // namespace chatstream::providers::dialect::test
