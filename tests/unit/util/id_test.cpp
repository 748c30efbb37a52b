#include "util/id.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace chatstream::util {
namespace {

TEST(Id, HasUlidShape) {
  const std::string id = new_id();
  EXPECT_EQ(id.size(), 26U);
  EXPECT_TRUE(is_valid_id(id)) << id;
}

TEST(Id, EncodesTimestamp) {
  EXPECT_EQ(new_id_at(0).substr(0, 10), "0000000000");
  EXPECT_EQ(new_id_at((std::int64_t{1} << 48) - 1).substr(0, 10), "7ZZZZZZZZZ");
  const std::int64_t t = 1'732'449'600'123;
  EXPECT_EQ(id_timestamp_ms(new_id_at(t)), t);
  EXPECT_THROW(new_id_at(-1), std::out_of_range);
  EXPECT_THROW(new_id_at(std::int64_t{1} << 48), std::out_of_range);
}

TEST(Id, CurrentTimeIsEncoded) {
  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const auto ts = id_timestamp_ms(new_id());
  ASSERT_TRUE(ts.has_value());
  EXPECT_GE(*ts, before);
  EXPECT_LE(*ts, before + 60'000);
}

TEST(Id, MonotonicWithinOneThreadAndMillisecond) {
  std::vector<std::string> ids;
  for (int i = 0; i < 2000; ++i) ids.push_back(new_id_at(1'000'000));
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
}

// Every millisecond draws new random bits (from a pool refilled every 32 ids): across many
// refills, no two random parts repeat.
TEST(Id, EachMillisecondDrawsFreshRandomBits) {
  std::set<std::string> random_parts;
  for (std::int64_t ms = 5'000; ms < 5'000 + 1'000; ++ms) {
    random_parts.insert(new_id_at(ms).substr(10));
  }
  EXPECT_EQ(random_parts.size(), 1'000U);
}

TEST(Id, LaterTimeSortsLater) {
  EXPECT_LT(new_id_at(1'000), new_id_at(1'001));
  EXPECT_LT(new_id_at(999'999'999), new_id_at(1'000'000'000));
}

TEST(Id, UniqueAcrossThreads) {
  constexpr int threads = 4;
  constexpr int per_thread = 5000;
  std::vector<std::vector<std::string>> results(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&results, t] {
      for (int i = 0; i < per_thread; ++i) results[static_cast<std::size_t>(t)].push_back(new_id());
    });
  }
  for (auto& w : workers) w.join();
  std::set<std::string> all;
  for (const auto& r : results) all.insert(r.begin(), r.end());
  EXPECT_EQ(all.size(), static_cast<std::size_t>(threads * per_thread));
}

TEST(Id, RejectsMalformed) {
  const std::string good = new_id();
  EXPECT_TRUE(is_valid_id(good));
  EXPECT_FALSE(is_valid_id(""));
  EXPECT_FALSE(is_valid_id(good.substr(1)));
  EXPECT_FALSE(is_valid_id(good + "0"));
  std::string lower = good;
  lower[20] = 'a';
  EXPECT_FALSE(is_valid_id(lower));
  for (char bad : std::string("ILOU-_ /")) {
    std::string s = good;
    s[12] = bad;
    EXPECT_FALSE(is_valid_id(s)) << s;
  }
  std::string overflow = good;
  overflow[0] = '8';
  EXPECT_FALSE(is_valid_id(overflow));
  EXPECT_FALSE(is_valid_id("12345"));
  EXPECT_FALSE(id_timestamp_ms("not an id").has_value());
}

}  // namespace
}  // namespace chatstream::util
