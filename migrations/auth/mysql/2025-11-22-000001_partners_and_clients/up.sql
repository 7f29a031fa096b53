-- Partners (hospitals) and OAuth clients. Times are unix seconds.
-- Identifiers compare byte-wise (utf8mb4_bin): client ids are case-sensitive.
CREATE TABLE partners (
    code VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
    name VARCHAR(200) NOT NULL,
    created_at BIGINT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE clients (
    client_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
    name VARCHAR(200),
    partner_code VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    -- Registered scopes, space-separated in canonical order.
    scopes TEXT NOT NULL,
    is_public BOOLEAN NOT NULL DEFAULT FALSE,
    -- Registered redirect URIs, one per line.
    redirect_uris TEXT NOT NULL,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    INDEX clients_partner_code (partner_code),
    CONSTRAINT clients_partner_fk FOREIGN KEY (partner_code) REFERENCES partners (code)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Secrets as HMAC-SHA256 under the server key; several rows per client
-- while a secret is being rotated.
CREATE TABLE client_secrets (
    secret_id BINARY(16) NOT NULL PRIMARY KEY,
    client_id VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    secret_hash BINARY(32) NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    INDEX client_secrets_client_id (client_id),
    CONSTRAINT client_secrets_client_fk FOREIGN KEY (client_id)
        REFERENCES clients (client_id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
