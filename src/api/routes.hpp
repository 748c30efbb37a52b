// Registers the REST API of docs/api.md on a router.
#pragma once

#include "api/context.hpp"
#include "http/router.hpp"

namespace chatstream::api {

// `ctx` must outlive the router's use (it is owned by main).
// Includes the accounts routes (/api/auth/*, /api/admin/*); ctx.accounts must be set.
void add_routes(http::Router& router, ApiContext& ctx);
void add_account_routes(http::Router& router, ApiContext& ctx);

}  // namespace chatstream::api
