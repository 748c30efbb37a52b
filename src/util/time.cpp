#include "util/time.hpp"

#include <algorithm>

namespace chatstream::util {
namespace {

using namespace std::chrono;

// Reads exactly `n` decimal digits at `pos`; advances `pos`. -1 when not digits.
int read_digits(std::string_view s, std::size_t& pos, std::size_t n) noexcept {
  if (pos + n > s.size()) return -1;
  int value = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const char ch = s[pos + i];
    if (ch < '0' || ch > '9') return -1;
    value = value * 10 + (ch - '0');
  }
  pos += n;
  return value;
}

bool expect(std::string_view s, std::size_t& pos, char ch) noexcept {
  if (pos >= s.size() || s[pos] != ch) return false;
  ++pos;
  return true;
}

// Parses the fraction after the seconds (if any) into milliseconds.
std::optional<int> read_fraction_ms(std::string_view s, std::size_t& pos) noexcept {
  if (pos >= s.size() || s[pos] != '.') return 0;
  ++pos;
  int ms = 0;
  std::size_t digits = 0;
  while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
    if (digits < 3) ms = ms * 10 + (s[pos] - '0');
    ++digits;
    ++pos;
  }
  if (digits == 0) return std::nullopt;
  for (std::size_t i = digits; i < 3; ++i) ms *= 10;
  return ms;
}

// Parses "Z" or "+hh:mm" / "-hh:mm" at the end; returns the offset in minutes.
std::optional<int> read_offset_minutes(std::string_view s, std::size_t& pos) noexcept {
  if (pos >= s.size()) return std::nullopt;
  const char sign = s[pos++];
  if (sign == 'Z' || sign == 'z') return 0;
  if (sign != '+' && sign != '-') return std::nullopt;
  const int hh = read_digits(s, pos, 2);
  if (hh < 0 || hh > 23 || !expect(s, pos, ':')) return std::nullopt;
  const int mm = read_digits(s, pos, 2);
  if (mm < 0 || mm > 59) return std::nullopt;
  return (sign == '-' ? -1 : 1) * (hh * 60 + mm);
}

}  // namespace

std::int64_t to_epoch_ms(system_clock::time_point tp) noexcept {
  return floor<milliseconds>(tp.time_since_epoch()).count();
}

std::int64_t now_epoch_ms() noexcept {
  return to_epoch_ms(system_clock::now());
}

std::string format_rfc3339_ms(std::int64_t epoch_ms) {
  const sys_time<milliseconds> tp{milliseconds{epoch_ms}};
  const auto day = floor<days>(tp);
  year_month_day ymd{day};
  hh_mm_ss<milliseconds> hms{tp - day};
  const int y = std::clamp(static_cast<int>(ymd.year()), 0, 9999);
  // Digits written in place (every message's timestamps go through here; snprintf cost more
  // than the rest of the conversion).
  std::string out = "0000-00-00T00:00:00.000Z";
  const auto put = [&out](std::size_t at, std::size_t width, unsigned value) {
    for (std::size_t i = width; i-- > 0; value /= 10)
      out[at + i] = static_cast<char>('0' + value % 10);
  };
  put(0, 4, static_cast<unsigned>(y));
  put(5, 2, static_cast<unsigned>(ymd.month()));
  put(8, 2, static_cast<unsigned>(ymd.day()));
  put(11, 2, static_cast<unsigned>(hms.hours().count()));
  put(14, 2, static_cast<unsigned>(hms.minutes().count()));
  put(17, 2, static_cast<unsigned>(hms.seconds().count()));
  put(20, 3, static_cast<unsigned>(hms.subseconds().count()));
  return out;
}

std::string format_rfc3339_ms(system_clock::time_point tp) {
  return format_rfc3339_ms(to_epoch_ms(tp));
}

std::optional<std::int64_t> parse_rfc3339_ms(std::string_view s) noexcept {
  std::size_t pos = 0;
  const int y = read_digits(s, pos, 4);
  if (y < 0 || !expect(s, pos, '-')) return std::nullopt;
  const int mo = read_digits(s, pos, 2);
  if (mo < 0 || !expect(s, pos, '-')) return std::nullopt;
  const int d = read_digits(s, pos, 2);
  if (d < 0 || pos >= s.size()) return std::nullopt;
  const char sep = s[pos++];
  if (sep != 'T' && sep != 't' && sep != ' ') return std::nullopt;
  const int h = read_digits(s, pos, 2);
  if (h < 0 || h > 23 || !expect(s, pos, ':')) return std::nullopt;
  const int mi = read_digits(s, pos, 2);
  if (mi < 0 || mi > 59 || !expect(s, pos, ':')) return std::nullopt;
  const int sec = read_digits(s, pos, 2);
  if (sec < 0 || sec > 59) return std::nullopt;
  const auto frac = read_fraction_ms(s, pos);
  const auto offset = read_offset_minutes(s, pos);
  if (!frac || !offset || pos != s.size()) return std::nullopt;
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                           day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  const auto total = sys_days{ymd}.time_since_epoch() + hours{h} + minutes{mi} + seconds{sec} +
                     milliseconds{*frac} - minutes{*offset};
  return duration_cast<milliseconds>(total).count();
}

}  // namespace chatstream::util
