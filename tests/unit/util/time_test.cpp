#include "util/time.hpp"

#include <gtest/gtest.h>

namespace chatstream::util {
namespace {

TEST(Time, FormatsKnownInstants) {
  EXPECT_EQ(format_rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339_ms(1'700'000'000'123), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(format_rfc3339_ms(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339_ms(951'782'400'007), "2000-02-29T00:00:00.007Z");
}

TEST(Time, FormatsTimePoint) {
  const std::chrono::system_clock::time_point tp{std::chrono::milliseconds{1'700'000'000'123}};
  EXPECT_EQ(format_rfc3339_ms(tp), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(to_epoch_ms(tp), 1'700'000'000'123);
}

TEST(Time, RoundTrips) {
  for (std::int64_t ms : {std::int64_t{0}, std::int64_t{1}, std::int64_t{1'732'449'600'999},
                          std::int64_t{4'102'444'800'000}, std::int64_t{-86'400'001}}) {
    EXPECT_EQ(parse_rfc3339_ms(format_rfc3339_ms(ms)), ms) << ms;
  }
  const auto now = now_epoch_ms();
  EXPECT_EQ(parse_rfc3339_ms(format_rfc3339_ms(now)), now);
}

TEST(Time, ParsesVariants) {
  EXPECT_EQ(parse_rfc3339_ms("2023-11-14T22:13:20Z"), 1'700'000'000'000);
  EXPECT_EQ(parse_rfc3339_ms("2023-11-14t22:13:20.1z"), 1'700'000'000'100);
  EXPECT_EQ(parse_rfc3339_ms("2023-11-14 22:13:20.123456789Z"), 1'700'000'000'123);
  EXPECT_EQ(parse_rfc3339_ms("2023-11-15T00:13:20.123+02:00"), 1'700'000'000'123);
  EXPECT_EQ(parse_rfc3339_ms("2023-11-14T17:43:20.123-04:30"), 1'700'000'000'123);
}

TEST(Time, RejectsInvalid) {
  for (const char* bad : {"", "2023", "2023-11-14", "2023-11-14T22:13:20", "2023-11-14T22:13:20.Z",
                          "2023-02-29T00:00:00Z", "2023-13-01T00:00:00Z", "2023-11-14T24:00:00Z",
                          "2023-11-14T22:60:00Z", "2023-11-14T22:13:60Z", "2023-11-14X22:13:20Z",
                          "2023-11-14T22:13:20+0200", "2023-11-14T22:13:20Z ",
                          "2023-11-14T22:13:20.123ZZ", "20a3-11-14T22:13:20Z"}) {
    EXPECT_FALSE(parse_rfc3339_ms(bad).has_value()) << bad;
  }
  EXPECT_TRUE(parse_rfc3339_ms("2024-02-29T00:00:00Z").has_value());
}

}  // namespace
}  // namespace chatstream::util
