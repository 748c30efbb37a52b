// Conversation handlers: list, create, get (with every message), update, delete, export.
#include <boost/json/serialize.hpp>

#include <charconv>

#include "api/handlers.hpp"
#include "api/json.hpp"
#include "generation/hub.hpp"
#include "http/error.hpp"
#include "providers/registry.hpp"
#include "store/store.hpp"
#include "util/id.hpp"
#include "util/time.hpp"

namespace chatstream::api {
namespace json = boost::json;

namespace {

// A streaming message's text as the live log has it right now (the store lags by up to the
// persist interval); `delta_seq` says where a client should resume.
void overlay_live(const generation::GenerationHub& hub, store::Message& m) {
  if (m.status != store::MessageStatus::streaming) return;
  auto g = hub.find(m.id);
  if (!g) return;
  auto seq = g->last_seq();
  m.content = g->text_up_to(seq);
  m.delta_seq = static_cast<std::int64_t>(seq);
}

std::optional<http::Response> read_conversation_fields(const json::object& body,
                                                       const ApiSettings& s,
                                                       std::optional<std::string>& title,
                                                       std::optional<std::string>& model,
                                                       std::optional<std::string>& prompt) {
  if (auto e = optional_string(body, "title", title, s.max_title_bytes)) return e;
  if (auto e = optional_string(body, "model", model, 200)) return e;
  if (auto e = optional_string(body, "system_prompt", prompt, s.max_system_prompt_bytes)) {
    return e;
  }
  return std::nullopt;
}

std::optional<http::Response> check_model(const ApiContext& ctx,
                                          const std::optional<std::string>& model) {
  if (model && !model->empty() && !ctx.registry.resolve(*model)) {
    return http::json_error(422, "model_not_found",
                            "Unknown model \"" + *model + "\". See GET /api/models.");
  }
  return std::nullopt;
}

}  // namespace

Reply list_conversations(ApiContext* ctx, http::Request req) {
  store::ListConversations q;
  q.user_id = user_of(req);
  if (auto limit = req.query_param("limit")) {
    int n = 0;
    auto [p, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), n);
    if (ec != std::errc() || p != limit->data() + limit->size() || n < 1 || n > 200) {
      co_return http::json_error(422, "invalid_parameter", "limit must be an integer 1..200.");
    }
    q.limit = n;
  }
  if (auto before = req.query_param("before"); before && !before->empty()) q.before = *before;
  if (auto search = req.query_param("q"); search && !search->empty()) q.title_query = *search;
  auto page = co_await ctx->store.list_conversations(std::move(q));
  json::array items;
  for (const auto& c : page.conversations) items.push_back(to_json(c));
  json::object out;
  out["conversations"] = std::move(items);
  out["next_before"] = page.next_before ? json::value(*page.next_before) : json::value(nullptr);
  co_return json_response(200, out);
}

Reply create_conversation(ApiContext* ctx, http::Request req) {
  auto parsed = parse_object_body(req);
  if (auto* err = std::get_if<http::Response>(&parsed)) co_return std::move(*err);
  const auto& body = std::get<json::object>(parsed);
  std::optional<std::string> title, model, prompt;
  if (auto e = read_conversation_fields(body, ctx->settings, title, model, prompt)) co_return *e;
  if (auto e = check_model(*ctx, model)) co_return *e;
  store::NewConversation nc;
  nc.user_id = user_of(req);
  nc.title = title.value_or("");
  nc.model = model.value_or("");
  nc.system_prompt = prompt.value_or("");
  auto c = co_await ctx->store.create_conversation(std::move(nc));
  co_return json_response(201, to_json(c));
}

Reply get_conversation(ApiContext* ctx, http::Request req) {
  std::string id(req.param("cid"));
  if (!util::is_valid_id(id)) co_return not_found("Conversation");
  auto user = user_of(req);
  auto c = co_await ctx->store.get_conversation(user, id);
  if (!c) co_return not_found("Conversation");
  auto messages = co_await ctx->store.list_messages(user, id);
  json::array items;
  for (auto& m : messages) {
    overlay_live(ctx->hub, m);
    items.push_back(to_json(m));
  }
  auto out = to_json(*c);
  out["messages"] = std::move(items);
  co_return json_response(200, out);
}

