-- Who may hold a scope that reaches patient data, failed authentications
-- counted in the database so every replica sees them, an absolute lifetime
-- for refresh-token families, and whether an authorization request named
-- its redirect URI. Times are unix seconds.

-- A user-facing grant carries idmap:read or idmap:admin only for a user an
-- operator entitled, directly or through a group the user belongs to.
CREATE TABLE entitlements (
    id VARCHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
    user_id VARCHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    group_id VARCHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    scope VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE INDEX entitlements_user_scope (user_id, scope),
    UNIQUE INDEX entitlements_group_scope (group_id, scope),
    CONSTRAINT entitlements_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT entitlements_group_fk FOREIGN KEY (group_id)
        REFERENCES user_groups (id) ON DELETE CASCADE,
    CONSTRAINT entitlements_one_holder CHECK ((user_id IS NULL) <> (group_id IS NULL))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- One row per bucket, counting failures since window_start (the first
-- failure of the window); a bucket is the SHA-256 of what is counted (a
-- client or account with an address, a client or account, an address), so
-- addresses and e-mail addresses are not stored in clear.
CREATE TABLE auth_failures (
    bucket BINARY(32) NOT NULL,
    window_start BIGINT NOT NULL,
    failures BIGINT NOT NULL,
    PRIMARY KEY (bucket),
    INDEX auth_failures_window_start (window_start)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Rotation copies the family's end to every successor; existing families
-- end when their current token does. (user_id is indexed by its foreign key.)
ALTER TABLE refresh_tokens ADD COLUMN family_expires_at BIGINT NOT NULL DEFAULT 0;
UPDATE refresh_tokens SET family_expires_at = expires_at;

ALTER TABLE authorization_codes ADD COLUMN redirect_uri_given BOOLEAN NOT NULL DEFAULT FALSE;
