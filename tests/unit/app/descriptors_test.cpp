#include "app/descriptors.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <filesystem>

namespace chatstream::app {
namespace {

std::size_t open_descriptors() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    ++n;
  }
  return n;
}

std::size_t soft_limit() {
  rlimit limit{};
  EXPECT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  return limit.rlim_cur;
}

TEST(DescriptorTable, ReservesUpToTheLimitWithoutKeepingDescriptors) {
  const std::size_t before = open_descriptors();
  const std::size_t limit = soft_limit();
  const std::size_t reserved = reserve_descriptor_table(limit + 1000);
  if (limit > 256) {
    EXPECT_EQ(reserved, limit);  // bounded by the open-file limit, not by what was asked
  } else {
    EXPECT_EQ(reserved, 0u);
  }
  EXPECT_EQ(open_descriptors(), before);
}

TEST(DescriptorTable, ReservesWhatIsAskedBelowTheLimit) {
  if (soft_limit() < 600) GTEST_SKIP() << "open-file limit below 600";
  const std::size_t before = open_descriptors();
  EXPECT_EQ(reserve_descriptor_table(600), 600u);
  EXPECT_EQ(open_descriptors(), before);
}

TEST(DescriptorTable, SmallTablesAreLeftAlone) {
  EXPECT_EQ(reserve_descriptor_table(100), 0u);
}

}  // namespace
}  // namespace chatstream::app
