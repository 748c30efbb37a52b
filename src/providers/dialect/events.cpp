#include "providers/events.hpp"

namespace chatstream::providers {

const char* to_string(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::http_status:
      return "http_status";
    case ErrorKind::upstream:
      return "upstream";
    case ErrorKind::truncated:
      return "truncated";
    case ErrorKind::timeout:
      return "timeout";
    case ErrorKind::connect:
      return "connect";
    case ErrorKind::protocol:
      return "protocol";
    case ErrorKind::cancelled:
      return "cancelled";
  }
  return "unknown";
}

}  // namespace chatstream::providers
