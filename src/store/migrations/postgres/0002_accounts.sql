-- Accounts (multi-user mode): users, login sessions, per-user API tokens and daily usage
-- (the same schema as migrations/sqlite/0002_accounts.sql). Secrets are never stored:
-- sessions and tokens are keyed by a hash of the secret, passwords are argon2id hash
-- strings. Conversations keep their plain user_id (no foreign key): the single-user mode's
-- user "local" has no row here.

CREATE TABLE users (
  id                  TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  username            TEXT    NOT NULL,
  role                TEXT    NOT NULL CHECK (role IN ('admin', 'user')),
  password_hash       TEXT    NOT NULL DEFAULT '',
  disabled            BOOLEAN NOT NULL DEFAULT FALSE,
  -- Per-user overrides of the configured limits; NULL: the default applies, 0: unlimited.
  max_concurrent      BIGINT,
  requests_per_minute BIGINT,
  tokens_per_day      BIGINT,
  created_at          BIGINT  NOT NULL,
  updated_at          BIGINT  NOT NULL
);

-- Unique compared case-insensitively (ASCII only, whatever the database locale, as
-- SQLite's NOCASE).
CREATE UNIQUE INDEX users_by_username
  ON users ((translate(username, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')));

CREATE TABLE sessions (
  id_hash        TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  user_id        TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at     BIGINT NOT NULL,
  last_seen_at   BIGINT NOT NULL,
  expires_at     BIGINT NOT NULL,
  user_agent     TEXT   NOT NULL DEFAULT '',
  remote_address TEXT   NOT NULL DEFAULT ''
);

-- "Your sessions" lists and ending every session of a user.
CREATE INDEX sessions_by_user ON sessions (user_id);
-- Expiry sweeps (absolute and idle).
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
CREATE INDEX sessions_by_last_seen ON sessions (last_seen_at);

CREATE TABLE api_tokens (
  id           TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  user_id      TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name         TEXT   NOT NULL DEFAULT '',
  prefix       TEXT   NOT NULL DEFAULT '',
  token_hash   TEXT COLLATE "C" NOT NULL UNIQUE,
  created_at   BIGINT NOT NULL,
  last_used_at BIGINT
);

CREATE INDEX api_tokens_by_user ON api_tokens (user_id, created_at, id);

-- Counters per user and UTC day ("YYYY-MM-DD"); no foreign key, so that the single-user
-- mode's "local" can be counted too.
CREATE TABLE usage_daily (
  user_id  TEXT COLLATE "C" NOT NULL,
  day      TEXT COLLATE "C" NOT NULL,
  tokens   BIGINT NOT NULL DEFAULT 0,
  requests BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, day)
);

-- Reports over a range of days, every user.
CREATE INDEX usage_daily_by_day ON usage_daily (day, user_id);
