-- Linkage core: UUIDs, hash bindings, partner refs, conflicts, rule codes.
-- Hashes are 32 raw bytes, UUIDs 16 raw bytes, times unix seconds.

CREATE TABLE rules (
    code        VARCHAR(32) PRIMARY KEY,
    description VARCHAR(255) NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);

INSERT INTO rules (code, description, created_at) VALUES
    ('F_L_D_S', 'first + last + dob + sex', 0),
    ('F_L_D_R', 'last + first + dob + race', 0),
    ('F_L_D_Z', 'first + last + dob + zip', 0),
    ('L_F_D_Z', 'last + first + dob + zip', 0),
    ('F_L_D_C', 'first + last + dob + city', 0),
    ('L_F_D_C', 'last + first + dob + city', 0);

CREATE TABLE uuids (
    uuid        BYTEA PRIMARY KEY CHECK (octet_length(uuid) = 16),
    created_at  BIGINT NOT NULL,
    -- Set when an admin merged this UUID into another; readers answer the survivor.
    merged_into BYTEA NULL REFERENCES uuids (uuid)
);

CREATE INDEX uuids_merged_into ON uuids (merged_into) WHERE merged_into IS NOT NULL;

CREATE TABLE bindings (
    hash       BYTEA PRIMARY KEY CHECK (octet_length(hash) = 32),
    uuid       BYTEA NOT NULL REFERENCES uuids (uuid),
    rule       VARCHAR(32) NULL REFERENCES rules (code),
    partner    VARCHAR(32) NOT NULL,
    ambiguous  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);

CREATE INDEX bindings_uuid ON bindings (uuid);

CREATE TABLE patient_refs (
    partner     VARCHAR(32) NOT NULL,
    patient_ref VARCHAR(128) NOT NULL,
    uuid        BYTEA NOT NULL REFERENCES uuids (uuid),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (partner, patient_ref)
);

CREATE INDEX patient_refs_partner_uuid ON patient_refs (partner, uuid);

CREATE TABLE conflicts (
    id          BIGSERIAL PRIMARY KEY,
    -- sha256 over partner, ref and the sorted candidates: a retry records nothing new.
    dedupe_key  BYTEA NOT NULL UNIQUE CHECK (octet_length(dedupe_key) = 32),
    partner     VARCHAR(32) NOT NULL,
    patient_ref VARCHAR(128) NULL,
    -- The UUID the patient was answered with.
    uuid        BYTEA NOT NULL,
    -- Sorted candidate UUIDs, 16 bytes each.
    candidates  BYTEA NOT NULL CHECK (octet_length(candidates) % 16 = 0 AND octet_length(candidates) >= 32),
    status      VARCHAR(16) NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    created_at  BIGINT NOT NULL,
    resolved_at BIGINT NULL
);

CREATE INDEX conflicts_status ON conflicts (status, id);
