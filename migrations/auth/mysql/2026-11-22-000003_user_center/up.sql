-- The user center: a per-user session generation (bumped at logout and
-- password reset, so copied session cookies die), single-use e-mail links
-- (stored as SHA-256), remembered consents, the owner of a self-registered
-- client, and groups of partner staff with a role. Times are unix seconds.
ALTER TABLE users ADD COLUMN session_generation BIGINT NOT NULL DEFAULT 0;

ALTER TABLE clients ADD COLUMN owner_user_id VARCHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL;
CREATE INDEX clients_owner_user_id ON clients (owner_user_id);
ALTER TABLE clients ADD CONSTRAINT clients_owner_fk FOREIGN KEY (owner_user_id)
    REFERENCES users (id) ON DELETE CASCADE;

CREATE TABLE email_tokens (
    token_hash BINARY(32) NOT NULL PRIMARY KEY,
    user_id VARCHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    purpose VARCHAR(16) NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    INDEX email_tokens_user_id (user_id),
    CONSTRAINT email_tokens_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT email_tokens_purpose CHECK (purpose IN ('verify', 'reset'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE consents (
    id VARCHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
    user_id VARCHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    client_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    scopes VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE INDEX consents_user_client_scopes (user_id, client_id, scopes),
    CONSTRAINT consents_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT consents_client_fk FOREIGN KEY (client_id)
        REFERENCES clients (client_id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- `groups` is a reserved word in MySQL 8, hence `user_groups` everywhere.
CREATE TABLE user_groups (
    id VARCHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
    partner_code VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    name VARCHAR(200) NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE INDEX user_groups_partner_code (partner_code),
    CONSTRAINT user_groups_partner_fk FOREIGN KEY (partner_code) REFERENCES partners (code)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE group_members (
    user_id VARCHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    group_id VARCHAR(36) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    role VARCHAR(16) NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, group_id),
    INDEX group_members_group_id (group_id),
    CONSTRAINT group_members_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT group_members_group_fk FOREIGN KEY (group_id)
        REFERENCES user_groups (id) ON DELETE CASCADE,
    CONSTRAINT group_members_role CHECK (role IN ('member', 'partner_admin'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
