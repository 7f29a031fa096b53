-- Partners (hospitals) and OAuth clients. Times are unix seconds.
CREATE TABLE partners (
    code TEXT NOT NULL PRIMARY KEY CHECK (length(code) BETWEEN 1 AND 32),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at BIGINT NOT NULL
);

CREATE TABLE clients (
    client_id TEXT NOT NULL PRIMARY KEY CHECK (length(client_id) BETWEEN 1 AND 64),
    name TEXT CHECK (name IS NULL OR length(name) BETWEEN 1 AND 200),
    partner_code TEXT REFERENCES partners (code),
    -- Registered scopes, space-separated in canonical order.
    scopes TEXT NOT NULL,
    is_public BOOLEAN NOT NULL DEFAULT 0,
    -- Registered redirect URIs, one per line.
    redirect_uris TEXT NOT NULL DEFAULT '',
    disabled BOOLEAN NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE INDEX clients_partner_code ON clients (partner_code);

-- Secrets as HMAC-SHA256 under the server key; several rows per client
-- while a secret is being rotated.
CREATE TABLE client_secrets (
    secret_id BLOB NOT NULL PRIMARY KEY CHECK (length(secret_id) = 16),
    client_id TEXT NOT NULL REFERENCES clients (client_id) ON DELETE CASCADE,
    secret_hash BLOB NOT NULL CHECK (length(secret_hash) = 32),
    created_at BIGINT NOT NULL,
    expires_at BIGINT
);

CREATE INDEX client_secrets_client_id ON client_secrets (client_id);
