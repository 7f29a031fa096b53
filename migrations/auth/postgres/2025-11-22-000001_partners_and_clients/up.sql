-- Partners (hospitals) and OAuth clients. Times are unix seconds.
CREATE TABLE partners (
    code VARCHAR(32) NOT NULL PRIMARY KEY,
    name VARCHAR(200) NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE clients (
    client_id VARCHAR(64) NOT NULL PRIMARY KEY,
    name VARCHAR(200),
    partner_code VARCHAR(32) REFERENCES partners (code),
    -- Registered scopes, space-separated in canonical order.
    scopes TEXT NOT NULL,
    is_public BOOLEAN NOT NULL DEFAULT FALSE,
    -- Registered redirect URIs, one per line.
    redirect_uris TEXT NOT NULL DEFAULT '',
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);

CREATE INDEX clients_partner_code ON clients (partner_code);

-- Secrets as HMAC-SHA256 under the server key; several rows per client
-- while a secret is being rotated.
CREATE TABLE client_secrets (
    secret_id BYTEA NOT NULL PRIMARY KEY CHECK (octet_length(secret_id) = 16),
    client_id VARCHAR(64) NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    secret_hash BYTEA NOT NULL CHECK (octet_length(secret_hash) = 32),
    created_at BIGINT NOT NULL,
    expires_at BIGINT
);

CREATE INDEX client_secrets_client_id ON client_secrets (client_id);
