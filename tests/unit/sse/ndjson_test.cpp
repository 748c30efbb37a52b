#include "sse/ndjson.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace chatstream::sse {
namespace {

std::vector<std::string> split(std::string_view input, std::size_t step = 0) {
  NdjsonSplitter s;
  std::vector<std::string> out;
  auto on = [&](std::string_view line) { out.emplace_back(line); };
  if (step == 0) {
    s.feed(input, on);
  } else {
    for (std::size_t i = 0; i < input.size(); i += step) {
      std::string slice(input.substr(i, step));
      s.feed(slice, on);
    }
  }
  s.finish(on);
  return out;
}

std::vector<std::string> split_all_ways(std::string_view input) {
  auto whole = split(input);
  for (std::size_t step : {1, 2, 3, 7}) {
    EXPECT_EQ(split(input, step), whole) << "step " << step;
  }
  std::mt19937 rng(11);
  for (int round = 0; round < 20; ++round) {
    NdjsonSplitter s;
    std::vector<std::string> out;
    auto on = [&](std::string_view line) { out.emplace_back(line); };
    for (std::size_t i = 0; i < input.size();) {
      const std::size_t n = std::uniform_int_distribution<std::size_t>(0, 6)(rng);
      std::string slice(input.substr(i, n));
      s.feed(slice, on);
      i += n;
    }
    s.finish(on);
    EXPECT_EQ(out, whole) << "round " << round;
  }
  return whole;
}

using Lines = std::vector<std::string>;

TEST(Ndjson, LfAndCrlf) {
  EXPECT_EQ(split_all_ways("{\"a\":1}\n{\"b\":2}\r\n{\"c\":3}\n"),
            (Lines{"{\"a\":1}", "{\"b\":2}", "{\"c\":3}"}));
}

TEST(Ndjson, EmptyLinesSkipped) {
  EXPECT_EQ(split_all_ways("\n\r\n{}\n\n  \n\t\r\n[1]\n\n"), (Lines{"{}", "[1]"}));
}

TEST(Ndjson, FinishYieldsUnterminatedLine) {
  EXPECT_EQ(split_all_ways("{\"a\":1}\n{\"done\":true}"), (Lines{"{\"a\":1}", "{\"done\":true}"}));
  EXPECT_EQ(split_all_ways("{\"a\":1}\n{\"x\":2}\r"), (Lines{"{\"a\":1}", "{\"x\":2}"}));
  EXPECT_EQ(split_all_ways("{\"a\":1}\n   "), (Lines{"{\"a\":1}"}));
}

TEST(Ndjson, LoneCrIsNotALineEnd) {
  EXPECT_EQ(split_all_ways("a\rb\n"), (Lines{"a\rb"}));
}

TEST(Ndjson, MultibyteUtf8Preserved) {
  EXPECT_EQ(split_all_ways("{\"t\":\"日本語 🎉\"}\n"), (Lines{"{\"t\":\"日本語 🎉\"}"}));
}

TEST(Ndjson, PullInterface) {
  NdjsonSplitter s;
  std::string_view in = "one\ntwo\nthr";
  EXPECT_EQ(s.next(in), "one");
  EXPECT_EQ(in, "two\nthr");
  EXPECT_EQ(s.next(in), "two");
  EXPECT_FALSE(s.next(in));
  EXPECT_EQ(s.finish(), "thr");
  EXPECT_FALSE(s.finish());
}

TEST(Ndjson, LineLimit) {
  NdjsonSplitter s(8);
  Lines out;
  auto on = [&](std::string_view l) { out.emplace_back(l); };
  EXPECT_TRUE(s.feed("12345678\n1234", on));
  EXPECT_FALSE(s.feed("56789", on));
  EXPECT_EQ(s.status(), NdjsonSplitter::Status::too_large);
  EXPECT_FALSE(s.feed("\nok\n", on));
  EXPECT_EQ(out, Lines{"12345678"});
  EXPECT_FALSE(s.finish());
  EXPECT_TRUE(s.feed("ok\n", on));
  EXPECT_EQ(out, (Lines{"12345678", "ok"}));
  NdjsonSplitter t(4);
  EXPECT_FALSE(t.feed("123456\n", on));
}

}  // namespace
}  // namespace chatstream::sse
