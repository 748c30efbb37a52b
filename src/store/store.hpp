// The conversation history store: conversations and their messages (a tree via parent_id).
//
// Backends: SQLite (embedded default; `sqlite:<path>` or a plain path) and PostgreSQL
// (`postgres://...`). Both pass the same test suite (tests/unit/store/).
//
// Threading: every method may be called from any thread or coroutine, concurrently. Storage
// never runs on the caller's thread: awaitable methods do their work on the store's own
// threads and resume the caller on the caller's executor (the coroutine's executor). Writes
// go through one writer that groups whatever is queued into one transaction; reads run on a
// separate pool and are not delayed by writes. A write is visible to every later read once
// its awaitable has completed. The Store must outlive all operations started on it; its
// destructor commits what is still queued (including save_progress snapshots).
//
// Errors: "not found" and other expected domain outcomes are values (std::optional, bool,
// Result). An unexpected database failure (disk full, corrupt file, lost connection) throws
// StoreFailure from the awaitable. Awaitables cannot be cancelled once started.
//
// Users: every conversation belongs to a user_id ("local" in single-user mode). Every read,
// update and delete is scoped by user_id: another user's ids behave exactly as unknown ids.
// Message-level writes made by the generation machinery (save_progress, finish_message) are
// addressed by message id only; the message ids come from a scoped insert.
//
// Text: every string stored is normalised to valid UTF-8 (ill-formed bytes and U+0000 become
// U+FFFD), so all backends return the same text.
//
// Times are milliseconds since the Unix epoch (UTC). Ids are util::new_id() strings.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace chatstream::store {

inline constexpr std::string_view default_user_id = "local";

enum class Role { system, user, assistant };

// streaming: being generated; the others are final. `interrupted` marks a message found
// streaming at start-up (the process died mid-generation); its partial content is kept.
enum class MessageStatus { streaming, complete, cancelled, error, interrupted };

std::string_view to_string(Role role) noexcept;
std::string_view to_string(MessageStatus status) noexcept;
std::optional<Role> role_from_string(std::string_view text) noexcept;
std::optional<MessageStatus> message_status_from_string(std::string_view text) noexcept;

struct Conversation {
  std::string id;
  std::string user_id;
  std::string title;
  std::string model;
  std::string system_prompt;
  std::optional<std::string> current_leaf_id;  // the message the UI shows as the branch end
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;  // bumped by inserts and by title/model/prompt changes
};

struct Message {
  std::string id;  // empty on insert: the store assigns util::new_id()
  std::string conversation_id;
  std::optional<std::string> parent_id;  // nullopt: a root message
  Role role = Role::user;
  std::string content;
  MessageStatus status = MessageStatus::complete;
  std::string model;
  std::string provider;
  std::optional<std::string> finish_reason;  // "stop", "length", ...
  std::optional<std::int64_t> prompt_tokens;
  std::optional<std::int64_t> completion_tokens;
  std::optional<std::int64_t> ttft_ms;      // time to first token
  std::optional<std::int64_t> duration_ms;  // whole generation
  std::optional<std::string> error_message;
  std::optional<std::string> error_code;
  // Number of the last stream delta that `content` includes (the SSE `id` of a replay of a
  // finished message). 0 when the content did not come from a stream.
  std::int64_t delta_seq = 0;
  std::int64_t created_at_ms = 0;  // 0 on insert: the store's clock
  std::int64_t updated_at_ms = 0;
};

struct NewConversation {
  std::string user_id{default_user_id};
  std::string title;
  std::string model;
  std::string system_prompt;
};

// Fields to change; nullopt leaves a field as it is.
struct ConversationPatch {
  std::optional<std::string> title;
  std::optional<std::string> model;
  std::optional<std::string> system_prompt;
  std::optional<std::string> current_leaf_id;  // must be a message of this conversation
};

struct ConversationPage {
  std::vector<Conversation> conversations;  // newest updated first
  // Opaque cursor for the next (older) page; nullopt on the last page.
  std::optional<std::string> next_before;
};

struct ListConversations {
  std::string user_id{default_user_id};
  int limit = 50;  // clamped to 1..200
  // A cursor from ConversationPage::next_before, or a conversation id of this user
  // (the page then starts after that conversation). Unknown values give an empty page.
  std::optional<std::string> before;
  // Case-insensitive (ASCII) substring of the title; '%' and '_' match literally.
  std::optional<std::string> title_query;
};

// The final state of a streaming message.
struct MessageFinal {
  std::string id;
  std::string content;
  MessageStatus status = MessageStatus::complete;  // any status except streaming
  std::optional<std::string> finish_reason;
  std::optional<std::int64_t> prompt_tokens;
  std::optional<std::int64_t> completion_tokens;
  std::optional<std::int64_t> ttft_ms;
  std::optional<std::int64_t> duration_ms;
  std::optional<std::string> error_message;
  std::optional<std::string> error_code;
  std::int64_t delta_seq = 0;
};

struct StoreStats {
  std::uint64_t write_transactions = 0;  // committed write transactions
  std::uint64_t statements = 0;          // write statements executed
  std::uint64_t rows_written = 0;        // rows inserted, updated or deleted
  // Snapshots (and session/token touches) replaced by a newer one before writing.
  std::uint64_t progress_superseded = 0;
  std::uint64_t queue_depth = 0;     // write operations + snapshots + touches waiting
  std::uint64_t write_failures = 0;  // batches rolled back by an unexpected error
};

