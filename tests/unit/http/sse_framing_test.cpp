#include "http/sse_framing.hpp"

#include <gtest/gtest.h>

namespace chatstream::http {
namespace {

std::string sent(const std::string& out, std::size_t from) {
  return out.substr(from);
}

TEST(SseFrame, ChunkHeaderIsWrittenInFrontOfTheData) {
  std::string out;
  SseFrame frame(out, true);
  EXPECT_TRUE(frame.empty());
  out += "data: hello\n\n";
  EXPECT_FALSE(frame.empty());
  auto from = frame.close(false);
  EXPECT_EQ(sent(out, from), "d\r\ndata: hello\n\n\r\n");
}

TEST(SseFrame, AfterTheHeadTheChunkFollowsWithoutAGap) {
  std::string out = "HTTP/1.1 200 OK\r\n\r\n";
  SseFrame frame(out, true);
  out.append(300, 'x');
  auto from = frame.close(false);
  EXPECT_EQ(from, 0u);
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\n\r\n12c\r\n" + std::string(300, 'x') + "\r\n");
}

TEST(SseFrame, NothingAppendedLeavesOnlyWhatWasThere) {
  std::string out;
  SseFrame frame(out, true);
  const auto from = frame.close(false);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(from, 0u);

  std::string head = "HEAD\r\n\r\n";
  SseFrame with_head(head, true);
  EXPECT_EQ(with_head.close(false), 0u);
  EXPECT_EQ(head, "HEAD\r\n\r\n");
}

TEST(SseFrame, LastAppendsTheFinalChunk) {
  std::string out;
  SseFrame frame(out, true);
  out += "event: done\n\n";
  auto from = frame.close(true);
  EXPECT_EQ(sent(out, from), "d\r\nevent: done\n\n\r\n0\r\n\r\n");

  std::string empty;
  SseFrame nothing(empty, true);
  EXPECT_EQ(sent(empty, nothing.close(true)), "0\r\n\r\n");
}

TEST(SseFrame, Http10IsNotFramed) {
  std::string out = "HTTP/1.0 200 OK\r\n\r\n";
  SseFrame frame(out, false);
  out += "data: x\n\n";
  EXPECT_EQ(frame.close(true), 0u);
  EXPECT_EQ(out, "HTTP/1.0 200 OK\r\n\r\ndata: x\n\n");
}

TEST(SseFrame, SizesUseLowerCaseHexWithoutLeadingZeros) {
  for (std::size_t size : {1u, 15u, 16u, 255u, 4096u, 70000u}) {
    std::string out;
    SseFrame frame(out, true);
    out.append(size, 'a');
    auto from = frame.close(false);
    std::string got = sent(out, from);
    auto crlf = got.find("\r\n");
    ASSERT_NE(crlf, std::string::npos);
    EXPECT_EQ(std::stoul(got.substr(0, crlf), nullptr, 16), size);
    EXPECT_NE(got[0], '0');
    EXPECT_EQ(got.size(), crlf + 2 + size + 2);
  }
}

}  // namespace
}  // namespace chatstream::http
