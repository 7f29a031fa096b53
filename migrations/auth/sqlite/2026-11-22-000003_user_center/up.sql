-- The user center: a per-user session generation (bumped at logout and
-- password reset, so copied session cookies die), single-use e-mail links
-- (stored as SHA-256), remembered consents, the owner of a self-registered
-- client, and groups of partner staff with a role. Times are unix seconds.
ALTER TABLE users ADD COLUMN session_generation BIGINT NOT NULL DEFAULT 0;

ALTER TABLE clients ADD COLUMN owner_user_id TEXT REFERENCES users (id) ON DELETE CASCADE;
CREATE INDEX clients_owner_user_id ON clients (owner_user_id);

CREATE TABLE email_tokens (
    token_hash BLOB NOT NULL PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- 'verify' or 'reset'.
    purpose TEXT NOT NULL CHECK (purpose IN ('verify', 'reset')),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX email_tokens_user_id ON email_tokens (user_id);

CREATE TABLE consents (
    id TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36),
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    -- Approved scopes, space-separated in canonical order.
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (user_id, client_id, scopes)
);

-- `groups` is a reserved word in MySQL 8, hence `user_groups`.
CREATE TABLE user_groups (
    id TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36),
    partner_code TEXT NOT NULL REFERENCES partners (code),
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (partner_code)
);

CREATE TABLE group_members (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_id TEXT NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    -- 'member' or 'partner_admin'.
    role TEXT NOT NULL CHECK (role IN ('member', 'partner_admin')),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, group_id)
);
