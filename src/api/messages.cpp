// Message handlers: send (starts a generation), regenerate (a new sibling answer).
#include <spdlog/spdlog.h>
#include <boost/json/serialize.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include "api/handlers.hpp"
#include "api/json.hpp"
#include "api/sources.hpp"
#include "api/titles.hpp"
#include "auth/service.hpp"
#include "generation/context.hpp"
#include "generation/hub.hpp"
#include "http/error.hpp"
#include "providers/registry.hpp"
#include "sse/encoder.hpp"
#include "store/store.hpp"
#include "util/id.hpp"

namespace chatstream::api {
namespace json = boost::json;

namespace {

http::Response too_many_generations() {
  auto r = http::json_error(429, "too_many_generations",
                            "The server is busy with other answers. Try again in a moment.");
  r.set_header("Retry-After", "2");
  return r;
}

http::Response generation_in_progress() {
  auto r = http::json_error(429, "generation_in_progress",
                            "An answer is still being generated here. Wait for it or stop it.");
  r.set_header("Retry-After", "1");
  return r;
}

// The model to use: the request's, else the conversation's, else the default one.
std::optional<providers::ResolvedModel> pick_model(const ApiContext& ctx,
                                                   const std::optional<std::string>& requested,
                                                   const std::string& fallback) {
  if (requested && !requested->empty()) return ctx.registry.resolve(*requested);
  if (!fallback.empty()) {
    if (auto m = ctx.registry.resolve(fallback)) return m;
  }
  return ctx.registry.resolve("");
}

store::Message new_assistant_message(const providers::ResolvedModel& model,
                                     const std::optional<std::string>& parent) {
  store::Message m;
  m.parent_id = parent;
  m.role = store::Role::assistant;
  m.status = store::MessageStatus::streaming;
  m.model = model.id;
  m.provider = model.provider->name();
  return m;
}

// Waits for the end of a generation, then lets the ticket record the usage (reported by the
// provider, else estimated from the text) and free the user's slot. Polls finished() instead
// of subscribing: a subscriber would count as a watcher (and be woken on every delta).
boost::asio::awaitable<void> watch_generation(std::shared_ptr<generation::Generation> g,
                                              std::shared_ptr<auth::GenerationTicket> ticket) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  for (int i = 0; i < 200'000 && !g->finished(); ++i) {  // bounded: about a day
    timer.expires_after(std::chrono::milliseconds(400));
    auto [ec] = co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (ec) co_return;  // shutting down: the ticket still gives the slot back
  }
  auto outcome = g->outcome();
  if (outcome && (outcome->prompt_tokens || outcome->completion_tokens)) {
    ticket->set_usage(outcome->prompt_tokens.value_or(0), outcome->completion_tokens.value_or(0));
  } else {
    ticket->add_completion_chars(g->text().size());
  }
}

// Builds the context from the branch ending at `leaf_id` and starts the generation. The
// ticket (if any) is held until the generation ends, then records its tokens. `branch`: the
// branch when the caller knows it already (a new root message is its own branch), else it is
// read from the store.
boost::asio::awaitable<void> start_generation(ApiContext* ctx, std::string user,
                                              store::Conversation conversation, std::string leaf_id,
                                              store::Message assistant,
                                              providers::ResolvedModel model,
                                              std::shared_ptr<auth::GenerationTicket> ticket,
                                              std::vector<store::Message> branch = {}) {
  if (branch.empty()) branch = co_await ctx->store.get_branch(user, leaf_id);
  auto request = generation::build_chat_request(branch, conversation.system_prompt,
                                                ctx->settings.context_budget_chars);
  request.model = model.model;
  if (ticket) {
    ticket->add_prompt_chars(request.system_prompt.size());
    for (const auto& m : request.messages) ticket->add_prompt_chars(m.content.size());
  }
  generation::StartParams params;
  params.user_id = std::move(user);
  params.conversation_id = conversation.id;
  params.message_id = assistant.id;
  params.model = std::move(model);
  params.request = std::move(request);
  auto g = ctx->hub.start(std::move(params));
  if (ticket && g) {
    boost::asio::co_spawn(co_await boost::asio::this_coro::executor,
                          watch_generation(std::move(g), std::move(ticket)), boost::asio::detached);
  }
}

// Admission by the user's limits (429 with Retry-After), or the ticket to hold.
boost::asio::awaitable<std::variant<std::shared_ptr<auth::GenerationTicket>, http::Response>> admit(
    ApiContext* ctx, std::string user) {
  if (ctx->accounts == nullptr) co_return std::shared_ptr<auth::GenerationTicket>{};
  auto admitted = co_await ctx->accounts->admit_generation(std::move(user));
  if (auto* refused = std::get_if<auth::Refusal>(&admitted)) co_return auth::to_response(*refused);
  co_return std::get<std::shared_ptr<auth::GenerationTicket>>(std::move(admitted));
}

bool wants_stream(const http::Request& req) {
  return req.header("accept").find("text/event-stream") != std::string_view::npos;
}

}  // namespace

