#include "controls.hpp"

#include <array>
#include <charconv>
#include <utility>

namespace chatstream::fake_upstream {
namespace {

std::string normalize(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (char ch : name) {
    if (ch == '-') ch = '_';
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    out.push_back(ch);
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool parse_u32(std::string_view v, std::uint32_t& out) {
  v = trim(v);
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc{} && ptr == v.data() + v.size() && !v.empty();
}

bool fail(Controls& c, std::string_view name, std::string_view value) {
  c.error = "fake-upstream: bad control ";
  c.error.append(name).append("=").append(value);
  return false;
}

struct FaultName {
  std::string_view name;
  Fault fault;
};
constexpr std::array<FaultName, 5> kFaults{{{"stall_after", Fault::stall},
                                            {"reset_after", Fault::reset},
                                            {"close_after", Fault::close},
                                            {"eof_after", Fault::eof},
                                            {"malformed_after", Fault::malformed}}};

bool apply_fault(Controls& c, std::string_view n, std::string_view value, bool& matched) {
  for (const auto& f : kFaults) {
    if (f.name != n) continue;
    matched = true;
    std::uint32_t k = 0;
    if (!parse_u32(value, k)) return fail(c, n, value);
    c.fault = f.fault;
    c.fault_after = k;
    return true;
  }
  return true;
}

bool apply_status(Controls& c, std::string_view value) {
  std::uint32_t s = 0;
  if (!parse_u32(value, s) || s < 100 || s > 599) return fail(c, "status", value);
  c.status = s;
  return true;
}

bool apply_string(Controls& c, const std::string& n, std::string_view value, bool& matched) {
  matched = true;
  if (n == "fixture") {
    c.fixture = std::string(trim(value));
    if (c.fixture.find('/') != std::string::npos || c.fixture.find("..") != std::string::npos)
      return fail(c, n, value);
  } else if (n == "key") {
    c.key = std::string(trim(value));
  } else if (n == "expect_key") {
    c.expect_key = std::string(trim(value));
  } else if (n == "finish") {
    value = trim(value);
    if (value != "stop" && value != "length") return fail(c, n, value);
    c.finish = std::string(value);
  } else if (n == "fault") {
    // `fault=reset_after:5` or `fault=reset_after=5`
    auto sep = value.find_first_of(":=");
    if (sep == std::string_view::npos) return fail(c, n, value);
    bool fault_matched = false;
    if (!apply_fault(c, normalize(trim(value.substr(0, sep))), value.substr(sep + 1),
                     fault_matched))
      return false;
    if (!fault_matched) return fail(c, n, value);
  } else if (n == "trickle") {
    value = trim(value);
    c.trickle = !(value == "0" || value == "false" || value == "no");
  } else {
    matched = false;
  }
  return true;
}

}  // namespace

std::string_view fault_name(Fault f) {
  switch (f) {
    case Fault::none:
      return "none";
    case Fault::stall:
      return "stall";
    case Fault::reset:
      return "reset";
    case Fault::close:
      return "close";
    case Fault::eof:
      return "eof";
    case Fault::malformed:
      return "malformed";
  }
  return "none";
}

bool apply_control(Controls& c, std::string_view name, std::string_view value) {
  const std::string n = normalize(trim(name));
  bool matched = false;
  if (!apply_string(c, n, value, matched)) return false;
  if (matched) return true;
  if (!apply_fault(c, n, value, matched)) return false;
  if (matched) return true;
  if (n == "status") return apply_status(c, value);

  std::uint32_t v = 0;
  if (!parse_u32(value, v)) return fail(c, n, value);
  if (n == "tokens") {
    c.tokens = v;
  } else if (n == "delay_ms") {
    c.delay_ms = v;
  } else if (n == "jitter_ms") {
    c.jitter_ms = v;
  } else if (n == "first_token_delay_ms") {
    c.first_token_delay_ms = v;
  } else if (n == "header_delay_ms") {
    c.header_delay_ms = v;
  } else if (n == "retry_after") {
    c.retry_after = v;
  } else if (n == "fail_first") {
    c.fail_first = v;
  } else if (n == "trickle_us") {
    c.trickle_us = v;
  } else if (n == "seed") {
    c.seed = v;
  } else {
    c.error = "fake-upstream: unknown control " + n;
    return false;
  }
  return true;
}

bool apply_control_list(Controls& c, std::string_view list) {
  while (!list.empty()) {
    auto comma = list.find(',');
    std::string_view item = trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (item.empty()) continue;
    auto eq = item.find('=');
    if (eq == std::string_view::npos) {
      c.error = "fake-upstream: control without value: ";
      c.error.append(item);
      return false;
    }
    if (!apply_control(c, item.substr(0, eq), item.substr(eq + 1))) return false;
  }
  return true;
}

bool apply_model_controls(Controls& c, std::string_view model) {
  constexpr std::string_view prefix = "fake:";
  if (model.substr(0, prefix.size()) != prefix) return true;
  return apply_control_list(c, model.substr(prefix.size()));
}

bool apply_header_control(Controls& c, std::string_view name, std::string_view value) {
  const std::string n = normalize(name);
  if (n == "x_fake") return apply_control_list(c, value);
  constexpr std::string_view prefix = "x_fake_";
  if (n.compare(0, prefix.size(), prefix) != 0) return true;
  return apply_control(c, std::string_view(n).substr(prefix.size()), value);
}

bool apply_query_controls(Controls& c, std::string_view query) {
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (item.empty()) continue;
    auto eq = item.find('=');
    std::string_view value = eq == std::string_view::npos ? "1" : item.substr(eq + 1);
    Controls probe = c;  // unknown query parameters (api-version=…) are not controls
    if (apply_control(probe, item.substr(0, eq), value)) {
      c = std::move(probe);
    } else if (probe.error.find("unknown control") == std::string::npos) {
      c.error = probe.error;
      return false;
    }
  }
  return true;
}

}  // namespace chatstream::fake_upstream
