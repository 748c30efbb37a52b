-- Accounts (multi-user mode): users, login sessions, per-user API tokens and daily usage.
-- Secrets are never stored: sessions and tokens are keyed by a hash of the secret, passwords
-- are argon2id hash strings. Conversations keep their plain user_id (no foreign key): the
-- single-user mode's user "local" has no row here.

CREATE TABLE users (
  id                  TEXT    NOT NULL PRIMARY KEY,
  -- Unique compared case-insensitively (ASCII): NOCASE is SQLite's ASCII case folding.
  username            TEXT    NOT NULL COLLATE NOCASE,
  role                TEXT    NOT NULL CHECK (role IN ('admin', 'user')),
  password_hash       TEXT    NOT NULL DEFAULT '',
  disabled            INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  -- Per-user overrides of the configured limits; NULL: the default applies, 0: unlimited.
  max_concurrent      INTEGER,
  requests_per_minute INTEGER,
  tokens_per_day      INTEGER,
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL
);

CREATE UNIQUE INDEX users_by_username ON users (username COLLATE NOCASE);

CREATE TABLE sessions (
  id_hash        TEXT    NOT NULL PRIMARY KEY,
  user_id        TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at     INTEGER NOT NULL,
  last_seen_at   INTEGER NOT NULL,
  expires_at     INTEGER NOT NULL,
  user_agent     TEXT    NOT NULL DEFAULT '',
  remote_address TEXT    NOT NULL DEFAULT ''
);

-- "Your sessions" lists and ending every session of a user.
CREATE INDEX sessions_by_user ON sessions (user_id);
-- Expiry sweeps (absolute and idle).
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
CREATE INDEX sessions_by_last_seen ON sessions (last_seen_at);

CREATE TABLE api_tokens (
  id           TEXT    NOT NULL PRIMARY KEY,
  user_id      TEXT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name         TEXT    NOT NULL DEFAULT '',
  prefix       TEXT    NOT NULL DEFAULT '',
  token_hash   TEXT    NOT NULL UNIQUE,
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER
);

CREATE INDEX api_tokens_by_user ON api_tokens (user_id, created_at, id);

-- Counters per user and UTC day ("YYYY-MM-DD"); no foreign key, so that the single-user
-- mode's "local" can be counted too.
CREATE TABLE usage_daily (
  user_id  TEXT    NOT NULL,
  day      TEXT    NOT NULL,
  tokens   INTEGER NOT NULL DEFAULT 0,
  requests INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, day)
) WITHOUT ROWID;

-- Reports over a range of days, every user.
CREATE INDEX usage_daily_by_day ON usage_daily (day, user_id);
