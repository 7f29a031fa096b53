-- End users, authorization codes, refresh-token families and revoked
-- access-token ids. Times are unix seconds; token columns hold SHA-256
-- hashes, never the tokens themselves.
CREATE TABLE users (
    id TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36),
    email TEXT NOT NULL UNIQUE CHECK (length(email) BETWEEN 3 AND 254),
    -- argon2id PHC string.
    password_hash TEXT NOT NULL,
    email_verified BOOLEAN NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    disabled BOOLEAN NOT NULL DEFAULT 0
);

CREATE TABLE authorization_codes (
    code_hash BLOB NOT NULL PRIMARY KEY CHECK (length(code_hash) = 32),
    client_id TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri TEXT NOT NULL,
    scopes TEXT NOT NULL,
    resource TEXT,
    code_challenge TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    -- Set by the one redemption that wins; a second one finds it set.
    used_at BIGINT,
    -- What the redemption issued, so that a replay can revoke it.
    family_id TEXT,
    access_jti TEXT,
    access_expires_at BIGINT
);

CREATE INDEX authorization_codes_expires_at ON authorization_codes (expires_at);

CREATE TABLE refresh_tokens (
    token_hash BLOB NOT NULL PRIMARY KEY CHECK (length(token_hash) = 32),
    family_id TEXT NOT NULL CHECK (length(family_id) = 36),
    client_id TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    scopes TEXT NOT NULL,
    resource TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    revoked BOOLEAN NOT NULL DEFAULT 0,
    -- The access token issued together with this refresh token.
    access_jti TEXT NOT NULL,
    access_expires_at BIGINT NOT NULL
);

CREATE INDEX refresh_tokens_family_id ON refresh_tokens (family_id);

CREATE TABLE revoked_tokens (
    jti TEXT NOT NULL PRIMARY KEY CHECK (length(jti) BETWEEN 1 AND 64),
    expires_at BIGINT NOT NULL
);

CREATE INDEX revoked_tokens_expires_at ON revoked_tokens (expires_at);
