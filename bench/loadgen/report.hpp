// The results as JSON (for the driver) and as a human-readable table.
#pragma once

#include <string>

#include "options.hpp"
#include "runner.hpp"

namespace chatstream::loadgen {

std::string to_json(const Options& o, const Results& r);
std::string to_table(const Options& o, const Results& r);

}  // namespace chatstream::loadgen