// Expected domain failures of writes.
enum class Errc {
  not_found = 1,   // conversation (or message) unknown or owned by another user
  invalid_parent,  // parent_id is not a message of the same conversation
  invalid_leaf,    // current_leaf_id is not a message of this conversation
};
const std::error_category& store_category() noexcept;
std::error_code make_error_code(Errc e) noexcept;

// Holds a value or an error_code (with store_category() for Errc values). `.value()`
// throws std::system_error when it holds an error.
template <class T>
using Result = boost::system::result<T, std::error_code>;

// An unexpected storage failure (I/O error, corrupt database, unreachable server).
class StoreFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct StoreConfig {
  // "sqlite:<path>", "sqlite://<path>" or a plain file path. The parent directory is created
  // when missing. "postgres://..." or "postgresql://..." selects PostgreSQL.
  std::string url = "data/chatstream.db";
  std::chrono::milliseconds busy_timeout{5000};
  // How long the writer may wait to gather more save_progress snapshots into one
  // transaction. Awaited writes never wait for it: they commit as soon as the writer
  // reaches them (together with everything queued before them).
  std::chrono::milliseconds progress_interval{100};
  std::size_t max_batch = 256;       // write operations per transaction at most
  std::size_t read_connections = 2;  // reader threads = read connections
  // Source of timestamps (epoch ms); empty: the system clock. Tests inject one.
  std::function<std::int64_t()> clock;
};

class AccountStore;  // store/accounts.hpp

class Store {
 public:
  virtual ~Store() = default;

  // Users, sessions, API tokens and usage, kept in the same database (same connections and
  // threads). Valid as long as the Store.
  virtual AccountStore& accounts() = 0;

  virtual boost::asio::awaitable<Conversation> create_conversation(NewConversation c) = 0;
  virtual boost::asio::awaitable<std::optional<Conversation>> get_conversation(std::string user_id,
                                                                               std::string id) = 0;
  // Newest-updated first, keyset pagination (stable while conversations are added).
  virtual boost::asio::awaitable<ConversationPage> list_conversations(ListConversations q) = 0;
  // Errors: Errc::not_found, Errc::invalid_leaf.
  virtual boost::asio::awaitable<Result<Conversation>> update_conversation(
      std::string user_id, std::string id, ConversationPatch patch) = 0;
  // Deletes the conversation and all its messages; false when not found.
  virtual boost::asio::awaitable<bool> delete_conversation(std::string user_id, std::string id) = 0;

  // Every message of the conversation, all branches, oldest first (insertion order).
  // Empty when the conversation is unknown.
  virtual boost::asio::awaitable<std::vector<Message>> list_messages(
      std::string user_id, std::string conversation_id) = 0;
  virtual boost::asio::awaitable<std::optional<Message>> get_message(std::string user_id,
                                                                     std::string id) = 0;
  // The path root -> ... -> leaf (inclusive), e.g. to build the model context. Empty when
  // the leaf is unknown.
  virtual boost::asio::awaitable<std::vector<Message>> get_branch(std::string user_id,
                                                                  std::string leaf_id) = 0;

  // Inserts the messages into the conversation atomically, in order (a message may have an
  // earlier one of the same call as parent). Fills id, conversation_id and timestamps where
  // empty/0, sets the conversation's current_leaf_id to the last message and bumps its
  // updated_at. Returns the stored messages. Errors: Errc::not_found (conversation),
  // Errc::invalid_parent.
  virtual boost::asio::awaitable<Result<std::vector<Message>>> insert_messages(
      std::string user_id, std::string conversation_id, std::vector<Message> messages) = 0;

  // Fire-and-forget snapshot of a streaming message's content. Queued to the writer; many
  // snapshots are written in one transaction, and a newer snapshot of a message replaces a
  // queued older one. Ignored once the message is no longer streaming. Durable after the
  // next flush(), or by itself within about progress_interval (plus the time to write the
  // snapshots queued before it). Other awaited writes do not wait for queued snapshots.
  virtual void save_progress(std::string message_id, std::string content,
                             std::int64_t delta_seq = 0) = 0;

  // Writes the final state of a streaming message (and drops its queued snapshots).
  // Durable when it returns. false when the message is unknown or already final: the first
  // final state wins. Throws std::invalid_argument for status streaming.
  virtual boost::asio::awaitable<bool> finish_message(MessageFinal final_state) = 0;

  // Start-up recovery: every streaming message becomes interrupted (content kept).
  // Returns how many.
  virtual boost::asio::awaitable<int> mark_interrupted_streaming() = 0;

  // True when the database answers a trivial query (readiness probe). Never throws.
  virtual boost::asio::awaitable<bool> ping() = 0;

  // Waits until everything queued before the call (including save_progress) is committed.
  virtual boost::asio::awaitable<void> flush() = 0;

  // A consistent-enough snapshot of counters (each counter is read atomically).
  virtual StoreStats stats() const = 0;
};

// Opens (creating when missing and migrating to the current schema) the store the URL names.
// Throws StoreFailure with a readable message when it cannot (bad path, not a database,
// schema newer than this binary, unsupported URL scheme).
std::unique_ptr<Store> open_store(const StoreConfig& config);

}  // namespace chatstream::store

template <>
struct std::is_error_code_enum<chatstream::store::Errc> : std::true_type {};
