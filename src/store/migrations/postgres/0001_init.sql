-- Conversations and their messages (the same schema as migrations/sqlite/0001_init.sql).
-- Times are milliseconds since the Unix epoch (UTC). Ids are 26-character time-ordered
-- random strings (ULID layout), compared bytewise (COLLATE "C") so that keyset pagination
-- orders them as the SQLite backend does, whatever the database's locale.

CREATE TABLE conversations (
  id              TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  user_id         TEXT   NOT NULL DEFAULT 'local',
  title           TEXT   NOT NULL DEFAULT '',
  model           TEXT   NOT NULL DEFAULT '',
  system_prompt   TEXT   NOT NULL DEFAULT '',
  current_leaf_id TEXT COLLATE "C",  -- foreign key added below, once messages exists
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL
);

-- The sidebar list: one user's conversations, newest updated first (keyset pagination).
CREATE INDEX conversations_by_user_updated
  ON conversations (user_id, updated_at DESC, id DESC);

CREATE TABLE messages (
  id                TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  -- Insertion order among messages with the same created_at (SQLite's rowid).
  seq               BIGINT GENERATED ALWAYS AS IDENTITY,
  conversation_id   TEXT COLLATE "C" NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  parent_id         TEXT COLLATE "C" REFERENCES messages (id) ON DELETE CASCADE,
  role              TEXT   NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
  content           TEXT   NOT NULL DEFAULT '',
  status            TEXT   NOT NULL
                    CHECK (status IN ('streaming', 'complete', 'cancelled', 'error', 'interrupted')),
  model             TEXT   NOT NULL DEFAULT '',
  provider          TEXT   NOT NULL DEFAULT '',
  finish_reason     TEXT,
  prompt_tokens     BIGINT,
  completion_tokens BIGINT,
  ttft_ms           BIGINT,
  duration_ms       BIGINT,
  error_message     TEXT,
  error_code        TEXT,
  delta_seq         BIGINT NOT NULL DEFAULT 0,
  created_at        BIGINT NOT NULL,
  updated_at        BIGINT NOT NULL
);

ALTER TABLE conversations
  ADD CONSTRAINT conversations_current_leaf_fk
  FOREIGN KEY (current_leaf_id) REFERENCES messages (id) ON DELETE SET NULL;

-- A conversation's messages in insertion order.
CREATE INDEX messages_by_conversation ON messages (conversation_id, created_at, seq);
-- Children of a message (siblings, and the cascade of parent_id).
CREATE INDEX messages_by_parent ON messages (parent_id);
-- Start-up recovery finds streaming messages without scanning the table.
CREATE INDEX messages_streaming ON messages (status) WHERE status = 'streaming';