Reply post_message(ApiContext* ctx, http::Request req) {
  std::string cid(req.param("cid"));
  if (!util::is_valid_id(cid)) co_return not_found("Conversation");
  auto parsed = parse_object_body(req);
  if (auto* err = std::get_if<http::Response>(&parsed)) co_return std::move(*err);
  const auto& body = std::get<json::object>(parsed);
  std::optional<std::string> content, parent_id, model_name;
  if (auto e = optional_string(body, "content", content, ctx->settings.max_message_bytes)) {
    if (e->status == 413) {
      co_return http::json_error(413, "message_too_long",
                                 "The message is longer than " +
                                     std::to_string(ctx->settings.max_message_bytes) + " bytes.");
    }
    co_return *e;
  }
  if (!content || content->find_first_not_of(" \t\r\n") == std::string::npos) {
    co_return http::json_error(422, "empty_content", "content must be a non-empty string.");
  }
  if (auto e = optional_string(body, "parent_id", parent_id, 64)) co_return *e;
  if (auto e = optional_string(body, "model", model_name, 200)) co_return *e;

  const auto user = user_of(req);
  auto conversation = co_await ctx->store.get_conversation(user, cid);
  if (!conversation) co_return not_found("Conversation");
  auto model = pick_model(*ctx, model_name, conversation->model);
  if (!model) {
    co_return http::json_error(
        422, "model_not_found",
        "Unknown model \"" + model_name.value_or(conversation->model) + "\". See GET /api/models.");
  }
  // Default: continue the branch the user is on; an explicit null starts a new root.
  const bool explicit_root = body.contains("parent_id") && body.at("parent_id").is_null();
  std::optional<std::string> parent =
      parent_id || explicit_root ? parent_id : conversation->current_leaf_id;
  if (parent) {
    auto p = co_await ctx->store.get_message(user, *parent);
    if (!p || p->conversation_id != cid || p->role == store::Role::user) {
      co_return http::json_error(422, "invalid_parent",
                                 "parent_id must be an answer in this conversation.");
    }
    if (p->status == store::MessageStatus::streaming && ctx->hub.find(p->id)) {
      co_return generation_in_progress();
    }
  }
  auto admitted = co_await admit(ctx, user);
  if (auto* refused = std::get_if<http::Response>(&admitted)) co_return std::move(*refused);
  auto ticket = std::get<std::shared_ptr<auth::GenerationTicket>>(std::move(admitted));
  if (!ctx->hub.try_reserve()) co_return too_many_generations();

  store::Message user_message;
  user_message.id = util::new_id();
  user_message.parent_id = parent;
  user_message.role = store::Role::user;
  user_message.content = std::move(*content);
  std::vector<store::Message> batch;
  batch.push_back(std::move(user_message));
  batch.push_back(new_assistant_message(*model, batch.front().id));
  auto inserted = co_await ctx->store.insert_messages(user, cid, std::move(batch));
  if (!inserted) {
    ctx->hub.release_reservation();
    if (inserted.error() == store::Errc::invalid_parent) {
      co_return http::json_error(422, "invalid_parent", "parent_id is not in this conversation.");
    }
    co_return not_found("Conversation");
  }
  auto& stored = *inserted;

  // A new root message is the whole branch: no read needed.
  std::vector<store::Message> branch;
  if (!parent) branch.push_back(stored[0]);
  co_await start_generation(ctx, user, *conversation, stored[0].id, stored[1], *model,
                            std::move(ticket), std::move(branch));

  // The conversation's first title and a changed model are written while the provider is
  // already asked (not before: that would put a second commit before the first token), and
  // still before the answer, so a client that reads the conversation next sees them. The
  // message is stored and its answer running: a failure here is logged, not answered.
  store::ConversationPatch patch;
  if (conversation->title.empty()) {
    patch.title = generation::title_from_message(stored[0].content);
  }
  if (model_name && *model_name != conversation->model) patch.model = model->id;
  const std::optional<std::string> patch_title = patch.title;
  if (patch.title || patch.model) {
    try {
      co_await ctx->store.update_conversation(user, cid, std::move(patch));
    } catch (const std::exception& e) {
      ctx->logger->warn("conversation {}: saving its title/model failed: {}", cid, e.what());
    }
  }

  if (patch_title && ctx->settings.auto_titles && model->provider->kind() != "simulated") {
    if (auto g = ctx->hub.find(stored[1].id)) {
      boost::asio::co_spawn(
          co_await boost::asio::this_coro::executor,
          auto_title(ctx, user, cid, *patch_title, stored[0].content, std::move(g), *model),
          boost::asio::detached);
    }
  }

  json::object out;
  out["user_message"] = to_json(stored[0]);
  out["assistant_message"] = to_json(stored[1]);
  if (wants_stream(req)) {
    std::string prefix;
    sse::append_event(prefix, "message", json::serialize(out));
    http::Response r;
    r.sse = std::make_shared<LiveEventSource>(ctx->hub.find(stored[1].id), 0, std::move(prefix));
    co_return r;
  }
  co_return json_response(201, out);
}

