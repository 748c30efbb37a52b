-- Conversations and their messages. Times are milliseconds since the Unix epoch (UTC).
-- Ids are 26-character time-ordered random strings (ULID layout).

CREATE TABLE conversations (
  id              TEXT    NOT NULL PRIMARY KEY,
  user_id         TEXT    NOT NULL DEFAULT 'local',
  title           TEXT    NOT NULL DEFAULT '',
  model           TEXT    NOT NULL DEFAULT '',
  system_prompt   TEXT    NOT NULL DEFAULT '',
  current_leaf_id TEXT    REFERENCES messages (id) ON DELETE SET NULL,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);

-- The sidebar list: one user's conversations, newest updated first (keyset pagination).
CREATE INDEX conversations_by_user_updated
  ON conversations (user_id, updated_at DESC, id DESC);

CREATE TABLE messages (
  id                TEXT    NOT NULL PRIMARY KEY,
  conversation_id   TEXT    NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  parent_id         TEXT    REFERENCES messages (id) ON DELETE CASCADE,
  role              TEXT    NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
  content           TEXT    NOT NULL DEFAULT '',
  status            TEXT    NOT NULL
                    CHECK (status IN ('streaming', 'complete', 'cancelled', 'error', 'interrupted')),
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

-- A conversation's messages in insertion order.
CREATE INDEX messages_by_conversation ON messages (conversation_id, created_at);
-- Children of a message (siblings, and the cascade of parent_id).
CREATE INDEX messages_by_parent ON messages (parent_id);
-- Start-up recovery finds streaming messages without scanning the table.
CREATE INDEX messages_streaming ON messages (status) WHERE status = 'streaming';
