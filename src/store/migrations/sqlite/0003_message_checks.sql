-- The messages table's CHECK constraints as chains of comparisons instead of IN lists. SQLite
-- (3.40) builds a temporary b-tree for an IN list of more than two values every time such a
-- CHECK runs, that is on every message insert and every status change; comparisons cost
-- nothing. The rules and the data stay the same.
--
-- SQLite cannot change a constraint in place, so the table is rebuilt the documented way: new
-- table, copy (row ids included: they order messages created in the same millisecond), drop,
-- rename, indexes. The migration runner turns foreign keys off around it, so dropping the old
-- table neither cascades to anything nor clears conversations.current_leaf_id, and checks the
-- foreign keys before committing.

CREATE TABLE messages_rebuilt (
  id                TEXT    NOT NULL PRIMARY KEY,
  conversation_id   TEXT    NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  parent_id         TEXT    REFERENCES messages (id) ON DELETE CASCADE,
  role              TEXT    NOT NULL
                    CHECK (role = 'system' OR role = 'user' OR role = 'assistant'),
  content           TEXT    NOT NULL DEFAULT '',
  status            TEXT    NOT NULL
                    CHECK (status = 'streaming' OR status = 'complete' OR status = 'cancelled'
                           OR status = 'error' OR status = 'interrupted'),
  model             TEXT    NOT NULL DEFAULT '',
  provider          TEXT    NOT NULL DEFAULT '',
  finish_reason     TEXT,
  prompt_tokens     INTEGER,
  completion_tokens INTEGER,
  ttft_ms           INTEGER,
  duration_ms       INTEGER,
  error_message     TEXT,
  error_code        TEXT,
  delta_seq         INTEGER NOT NULL DEFAULT 0,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL
);

INSERT INTO messages_rebuilt (rowid, id, conversation_id, parent_id, role, content, status,
                              model, provider, finish_reason, prompt_tokens, completion_tokens,
                              ttft_ms, duration_ms, error_message, error_code, delta_seq,
                              created_at, updated_at)
  SELECT rowid, id, conversation_id, parent_id, role, content, status, model, provider,
         finish_reason, prompt_tokens, completion_tokens, ttft_ms, duration_ms, error_message,
         error_code, delta_seq, created_at, updated_at
  FROM messages;

DROP TABLE messages;
ALTER TABLE messages_rebuilt RENAME TO messages;

CREATE INDEX messages_by_conversation ON messages (conversation_id, created_at);
CREATE INDEX messages_by_parent ON messages (parent_id);
CREATE INDEX messages_streaming ON messages (status) WHERE status = 'streaming';
