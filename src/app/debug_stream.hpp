// GET /api/debug/stream?count=N&interval_ms=M&bytes=B: a synthetic event stream (enabled by
// --debug-endpoints) for checking that proxies in front of chatstream stream without buffering.
#pragma once

#include "http/router.hpp"

namespace chatstream::app {

void add_debug_routes(http::Router& router);

}  // namespace chatstream::app
