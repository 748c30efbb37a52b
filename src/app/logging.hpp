// Logger construction: text or JSON lines on stderr. The logger is created in main and
// injected everywhere (no global default logger is relied upon).
#pragma once

#include <memory>
#include <string>

namespace spdlog {
class logger;
}

namespace chatstream::app {

std::shared_ptr<spdlog::logger> make_logger(const std::string& format, const std::string& level);

}  // namespace chatstream::app
