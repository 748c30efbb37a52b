// Wires configuration, logging, the HTTP server and the product parts together, runs the
// io_context on the configured threads, and shuts down gracefully on SIGINT/SIGTERM.
#pragma once

#include "app/config.hpp"

namespace chatstream::app {

// Runs the server until it is shut down. Returns the process exit code.
int run(Config config);

}  // namespace chatstream::app
