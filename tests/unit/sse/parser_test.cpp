// WHATWG "parsing an event stream" cases, each checked under several slicings.
#include "sse/parser.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace chatstream::sse {
namespace {

struct Got {
  std::string type;
  std::string data;
  std::string id;
  bool operator==(const Got&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Got& g) {
  return os << "{" << g.type << ", '" << g.data << "', id=" << g.id << "}";
}

// Feeds `input` in pieces of at most `step` bytes (0 = whole), then finishes.
std::vector<Got> parse(std::string_view input, std::size_t step = 0,
                       EventStreamParser* parser_out = nullptr) {
  EventStreamParser local;
  EventStreamParser& p = parser_out != nullptr ? *parser_out : local;
  std::vector<Got> out;
  auto on_event = [&](const Event& e) {
    out.push_back({std::string(e.type), std::string(e.data), std::string(e.last_event_id)});
  };
  if (step == 0) {
    p.feed(input, on_event);
  } else {
    for (std::size_t i = 0; i < input.size(); i += step) {
      // Copy each slice into its own buffer so that views into the caller's memory
      // beyond the slice would be caught by ASan.
      std::string slice(input.substr(i, step));
      p.feed(slice, on_event);
    }
  }
  p.finish();
  return out;
}

// Same result whole, byte by byte, in 2- and 3-byte pieces and random pieces.
std::vector<Got> parse_all_ways(std::string_view input) {
  std::vector<Got> whole = parse(input);
  for (std::size_t step : {1, 2, 3, 5}) {
    EXPECT_EQ(parse(input, step), whole) << "step " << step;
  }
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    EventStreamParser p;
    std::vector<Got> out;
    auto on_event = [&](const Event& e) {
      out.push_back({std::string(e.type), std::string(e.data), std::string(e.last_event_id)});
    };
    std::size_t i = 0;
    while (i < input.size()) {
      const std::size_t n = std::uniform_int_distribution<std::size_t>(0, 7)(rng);
      std::string slice(input.substr(i, n));
      p.feed(slice, on_event);
      i += n;
    }
    p.finish();
    EXPECT_EQ(out, whole) << "random round " << round;
  }
  return whole;
}

TEST(SseParser, SimpleMessage) {
  EXPECT_EQ(parse_all_ways("data: hello\n\n"), (std::vector<Got>{{"message", "hello", ""}}));
}

TEST(SseParser, MultipleDataLinesJoinedWithLf) {
  EXPECT_EQ(parse_all_ways("data: a\ndata: b\ndata:c\n\n"),
            (std::vector<Got>{{"message", "a\nb\nc", ""}}));
}

TEST(SseParser, OnlyOneLeadingSpaceRemoved) {
  EXPECT_EQ(parse_all_ways("data:  two\ndata:none\ndata: \n\n"),
            (std::vector<Got>{{"message", " two\nnone\n", ""}}));
}

TEST(SseParser, EmptyDataLineDispatchesEmptyMessage) {
  EXPECT_EQ(parse_all_ways("data:\n\ndata\n\n"),
            (std::vector<Got>{{"message", "", ""}, {"message", "", ""}}));
}

TEST(SseParser, NoDataNoDispatch) {
  EXPECT_TRUE(parse_all_ways("event: x\n\n\n\nid: 1\n\n: comment\n\n").empty());
}

TEST(SseParser, EventTypeDoesNotLeakIntoNextEvent) {
  EXPECT_EQ(parse_all_ways("event: a\n\ndata: 1\n\nevent: b\ndata: 2\n\ndata: 3\n\n"),
            (std::vector<Got>{{"message", "1", ""}, {"b", "2", ""}, {"message", "3", ""}}));
}

TEST(SseParser, LineWithoutColonIsFieldWithEmptyValue) {
  // "data" alone appends an empty line; "event" alone sets an empty type -> "message".
  EXPECT_EQ(parse_all_ways("data: x\ndata\nevent: t\nevent\n\n"),
            (std::vector<Got>{{"message", "x\n", ""}}));
}

TEST(SseParser, ValueMayContainColons) {
  EXPECT_EQ(parse_all_ways("data: a: b:c\n\n"), (std::vector<Got>{{"message", "a: b:c", ""}}));
}

TEST(SseParser, CommentsIgnored) {
  EXPECT_EQ(parse_all_ways(":\n: ping\ndata: x\n:comment inside\ndata: y\n\n"),
            (std::vector<Got>{{"message", "x\ny", ""}}));
}

TEST(SseParser, FieldNamesAreCaseSensitiveAndUnknownIgnored) {
  EXPECT_EQ(parse_all_ways("Data: no\nDATA: no\nEvent: no\nID: 5\nfoo: bar\ndata: yes\n\n"),
            (std::vector<Got>{{"message", "yes", ""}}));
  // A space before the colon is part of the name.
  EXPECT_EQ(parse_all_ways("data : no\ndata: yes\n\n"), (std::vector<Got>{{"message", "yes", ""}}));
}

TEST(SseParser, LineEndingsLfCrCrlfAndMixed) {
  const std::vector<Got> want{{"message", "a\nb", ""}, {"e", "c", ""}};
  EXPECT_EQ(parse_all_ways("data: a\ndata: b\n\nevent: e\ndata: c\n\n"), want);
  EXPECT_EQ(parse_all_ways("data: a\rdata: b\r\revent: e\rdata: c\r\r"), want);
  EXPECT_EQ(parse_all_ways("data: a\r\ndata: b\r\n\r\nevent: e\r\ndata: c\r\n\r\n"), want);
  EXPECT_EQ(parse_all_ways("data: a\rdata: b\n\r\nevent: e\r\ndata: c\n\r"), want);
}

TEST(SseParser, CrAtEndOfFeedThenLfAtStartOfNext) {
  EventStreamParser p;
  std::vector<std::string> got;
  auto on = [&](const Event& e) { got.emplace_back(e.data); };
  p.feed("data: a\r", on);
  p.feed("\ndata: b\r", on);
  p.feed("\n\r", on);
  ASSERT_EQ(got, (std::vector<std::string>{"a\nb"}));
  // The LF after the blank line's CR must not count as a second blank line.
  p.feed("\ndata: c\r\n\r\n", on);
  EXPECT_EQ(got, (std::vector<std::string>{"a\nb", "c"}));
}

TEST(SseParser, CrLfDoesNotDoubleDispatch) {
  // "\r\n\r\n" is two line ends, not four: exactly one event, and a following data line
  // belongs to the next event.
  EXPECT_EQ(parse_all_ways("data: a\r\n\r\ndata: b\r\n\r\n"),
            (std::vector<Got>{{"message", "a", ""}, {"message", "b", ""}}));
}

TEST(SseParser, LeadingBomStrippedOnce) {
  EXPECT_EQ(parse_all_ways("\xEF\xBB\xBF"
                           "data: x\n\n"),
            (std::vector<Got>{{"message", "x", ""}}));
  // A second BOM is part of the first line's field name: "\xEF\xBB\xBF" "data" is unknown.
  EXPECT_EQ(parse_all_ways("\xEF\xBB\xBF\xEF\xBB\xBF"
                           "data: x\n\ndata: y\n\n"),
            (std::vector<Got>{{"message", "y", ""}}));
}

TEST(SseParser, PartialBomIsContent) {
  // EF BB followed by something else: those bytes belong to the first line.
  EXPECT_EQ(parse_all_ways("\xEF\xBB"
                           "data: x\n\ndata: y\n\n"),
            (std::vector<Got>{{"message", "y", ""}}));
  EXPECT_EQ(parse_all_ways("\xEF\n"
                           "data: y\n\n"),
            (std::vector<Got>{{"message", "y", ""}}));
}

TEST(SseParser, BomOnlyAtStreamStart) {
  EXPECT_EQ(parse_all_ways("data: x\n\n\xEF\xBB\xBF"
                           "data: y\n\n"),
            (std::vector<Got>{{"message", "x", ""}}));
}

TEST(SseParser, IdPersistsAcrossEvents) {
  EXPECT_EQ(parse_all_ways("id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\n"),
            (std::vector<Got>{{"message", "a", "1"}, {"message", "b", "1"}, {"message", "c", ""}}));
}

TEST(SseParser, IdWithNulIgnored) {
  using namespace std::string_literals;
  EventStreamParser p;
  const std::string input = "id: 7\ndata: a\n\nid: 8\0x\ndata: b\n\n"s;
  EXPECT_EQ(parse(input, 0, &p), (std::vector<Got>{{"message", "a", "7"}, {"message", "b", "7"}}));
  EXPECT_EQ(p.last_event_id(), "7");
}

TEST(SseParser, IdWithoutDataUpdatesLastEventId) {
  EventStreamParser p;
  EXPECT_EQ(parse("id: 42\n\n", 0, &p), std::vector<Got>{});
  EXPECT_EQ(p.last_event_id(), "42");
  EXPECT_EQ(parse("data: z\n\n", 0, &p), (std::vector<Got>{{"message", "z", "42"}}));
}

TEST(SseParser, Retry) {
  EventStreamParser p;
  EXPECT_FALSE(p.retry_ms().has_value());
  parse("retry: 1500\n\n", 0, &p);
  EXPECT_EQ(p.retry_ms(), 1500u);
  for (const char* bad : {"retry: 12a\n\n", "retry: -5\n\n", "retry:\n\n", "retry: 1.5\n\n",
                          "retry:  10\n\n", "Retry: 10\n\n"}) {
    parse(bad, 0, &p);
    EXPECT_EQ(p.retry_ms(), 1500u) << bad;
  }
  parse("retry:0\n", 1, &p);
  EXPECT_EQ(p.retry_ms(), 0u);
  parse("retry: 99999999999999999999999\n", 0, &p);
  EXPECT_EQ(p.retry_ms(), std::numeric_limits<std::uint64_t>::max());
}

TEST(SseParser, UnterminatedLastEventDiscarded) {
  EXPECT_EQ(parse_all_ways("data: a\n\ndata: b\n"), (std::vector<Got>{{"message", "a", ""}}));
  EXPECT_EQ(parse_all_ways("data: a\n\ndata: b"), (std::vector<Got>{{"message", "a", ""}}));
  EXPECT_EQ(parse_all_ways("data: a\n\ndata: b\r"), (std::vector<Got>{{"message", "a", ""}}));
}

TEST(SseParser, FinishStartsANewStream) {
  EventStreamParser p;
  std::vector<std::string> got;
  auto on = [&](const Event& e) { got.emplace_back(e.data); };
  p.feed("id: 3\ndata: partial", on);
  p.finish();
  p.feed(
      "\xEF\xBB\xBF"
      "data: fresh\n\n",
      on);
  EXPECT_EQ(got, std::vector<std::string>{"fresh"});
  // The id line was complete, so the last event ID buffer holds it (it is not reset at the end
  // of a stream); it becomes the last event ID at the next dispatch.
  EXPECT_EQ(p.last_event_id(), "3");
}

TEST(SseParser, PullInterfaceLeavesRemainingInput) {
  EventStreamParser p;
  std::string_view in = "data: 1\n\ndata: 2\n\ndata: 3";
  auto e1 = p.next(in);
  ASSERT_TRUE(e1);
  EXPECT_EQ(e1->data, "1");
  EXPECT_EQ(in, "data: 2\n\ndata: 3");
  auto e2 = p.next(in);
  ASSERT_TRUE(e2);
  EXPECT_EQ(e2->data, "2");
  EXPECT_FALSE(p.next(in));
  EXPECT_TRUE(in.empty());
}

TEST(SseParser, NulAndNonUtf8BytesPassThroughData) {
  using namespace std::string_literals;
  EXPECT_EQ(parse_all_ways("data: a\0b\xFF\n\n"s),
            (std::vector<Got>{{"message", "a\0b\xFF"s, ""}}));
}

TEST(SseParser, LimitOnPendingLine) {
  EventStreamParser p(16);
  std::vector<std::string> got;
  auto on = [&](const Event& e) { got.emplace_back(e.data); };
  EXPECT_TRUE(p.feed("data: 0123456789", on));
  EXPECT_FALSE(p.feed("abcdef", on));
  EXPECT_EQ(p.status(), EventStreamParser::Status::too_large);
  EXPECT_FALSE(p.feed("\n\ndata: x\n\n", on));  // sticky
  EXPECT_TRUE(got.empty());
  p.finish();
  EXPECT_TRUE(p.feed("data: ok\n\n", on));
  EXPECT_EQ(got, std::vector<std::string>{"ok"});
}

TEST(SseParser, LimitOnEventData) {
  EventStreamParser p(16);
  std::vector<std::string> got;
  auto on = [&](const Event& e) { got.emplace_back(e.data); };
  EXPECT_TRUE(p.feed("data: 0123456\ndata: 0123\n", on));
  EXPECT_FALSE(p.feed("data: 0123456\n\n", on));
  EXPECT_TRUE(got.empty());
  // A long complete line inside one slice is limited too.
  EventStreamParser q(16);
  EXPECT_FALSE(q.feed("event: " + std::string(40, 'x') + "\ndata: a\n\n", on));
}

TEST(SseParser, ManyLoneCrLinesInOneSlice) {
  // Lone-CR streams must stay linear (the LF search is not repeated per line).
  std::string input;
  for (int i = 0; i < 20000; ++i) {
    input += "data: " + std::to_string(i) + "\r\r";
  }
  input += "data: last\n\n";
  std::size_t count = 0;
  EventStreamParser p;
  p.feed(input, [&](const Event&) { ++count; });
  EXPECT_EQ(count, 20001u);
}

// Model streams are mostly `data: ...` LF LF events, read whole at the front of a slice; any
// other shape nearby (fields, comments, CR, CRLF, a blank line, a field named like data) must
// give what the line-by-line reading gives. Random streams, whole against every slicing.
TEST(SseParser, RandomStreamsAgreeWholeAndSliced) {
  const std::vector<std::string> pieces = {"data: abc\n\n",
                                           "data:x\n\n",
                                           "data: a\r\n\r\n",
                                           "event: e\n",
                                           "id: 5\n",
                                           ": note\n",
                                           "data: q\n",
                                           "\n",
                                           "\r",
                                           "data: \n\n",
                                           "retry: 10\n",
                                           "data\n\n",
                                           "datax: y\n\n",
                                           "data: x\n\r\n",
                                           "data:  two\n\n",
                                           "data: {\"k\":1}\n\n",
                                           "data: a\rdata: b\n\n"};
  std::mt19937 rng(11);
  for (int round = 0; round < 300; ++round) {
    std::string input;
    const int count = 1 + static_cast<int>(rng() % 12);
    for (int i = 0; i < count; ++i) input += pieces[rng() % pieces.size()];
    SCOPED_TRACE(testing::PrintToString(input));
    parse_all_ways(input);
  }
}

// Limits apply the same way to an event read whole: a data line over the limit stops the
// parser whether it came in one slice or byte by byte.
TEST(SseParser, WholeDataEventsRespectTheLimit) {
  for (const std::string input : {"data: 0123456789abcdef\n\n", "data: 0123456789a\n\n",
                                  "data: 012345678\n\n", "data:0123456789\n\ndata: x\n\n"}) {
    SCOPED_TRACE(input);
    std::vector<std::string> whole_got;
    std::vector<std::string> bytes_got;
    EventStreamParser whole(16);
    EventStreamParser bytes(16);
    whole.feed(input, [&](const Event& e) { whole_got.emplace_back(e.data); });
    for (char c : input) {
      bytes.feed(std::string(1, c), [&](const Event& e) { bytes_got.emplace_back(e.data); });
    }
    EXPECT_EQ(whole_got, bytes_got);
    EXPECT_EQ(whole.status(), bytes.status());
  }
}

}  // namespace
}  // namespace chatstream::sse
