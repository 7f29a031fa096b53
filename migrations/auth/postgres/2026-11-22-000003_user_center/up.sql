-- The user center: a per-user session generation (bumped at logout and
-- password reset, so copied session cookies die), single-use e-mail links
-- (stored as SHA-256), remembered consents, the owner of a self-registered
-- client, and groups of partner staff with a role. Times are unix seconds.
ALTER TABLE users ADD COLUMN session_generation BIGINT NOT NULL DEFAULT 0;

ALTER TABLE clients ADD COLUMN owner_user_id VARCHAR(36) REFERENCES users (id) ON DELETE CASCADE;
CREATE INDEX clients_owner_user_id ON clients (owner_user_id);

CREATE TABLE email_tokens (
    token_hash BYTEA NOT NULL PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    user_id VARCHAR(36) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose VARCHAR(16) NOT NULL CHECK (purpose IN ('verify', 'reset')),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX email_tokens_user_id ON email_tokens (user_id);

CREATE TABLE consents (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    user_id VARCHAR(36) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id VARCHAR(64) NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    scopes VARCHAR(255) NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (user_id, client_id, scopes)
);

-- `groups` is a reserved word in MySQL 8, hence `user_groups` everywhere.
CREATE TABLE user_groups (
    id VARCHAR(36) NOT NULL PRIMARY KEY,
    partner_code VARCHAR(32) NOT NULL UNIQUE REFERENCES partners (code),
    name VARCHAR(200) NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE group_members (
    user_id VARCHAR(36) NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_id VARCHAR(36) NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    role VARCHAR(16) NOT NULL CHECK (role IN ('member', 'partner_admin')),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, group_id)
);
