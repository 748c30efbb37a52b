// Deadlines that thousands of streams share. A deadline `timeout` after `from` is rounded up to
// the next boundary of a slot: a power of two milliseconds, at most 1/8 of the timeout and at
// most 256 ms, counted from the clock's epoch, so the same for every stream. The deadlines of
// many streams then fall on a few instants a second and their timers expire together: one
// reactor wake-up and one update of the kernel timer for all that expire at once, instead of
// one each. A deadline never comes early and is late by less than its slot; timeouts under
// 8 ms are kept exact.
#pragma once

#include <chrono>
#include <cstdint>

namespace chatstream::util {

constexpr std::chrono::milliseconds deadline_slot(std::chrono::milliseconds timeout) noexcept {
  std::int64_t slot = 256;
  while (slot > 0 && slot * 8 > timeout.count()) slot /= 2;
  return std::chrono::milliseconds(slot);
}

inline std::chrono::steady_clock::time_point coalesced_deadline(
    std::chrono::steady_clock::time_point from, std::chrono::milliseconds timeout) noexcept {
  using Duration = std::chrono::steady_clock::duration;
  const auto at = from + timeout;
  const Duration slot = deadline_slot(timeout);
  if (slot <= Duration::zero()) return at;
  const Duration rem = at.time_since_epoch() % slot;
  if (rem == Duration::zero()) return at;
  return rem > Duration::zero() ? at + (slot - rem) : at - rem;
}

}  // namespace chatstream::util
