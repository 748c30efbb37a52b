// Every SQL statement of the PostgreSQL backend. Plain blocking functions over a Connection:
// the reads run on the reader pool, the writes on the writer thread inside its batch
// transaction (see writer.hpp). `now` is the store clock in epoch milliseconds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/migrations.hpp"
#include "store/postgres/connection.hpp"
#include "store/store.hpp"

namespace chatstream::store::postgres::repo {

// Applies the migrations newer than the database's version, each in its own transaction,
// holding a session advisory lock so that instances starting together take turns (the
// lock is per schema: tests use one schema each). Throws StoreFailure when the database is
// newer than the newest migration.
void migrate(Connection& conn, std::span<const Migration> migrations, std::int64_t now);

// ---- reads ----
std::optional<Conversation> find_conversation(Connection& conn, const std::string& user_id,
                                              const std::string& id);
ConversationPage list_conversations(Connection& conn, const ListConversations& q);
std::vector<Message> list_messages(Connection& conn, const std::string& user_id,
                                   const std::string& conversation_id);
std::optional<Message> find_message(Connection& conn, const std::string& user_id,
                                    const std::string& id);
std::vector<Message> branch(Connection& conn, const std::string& user_id,
                            const std::string& leaf_id);
bool ping(Connection& conn);

// ---- writes ----
Conversation insert_conversation(Connection& conn, const NewConversation& c, std::int64_t now);
Result<Conversation> update_conversation(Connection& conn, const std::string& user_id,
                                         const std::string& id, const ConversationPatch& patch,
                                         std::int64_t now);
bool delete_conversation(Connection& conn, const std::string& user_id, const std::string& id);
Result<std::vector<Message>> insert_messages(Connection& conn, const std::string& user_id,
                                             const std::string& conversation_id,
                                             std::vector<Message> messages, std::int64_t now);
void write_progress(Connection& conn, const std::string& id, const std::string& content,
                    std::int64_t delta_seq, std::int64_t now);
bool finish_message(Connection& conn, const MessageFinal& f, std::int64_t now);
int mark_interrupted(Connection& conn, std::int64_t now);

}  // namespace chatstream::store::postgres::repo