Reply update_conversation(ApiContext* ctx, http::Request req) {
  std::string id(req.param("cid"));
  if (!util::is_valid_id(id)) co_return not_found("Conversation");
  auto parsed = parse_object_body(req);
  if (auto* err = std::get_if<http::Response>(&parsed)) co_return std::move(*err);
  const auto& body = std::get<json::object>(parsed);
  store::ConversationPatch patch;
  if (auto e = read_conversation_fields(body, ctx->settings, patch.title, patch.model,
                                        patch.system_prompt)) {
    co_return *e;
  }
  if (auto e = optional_string(body, "current_leaf_id", patch.current_leaf_id, 64)) co_return *e;
  if (auto e = check_model(*ctx, patch.model)) co_return *e;
  auto result = co_await ctx->store.update_conversation(user_of(req), id, std::move(patch));
  if (!result) {
    if (result.error() == store::Errc::invalid_leaf) {
      co_return http::json_error(422, "invalid_leaf",
                                 "current_leaf_id is not a message of this conversation.");
    }
    co_return not_found("Conversation");
  }
  co_return json_response(200, to_json(*result));
}

Reply delete_conversation(ApiContext* ctx, http::Request req) {
  std::string id(req.param("cid"));
  if (!util::is_valid_id(id)) co_return not_found("Conversation");
  auto user = user_of(req);
  // Stop what is still generating in it and drop live logs: nobody can watch them any more.
  for (const auto& m : co_await ctx->store.list_messages(user, id)) {
    if (m.role == store::Role::assistant) ctx->hub.discard(m.id);
  }
  if (!co_await ctx->store.delete_conversation(user, id)) co_return not_found("Conversation");
  http::Response r;
  r.status = 204;
  co_return r;
}

namespace {

std::string export_markdown(const store::Conversation& c,
                            const std::vector<store::Message>& branch) {
  std::string md = "# " + (c.title.empty() ? std::string("Conversation") : c.title) + "\n\n";
  md += "_Exported from chatstream on " + util::format_rfc3339_ms(util::now_epoch_ms()) + "_\n\n";
  if (!c.system_prompt.empty()) md += "> **System:** " + c.system_prompt + "\n\n";
  for (const auto& m : branch) {
    if (m.role == store::Role::user) {
      md += "## You\n\n";
    } else if (m.role == store::Role::assistant) {
      md += "## Assistant" + (m.model.empty() ? std::string() : " (" + m.model + ")") + "\n\n";
    } else {
      md += "## System\n\n";
    }
    md += m.content + "\n\n";
    if (m.status != store::MessageStatus::complete) {
      md += "_(" + std::string(store::to_string(m.status)) + ")_\n\n";
    }
  }
  return md;
}

}  // namespace

Reply export_conversation(ApiContext* ctx, http::Request req) {
  std::string id(req.param("cid"));
  if (!util::is_valid_id(id)) co_return not_found("Conversation");
  auto format = req.query_param("format").value_or("md");
  if (format != "md" && format != "json") {
    co_return http::json_error(422, "invalid_parameter", "format must be md or json.");
  }
  auto user = user_of(req);
  auto c = co_await ctx->store.get_conversation(user, id);
  if (!c) co_return not_found("Conversation");
  http::Response r;
  const std::string base = "chatstream-" + id;
  if (format == "json") {
    auto messages = co_await ctx->store.list_messages(user, id);
    json::array items;
    for (const auto& m : messages) items.push_back(to_json(m));
    auto out = to_json(*c);
    out["messages"] = std::move(items);
    r = json_response(200, out);
    r.set_header("Content-Disposition", "attachment; filename=\"" + base + ".json\"");
    co_return r;
  }
  std::vector<store::Message> branch;
  if (c->current_leaf_id) branch = co_await ctx->store.get_branch(user, *c->current_leaf_id);
  r.content_type = "text/markdown; charset=utf-8";
  r.body = export_markdown(*c, branch);
  r.set_header("Content-Disposition", "attachment; filename=\"" + base + ".md\"");
  co_return r;
}

}  // namespace chatstream::api
