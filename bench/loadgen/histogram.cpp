#include "histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace chatstream::loadgen {

int Histogram::index(std::uint64_t v) {
  if (v < 2 * kSub) return static_cast<int>(v);
  int msb = 63 - std::countl_zero(v);  // > kSubBits
  int shift = msb - kSubBits;          // keeps kSubBits + 1 significant bits: v >> shift in
                                       // [kSub, 2 kSub)
  int idx = 2 * kSub + (shift - 1) * kSub + static_cast<int>((v >> shift) - kSub);
  return std::min(idx, kBuckets - 1);
}

std::uint64_t Histogram::value_of(int idx) {
  if (idx < 2 * kSub) return static_cast<std::uint64_t>(idx);
  int shift = (idx - 2 * kSub) / kSub + 1;
  std::uint64_t sub = static_cast<std::uint64_t>((idx - 2 * kSub) % kSub + kSub);
  return (sub << shift) + ((std::uint64_t{1} << shift) >> 1);
}

void Histogram::add(std::uint64_t us) {
  ++counts_[static_cast<std::size_t>(index(us))];
  ++count_;
  sum_ += us;
  max_ = std::max(max_, us);
}

void Histogram::merge(const Histogram& other) {
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  max_ = std::max(max_, other.max_);
}

std::uint64_t Histogram::quantile(double q) const {
  if (count_ == 0) return 0;
  if (q >= 1.0) return max_;
  auto rank = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::max<std::uint64_t>(rank, 1);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(value_of(static_cast<int>(i)), max_);
  }
  return max_;
}

}  // namespace chatstream::loadgen
