#include "util/deadline.hpp"

#include <gtest/gtest.h>

#include <set>

namespace chatstream::util {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using TimePoint = std::chrono::steady_clock::time_point;

TEST(Deadline, TheSlotIsAPowerOfTwoOfAtMostAnEighthOfTheTimeoutAndAtMost256Ms) {
  EXPECT_EQ(deadline_slot(milliseconds(15'000)), milliseconds(256));
  EXPECT_EQ(deadline_slot(milliseconds(2'048)), milliseconds(256));
  EXPECT_EQ(deadline_slot(milliseconds(2'047)), milliseconds(128));
  EXPECT_EQ(deadline_slot(milliseconds(2'000)), milliseconds(128));
  EXPECT_EQ(deadline_slot(milliseconds(200)), milliseconds(16));
  EXPECT_EQ(deadline_slot(milliseconds(8)), milliseconds(1));
  EXPECT_EQ(deadline_slot(milliseconds(7)), milliseconds(0));
  EXPECT_EQ(deadline_slot(milliseconds(0)), milliseconds(0));
}

TEST(Deadline, NeverEarlyAndLateByLessThanTheSlot) {
  for (const auto timeout : {milliseconds(8), milliseconds(100), milliseconds(1'000),
                             milliseconds(15'000), milliseconds(30'000)}) {
    const auto slot = deadline_slot(timeout);
    for (std::int64_t ns = 0; ns < 3'000'000'000; ns += 7'777'777) {
      const TimePoint from{nanoseconds(1'000'000'000'000 + ns)};
      const auto at = coalesced_deadline(from, timeout);
      EXPECT_GE(at, from + timeout);
      EXPECT_LT(at - (from + timeout), slot);
      EXPECT_EQ(at.time_since_epoch() % slot, nanoseconds(0));
    }
  }
}

TEST(Deadline, DeadlinesSetWithinOneSlotFallOnTheSameInstant) {
  // Deadlines of streams that (re)armed at any time in one second: four instants, not 1,000.
  std::set<TimePoint> instants;
  for (int ms = 0; ms < 1'000; ++ms) {
    const TimePoint from{milliseconds(5'000'000 + ms) + nanoseconds(ms * 1'234)};
    instants.insert(coalesced_deadline(from, milliseconds(15'000)));
  }
  EXPECT_LE(instants.size(), 5U);
  EXPECT_GE(instants.size(), 4U);
}

TEST(Deadline, ShortTimeoutsStayExact) {
  const TimePoint from{nanoseconds(123'456'789)};
  EXPECT_EQ(coalesced_deadline(from, milliseconds(5)), from + milliseconds(5));
  EXPECT_EQ(coalesced_deadline(from, milliseconds(0)), from);
}

}  // namespace
}  // namespace chatstream::util
