// Small URL helpers (pure).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace chatstream::http {

// Percent-decodes `in` ('+' is a space only when `plus_is_space`). Returns nullopt on a
// malformed escape or a decoded NUL byte.
std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space = false);

// Value of the first `name=` in an application/x-www-form-urlencoded query, decoded.
std::optional<std::string> find_query_param(std::string_view query, std::string_view name);

}  // namespace chatstream::http
