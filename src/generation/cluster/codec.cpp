#include <charconv>

#include "generation/cluster/state.hpp"

namespace chatstream::generation {

namespace {

std::optional<std::int64_t> to_int(std::string_view s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

void put(std::vector<std::string>& out, const char* name, const std::optional<std::string>& v) {
  if (!v) return;
  out.emplace_back(name);
  out.push_back(*v);
}

void put(std::vector<std::string>& out, const char* name, const std::optional<std::int64_t>& v) {
  if (!v) return;
  out.emplace_back(name);
  out.push_back(std::to_string(*v));
}

}  // namespace

std::vector<std::string> encode_outcome(const Outcome& o) {
  std::vector<std::string> out{"status", std::string(store::to_string(o.status)), "last_seq",
                               std::to_string(o.last_seq)};
  put(out, "finish_reason", o.finish_reason);
  put(out, "prompt_tokens", o.prompt_tokens);
  put(out, "completion_tokens", o.completion_tokens);
  put(out, "ttft_ms", o.ttft_ms);
  put(out, "duration_ms", o.duration_ms);
  put(out, "error_message", o.error_message);
  put(out, "error_code", o.error_code);
  return out;
}

std::optional<Outcome> decode_outcome(const std::vector<redis::Reply>& fields) {
  Outcome o;
  bool has_status = false;
  for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
    const auto& name = fields[i].str;
    const auto& value = fields[i + 1].str;
    if (name == "status") {
      auto st = store::message_status_from_string(value);
      if (!st) return std::nullopt;
      o.status = *st;
      has_status = true;
    } else if (name == "last_seq") {
      o.last_seq = static_cast<std::uint64_t>(std::max<std::int64_t>(to_int(value).value_or(0), 0));
    } else if (name == "finish_reason") {
      o.finish_reason = value;
    } else if (name == "prompt_tokens") {
      o.prompt_tokens = to_int(value);
    } else if (name == "completion_tokens") {
      o.completion_tokens = to_int(value);
    } else if (name == "ttft_ms") {
      o.ttft_ms = to_int(value);
    } else if (name == "duration_ms") {
      o.duration_ms = to_int(value);
    } else if (name == "error_message") {
      o.error_message = value;
    } else if (name == "error_code") {
      o.error_code = value;
    }
  }
  if (!has_status) return std::nullopt;
  return o;
}

}  // namespace chatstream::generation
