-- Who may hold a scope that reaches patient data, failed authentications
-- counted in the database so every replica sees them, an absolute lifetime
-- for refresh-token families, and whether an authorization request named
-- its redirect URI. Times are unix seconds.

-- A user-facing grant carries idmap:read or idmap:admin only for a user an
-- operator entitled, directly or through a group the user belongs to.
CREATE TABLE entitlements (
    id TEXT NOT NULL PRIMARY KEY CHECK (length(id) = 36),
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    group_id TEXT REFERENCES user_groups (id) ON DELETE CASCADE,
    scope TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CHECK ((user_id IS NULL) <> (group_id IS NULL)),
    UNIQUE (user_id, scope),
    UNIQUE (group_id, scope)
);

-- One row per bucket, counting failures since window_start (the first
-- failure of the window); a bucket is the SHA-256 of what is counted (a
-- client or account with an address, a client or account, an address), so
-- addresses and e-mail addresses are not stored in clear.
CREATE TABLE auth_failures (
    bucket BLOB NOT NULL CHECK (length(bucket) = 32),
    window_start BIGINT NOT NULL,
    failures BIGINT NOT NULL,
    PRIMARY KEY (bucket)
);
CREATE INDEX auth_failures_window_start ON auth_failures (window_start);

-- Rotation copies the family's end to every successor; existing families
-- end when their current token does.
ALTER TABLE refresh_tokens ADD COLUMN family_expires_at BIGINT NOT NULL DEFAULT 0;
UPDATE refresh_tokens SET family_expires_at = expires_at;
CREATE INDEX refresh_tokens_user_id ON refresh_tokens (user_id);

ALTER TABLE authorization_codes ADD COLUMN redirect_uri_given BOOLEAN NOT NULL DEFAULT 0;
