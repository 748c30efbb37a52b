#include "util/id.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <stdexcept>

namespace chatstream::util {
namespace {

constexpr std::string_view alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr std::size_t random_bytes = 10;

void ensure_sodium() {
  // sodium_init() is itself thread-safe; the static makes later calls free.
  static const bool ready = sodium_init() >= 0;
  if (!ready) throw std::runtime_error("id: libsodium initialisation failed");
}

// Per-thread state for monotonic ids within one millisecond.
struct MonotonicState {
  std::int64_t last_ms = -1;
  std::array<unsigned char, random_bytes> last_random{};
};

// Random bytes from libsodium, drawn a few hundred at a time: one getrandom() call serves 32
// ids instead of one each (a message sent makes three). Per thread, like MonotonicState.
class RandomPool {
 public:
  void take(unsigned char* out, std::size_t n) {
    if (n > bytes_.size() - used_) {
      randombytes_buf(bytes_.data(), bytes_.size());
      used_ = 0;
    }
    std::copy_n(bytes_.data() + used_, n, out);
    sodium_memzero(bytes_.data() + used_, n);  // handed out once, not kept
    used_ += n;
  }

 private:
  std::array<unsigned char, 32 * random_bytes> bytes_{};
  std::size_t used_ = 32 * random_bytes;  // empty: the first take() fills it
};

// Adds one to a big-endian number; returns false on overflow (all bytes wrapped to 0).
bool increment(std::array<unsigned char, random_bytes>& bytes) {
  for (auto it = bytes.rbegin(); it != bytes.rend(); ++it) {
    if (++*it != 0) return true;
  }
  return false;
}

std::string encode(std::int64_t ms, const std::array<unsigned char, random_bytes>& random) {
  // 128 bits (48 time + 80 random), big-endian, preceded by 2 zero bits = 130 bits = 26 chars.
  std::array<unsigned char, 16> bytes{};
  for (int i = 0; i < 6; ++i) {
    bytes[static_cast<std::size_t>(i)] =
        static_cast<unsigned char>((static_cast<std::uint64_t>(ms) >> (40 - 8 * i)) & 0xFF);
  }
  for (std::size_t i = 0; i < random_bytes; ++i) bytes[6 + i] = random[i];
  // Five bits per character, taken from the top of a bit buffer refilled a byte at a time;
  // the buffer starts with the two zero bits.
  std::string out(id_length, '0');
  std::uint64_t buffer = 0;
  unsigned held = 2;
  std::size_t next = 0;
  for (std::size_t c = 0; c < id_length; ++c) {
    if (held < 5) {
      buffer = (buffer << 8) | bytes[next++];
      held += 8;
    }
    held -= 5;
    out[c] = alphabet[(buffer >> held) & 0x1F];
  }
  return out;
}

int decode_char(char ch) noexcept {
  const auto pos = alphabet.find(ch);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

}  // namespace

std::string new_id_at(std::int64_t epoch_ms) {
  if (epoch_ms < 0 || epoch_ms >= (std::int64_t{1} << 48)) {
    throw std::out_of_range("id: timestamp out of range");
  }
  ensure_sodium();
  thread_local MonotonicState state;
  if (epoch_ms == state.last_ms && increment(state.last_random)) {
    return encode(epoch_ms, state.last_random);
  }
  thread_local RandomPool pool;
  pool.take(state.last_random.data(), state.last_random.size());
  state.last_ms = epoch_ms;
  return encode(epoch_ms, state.last_random);
}

std::string new_id() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return new_id_at(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
}

bool is_valid_id(std::string_view id) noexcept {
  if (id.size() != id_length) return false;
  if (id[0] < '0' || id[0] > '7') return false;
  for (char ch : id) {
    if (decode_char(ch) < 0) return false;
  }
  return true;
}

std::optional<std::int64_t> id_timestamp_ms(std::string_view id) noexcept {
  if (!is_valid_id(id)) return std::nullopt;
  // The first 10 characters hold 50 bits: 2 zero bits and the 48-bit time.
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 10; ++i) {
    value = (value << 5) | static_cast<std::uint64_t>(decode_char(id[i]));
  }
  return static_cast<std::int64_t>(value);
}

}  // namespace chatstream::util
