#include "app/descriptors.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>

namespace chatstream::app {

std::size_t reserve_descriptor_table(std::size_t wanted) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 0;
  const std::size_t slots = std::min<std::size_t>(wanted, limit.rlim_cur);
  if (slots <= 256) return 0;  // the table starts at this order of size anyway
  const int probe = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (probe < 0) return 0;
  // The lowest free descriptor at or above slots - 1: the table grows to hold it.
  const int high = ::fcntl(probe, F_DUPFD_CLOEXEC, static_cast<int>(slots - 1));
  ::close(probe);
  if (high < 0) return 0;
  ::close(high);
  return slots;
}

}  // namespace chatstream::app
