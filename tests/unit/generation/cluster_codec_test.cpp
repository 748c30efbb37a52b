#include <gtest/gtest.h>

#include "generation/cluster/state.hpp"

namespace chatstream::generation {
namespace {

std::vector<redis::Reply> as_replies(const std::vector<std::string>& fields) {
  std::vector<redis::Reply> out;
  for (const auto& f : fields) {
    redis::Reply r;
    r.type = redis::Reply::Type::string;
    r.str = f;
    out.push_back(std::move(r));
  }
  return out;
}

TEST(ClusterCodec, OutcomeRoundTripsThroughStreamFields) {
  Outcome o;
  o.status = store::MessageStatus::error;
  o.finish_reason = "length";
  o.prompt_tokens = 12;
  o.completion_tokens = 345;
  o.ttft_ms = 67;
  o.duration_ms = 8901;
  o.error_message = "Upstream said \"no\"\nreally";
  o.error_code = "upstream_http_500";
  o.last_seq = 345;
  auto back = decode_outcome(as_replies(encode_outcome(o)));
  ASSERT_TRUE(back);
  EXPECT_EQ(terminal_frame(*back), terminal_frame(o));
  Outcome minimal;
  auto m = decode_outcome(as_replies(encode_outcome(minimal)));
  ASSERT_TRUE(m);
  EXPECT_EQ(terminal_frame(*m), terminal_frame(minimal));
}

TEST(ClusterCodec, EntriesWithoutAValidStatusAreNotOutcomes) {
  EXPECT_FALSE(decode_outcome(as_replies({"t", "hello"})));
  EXPECT_FALSE(decode_outcome(as_replies({"status", "bogus", "last_seq", "1"})));
}

TEST(ClusterCodec, StoredMessagesAndUnavailableStreams) {
  store::Message m;
  m.status = store::MessageStatus::streaming;  // its owner vanished
  m.delta_seq = 9;
  auto o = outcome_of(m);
  EXPECT_EQ(o.status, store::MessageStatus::interrupted);
  EXPECT_EQ(o.last_seq, 9u);
  auto u = unavailable_outcome(4);
  EXPECT_TRUE(u.retryable);
  EXPECT_EQ(u.error_code.value_or(""), "live_stream_unavailable");
  auto frame = terminal_frame(u);
  EXPECT_EQ(frame.rfind("event: error\n", 0), 0u);
  EXPECT_NE(frame.find("\"status\":\"streaming\",\"last_seq\":4"), std::string::npos);
}

}  // namespace
}  // namespace chatstream::generation
