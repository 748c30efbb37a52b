// Log-linear histogram of microsecond values (0.8 % resolution: 0.13 ms around a 20 ms gap;
// fixed size, no allocation after construction), for time to first token, gaps between tokens
// and catch-up times.
#pragma once

#include <array>
#include <cstdint>

namespace chatstream::loadgen {

class Histogram {
 public:
  void add(std::uint64_t us);
  void merge(const Histogram& other);
  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / count_ : 0.0; }
  // The value below which `q` (0..1) of the samples fall (bucket midpoint; exact max for 1).
  std::uint64_t quantile(double q) const;

 private:
  static constexpr int kSubBits = 7;
  static constexpr int kSub = 1 << kSubBits;  // sub-buckets per power of two
  static constexpr int kBuckets = 2 * kSub + (63 - kSubBits) * kSub;
  static int index(std::uint64_t v);
  static std::uint64_t value_of(int index);

  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace chatstream::loadgen
