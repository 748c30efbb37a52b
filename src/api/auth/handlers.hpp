// Internal to api/: handlers of /api/auth/* and /api/admin/* (docs/api.md, "Accounts").
#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <string>

#include "api/handlers.hpp"
#include "auth/service.hpp"
#include "http/router.hpp"

namespace chatstream::api::accounts {

Reply auth_state(ApiContext* ctx, http::Request req);
Reply setup(ApiContext* ctx, http::Request req);
Reply login(ApiContext* ctx, http::Request req);
Reply logout(ApiContext* ctx, http::Request req);
Reply logout_others(ApiContext* ctx, http::Request req);
Reply change_password(ApiContext* ctx, http::Request req);
Reply usage(ApiContext* ctx, http::Request req);
Reply list_tokens(ApiContext* ctx, http::Request req);
Reply create_token(ApiContext* ctx, http::Request req);
Reply delete_token(ApiContext* ctx, http::Request req);

Reply admin_list_users(ApiContext* ctx, http::Request req);
Reply admin_create_user(ApiContext* ctx, http::Request req);
Reply admin_update_user(ApiContext* ctx, http::Request req);
Reply admin_usage(ApiContext* ctx, http::Request req);

// The User object of docs/api.md (never the password hash).
boost::json::object user_json(const store::User& user, const auth::Limits& defaults);
// The user shown in single-user mode.
store::User local_user();
boost::json::object limits_json(const auth::Limits& limits);

// 409 not_multi_user.
http::Response not_multi_user();
// 422 invalid_username unless 1..64 characters of [A-Za-z0-9._@-].
std::optional<http::Response> check_username(const std::string& username);
// 422 weak_password unless 8..1024 bytes.
std::optional<http::Response> check_password(const std::string& password);
// A required string field, or the 422 answer.
std::optional<http::Response> required_string(const boost::json::object& body,
                                              std::string_view field, std::string& out,
                                              std::size_t max_bytes);

}  // namespace chatstream::api::accounts
