// Per-request behaviour of fake-upstream: what to send and which fault to inject.
// Pure code (no I/O): parsed from `X-Fake-*` headers, the model name (`fake:k=v,...`) and the
// query string. See README.md for the full list of controls.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chatstream::fake_upstream {

enum class Fault {
  none,
  stall,      // send k tokens, then hold the connection open and send nothing
  reset,      // send k tokens, then RST (SO_LINGER 0 + close)
  close,      // send k tokens, end the HTTP body cleanly, close; no terminal marker
  eof,        // send k tokens, close without ending the HTTP body (truncated chunked body)
  malformed,  // send k tokens, one broken JSON chunk, then carry on normally
};

std::string_view fault_name(Fault f);

struct Controls {
  std::string fixture;  // file name inside --fixtures; empty: generate tokens
  std::uint32_t tokens = 10;
  std::uint32_t delay_ms = 0;   // between tokens
  std::uint32_t jitter_ms = 0;  // uniform extra 0..jitter on each delay (deterministic)
  std::uint32_t first_token_delay_ms = 0;
  std::uint32_t header_delay_ms = 0;
  Fault fault = Fault::none;
  std::uint32_t fault_after = 0;             // k for the fault
  unsigned status = 0;                       // 0: success; else an HTTP error status
  std::optional<std::uint32_t> retry_after;  // seconds, for 429/503/529
  std::uint32_t fail_first = 0;              // only the first n requests of a scenario get `status`
  std::string key;                           // scenario key for fail_first (X-Fake-Key or key=)
  bool trickle = false;
  std::uint32_t trickle_us = 100;  // pause between single-byte writes
  std::optional<std::string> expect_key;
  std::uint64_t seed = 1;
  std::string finish = "stop";  // stop | length
  std::string error;            // non-empty: the controls could not be parsed
};

// Apply one `name=value` pair; `name` is case-insensitive, `-` and `_` are equivalent.
// Returns false and sets c.error on an unknown name or a bad value.
bool apply_control(Controls& c, std::string_view name, std::string_view value);

// Apply `k=v,k=v,...` (also accepts `fault=reset_after:5`). Empty items are ignored.
bool apply_control_list(Controls& c, std::string_view list);

// If `model` starts with `fake:`, apply the list after the prefix.
bool apply_model_controls(Controls& c, std::string_view model);

// Apply a header if its name starts with `X-Fake-` (`X-Fake-Delay-Ms: 10`); the header `X-Fake`
// itself carries a whole list. Returns true if the header was not a control or was applied.
bool apply_header_control(Controls& c, std::string_view name, std::string_view value);

// Apply a URL query string `a=1&b=2` (percent-decoding is not needed for controls). Unknown
// names are ignored here (clients add their own parameters); bad values are errors.
bool apply_query_controls(Controls& c, std::string_view query);

}  // namespace chatstream::fake_upstream
