#include "wire.hpp"

#include <gtest/gtest.h>

#include <string>

namespace chatstream::loadgen {
namespace {

std::uint64_t hash_of(std::string_view text) {
  TextHash h;
  for (char c : text) h.add(c);
  return h.value;
}

const std::string kOpenAiBody =
    "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
    "data: {\"choices\":[{\"delta\":{\"content\":\"na\\u00efve\"}}]}\n\n"
    "data: {\"choices\":[{\"delta\":{\"content\":\" \\\"dog\\\"\\n\"}}]}\r\n\r\n"
    ": comment\n\n"
    "data: {\"choices\":[{\"delta\":{\"content\":\" \\ud83d\\ude00\"}}]}\n\n"
    "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
    "data: [DONE]\n\n";

TEST(SseScanner, CountsOpenAiTokensAndHashesDecodedText) {
  SseScanner s(TokenKey::content);
  EXPECT_EQ(s.feed(kOpenAiBody.data(), kOpenAiBody.size()), 3u);
  EXPECT_EQ(s.counters().tokens, 3u);
  EXPECT_TRUE(s.counters().done);
  EXPECT_EQ(s.counters().hash.value, hash_of("na\xc3\xafve \"dog\"\n \xf0\x9f\x98\x80"));
}

TEST(SseScanner, SameResultWhateverTheSplit) {
  SseScanner whole(TokenKey::content);
  whole.feed(kOpenAiBody.data(), kOpenAiBody.size());
  for (std::size_t cut = 1; cut < kOpenAiBody.size(); ++cut) {
    SseScanner s(TokenKey::content);
    std::size_t n = s.feed(kOpenAiBody.data(), cut);
    n += s.feed(kOpenAiBody.data() + cut, kOpenAiBody.size() - cut);
    ASSERT_EQ(n, 3u) << "cut at " << cut;
    ASSERT_EQ(s.counters().hash.value, whole.counters().hash.value) << "cut at " << cut;
    ASSERT_TRUE(s.counters().done);
  }
}

TEST(SseScanner, ChatstreamEventsCheckIdsForGapsAndDuplicates) {
  std::string body =
      "event: delta\nid: 1\ndata: {\"text\":\"a\"}\n\n"
      "event: delta\nid: 2\ndata: {\"text\":\"b\"}\n\n"
      "event: delta\nid: 2\ndata: {\"text\":\"b\"}\n\n"
      "event: delta\nid: 4\ndata: {\"text\":\"d\"}\n\n"
      "event: done\ndata: {\"status\":\"complete\"}\n\n";
  SseScanner s(TokenKey::text);
  s.feed(body.data(), body.size());
  EXPECT_EQ(s.counters().tokens, 4u);
  EXPECT_EQ(s.counters().dups, 1u);
  EXPECT_EQ(s.counters().gaps, 1u);
  EXPECT_EQ(s.counters().last_id, 4u);
  EXPECT_TRUE(s.counters().done);
}

TEST(SseScanner, ResumeContinuesIdsAndDropsAPartialEvent) {
  SseScanner s(TokenKey::text);
  std::string first = "id: 1\ndata: {\"text\":\"a\"}\n\nid: 2\ndata: {\"te";
  s.feed(first.data(), first.size());
  s.resume();
  std::string second = "id: 2\ndata: {\"text\":\"b\"}\n\nevent: error\ndata: {}\n\n";
  s.feed(second.data(), second.size());
  EXPECT_EQ(s.counters().tokens, 2u);
  EXPECT_EQ(s.counters().gaps + s.counters().dups, 0u);
  EXPECT_EQ(s.counters().hash.value, hash_of("ab"));
  EXPECT_TRUE(s.counters().error);
}

TEST(ResponseReader, DechunksAcrossArbitrarySplits) {
  std::string wire =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n1a\r\n, world and some more text\r\n0\r\n\r\n";
  for (std::size_t cut = 1; cut < wire.size(); ++cut) {
    ResponseReader r;
    std::string body;
    auto sink = [&](const char* p, std::size_t n) { body.append(p, n); };
    r.feed(wire.data(), cut, sink);
    auto state = r.feed(wire.data() + cut, wire.size() - cut, sink);
    ASSERT_EQ(state, ResponseReader::State::complete) << "cut at " << cut;
    ASSERT_EQ(body, "hello, world and some more text") << "cut at " << cut;
    ASSERT_EQ(r.status(), 200u);
  }
}

TEST(ResponseReader, ContentLengthAndCloseDelimited) {
  ResponseReader r;
  r.keep_body = true;
  std::string wire = "HTTP/1.1 201 Created\r\ncontent-length: 4\r\n\r\n{}{}extra";
  EXPECT_EQ(r.feed(wire.data(), wire.size(), [](const char*, std::size_t) {}),
            ResponseReader::State::complete);
  EXPECT_EQ(r.body, "{}{}");
  EXPECT_EQ(r.status(), 201u);

  ResponseReader c;
  std::string head = "HTTP/1.0 200 OK\r\n\r\ndata: x\n\n";
  EXPECT_EQ(c.feed(head.data(), head.size(), [](const char*, std::size_t) {}),
            ResponseReader::State::body);
  EXPECT_TRUE(c.close_delimited());
}

TEST(ResponseReader, RejectsGarbage) {
  ResponseReader r;
  std::string wire = "SSH-2.0-OpenSSH\r\n\r\n";
  EXPECT_EQ(r.feed(wire.data(), wire.size(), [](const char*, std::size_t) {}),
            ResponseReader::State::failed);
}

}  // namespace
}  // namespace chatstream::loadgen
