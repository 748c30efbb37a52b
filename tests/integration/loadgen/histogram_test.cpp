// The load generator's histogram: exact below 256 µs, within 0.8 % above, and its quantiles.
#include "histogram.hpp"

#include <gtest/gtest.h>

#include <cstdint>

namespace chatstream::loadgen {
namespace {

TEST(Histogram, QuantilesWithinTheResolution) {
  for (const std::uint64_t v :
       {1ULL, 100ULL, 255ULL, 256ULL, 20'000ULL, 20'700ULL, 1'000'000ULL, 3'600'000'000ULL}) {
    Histogram h;
    h.add(v);
    h.add(v);
    const auto q = h.quantile(0.5);
    EXPECT_LE(q, v) << v;  // the midpoint, bounded by the maximum
    EXPECT_GE(static_cast<double>(q), static_cast<double>(v) * (1 - 0.008)) << v;
  }
  // 20.0 ms and 20.25 ms gaps fall in different buckets (they did not at 3 %).
  Histogram a;
  Histogram b;
  for (int i = 0; i < 100; ++i) {
    a.add(20'000);
    b.add(20'250);
  }
  a.add(1'000'000);  // the p99 is then a bucket's midpoint, not the maximum
  b.add(1'000'000);
  EXPECT_LT(a.quantile(0.99), b.quantile(0.99));
  EXPECT_NEAR(static_cast<double>(b.quantile(0.99) - a.quantile(0.99)), 250.0, 130.0);
}

TEST(Histogram, RanksAndMerge) {
  Histogram h;
  for (std::uint64_t v = 1; v <= 100; ++v) h.add(v * 1000);
  EXPECT_EQ(h.count(), 100U);
  EXPECT_EQ(h.max(), 100'000U);
  EXPECT_NEAR(static_cast<double>(h.quantile(0.5)), 50'000.0, 400.0);
  EXPECT_NEAR(static_cast<double>(h.quantile(0.99)), 99'000.0, 800.0);
  EXPECT_EQ(h.quantile(1.0), 100'000U);
  Histogram other;
  other.add(1'000'000);
  h.merge(other);
  EXPECT_EQ(h.count(), 101U);
  EXPECT_EQ(h.max(), 1'000'000U);
  EXPECT_EQ(h.quantile(1.0), 1'000'000U);
  EXPECT_DOUBLE_EQ(Histogram().mean(), 0.0);
}

}  // namespace
}  // namespace chatstream::loadgen
