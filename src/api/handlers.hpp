// Internal to api/: the REST handlers (each a coroutine taking its context and request by
// value), registered by routes.cpp.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "api/context.hpp"
#include "http/message.hpp"

namespace chatstream::api {

using Reply = boost::asio::awaitable<http::Response>;

Reply list_conversations(ApiContext* ctx, http::Request req);
Reply create_conversation(ApiContext* ctx, http::Request req);
Reply get_conversation(ApiContext* ctx, http::Request req);
Reply update_conversation(ApiContext* ctx, http::Request req);
Reply delete_conversation(ApiContext* ctx, http::Request req);
Reply export_conversation(ApiContext* ctx, http::Request req);

Reply post_message(ApiContext* ctx, http::Request req);
Reply regenerate_message(ApiContext* ctx, http::Request req);
Reply cancel_message(ApiContext* ctx, http::Request req);
Reply message_events(ApiContext* ctx, http::Request req);

Reply list_models(ApiContext* ctx, http::Request req);
Reply readiness(ApiContext* ctx, http::Request req);

}  // namespace chatstream::api
