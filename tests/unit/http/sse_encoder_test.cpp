#include <gtest/gtest.h>

#include "sse/encoder.hpp"

namespace chatstream::sse {
namespace {

TEST(SseEncoder, EventWithIdAndData) {
  std::string out;
  append_event(out, "delta", R"({"text":"hi"})", "7");
  EXPECT_EQ(out, "event: delta\nid: 7\ndata: {\"text\":\"hi\"}\n\n");
}

TEST(SseEncoder, MultiLineDataBecomesSeveralFields) {
  std::string out;
  append_event(out, "", "a\nb\r\nc\rd");
  EXPECT_EQ(out, "data: a\ndata: b\ndata: c\ndata: d\n\n");
}

TEST(SseEncoder, EmptyDataStillDispatches) {
  std::string out;
  append_event(out, "done", "");
  EXPECT_EQ(out, "event: done\ndata: \n\n");
}

TEST(SseEncoder, LineBreaksInEventAndIdAreDropped) {
  std::string out;
  append_event(out, "de\nlta", "x", "1\r2");
  EXPECT_EQ(out, "event: delta\nid: 12\ndata: x\n\n");
}

TEST(SseEncoder, CommentAndRetry) {
  std::string out;
  append_comment(out, "hb\nx");
  append_retry(out, std::chrono::milliseconds(2500));
  EXPECT_EQ(out, ": hbx\nretry: 2500\n\n");
}

}  // namespace
}  // namespace chatstream::sse