Reply regenerate_message(ApiContext* ctx, http::Request req) {
  std::string mid(req.param("mid"));
  if (!util::is_valid_id(mid)) co_return not_found("Message");
  auto parsed = parse_object_body(req);
  if (auto* err = std::get_if<http::Response>(&parsed)) co_return std::move(*err);
  std::optional<std::string> model_name;
  if (auto e = optional_string(std::get<json::object>(parsed), "model", model_name, 200)) {
    co_return *e;
  }
  const auto user = user_of(req);
  auto m = co_await ctx->store.get_message(user, mid);
  if (!m) co_return not_found("Message");
  // The user message to answer again: the answer's parent, or the message itself.
  std::optional<std::string> question = m->role == store::Role::user ? m->id : m->parent_id;
  if (!question) {
    co_return http::json_error(422, "nothing_to_regenerate", "This message answers nothing.");
  }
  auto conversation = co_await ctx->store.get_conversation(user, m->conversation_id);
  if (!conversation) co_return not_found("Message");
  auto model = pick_model(*ctx, model_name,
                          m->role == store::Role::assistant ? m->model : conversation->model);
  if (!model) {
    co_return http::json_error(422, "model_not_found",
                               "Unknown model \"" + model_name.value_or(m->model) + "\".");
  }
  auto admitted = co_await admit(ctx, user);
  if (auto* refused = std::get_if<http::Response>(&admitted)) co_return std::move(*refused);
  auto ticket = std::get<std::shared_ptr<auth::GenerationTicket>>(std::move(admitted));
  if (!ctx->hub.try_reserve()) co_return too_many_generations();
  std::vector<store::Message> batch;
  batch.push_back(new_assistant_message(*model, question));
  auto inserted = co_await ctx->store.insert_messages(user, m->conversation_id, std::move(batch));
  if (!inserted) {
    ctx->hub.release_reservation();
    co_return not_found("Message");
  }
  auto assistant = (*inserted)[0];
  co_await start_generation(ctx, user, *conversation, *question, assistant, *model,
                            std::move(ticket));
  json::object out;
  out["assistant_message"] = to_json(assistant);
  co_return json_response(201, out);
}

}  // namespace chatstream::api
