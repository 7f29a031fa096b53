-- Linkage core: UUIDs, hash bindings, partner refs, conflicts, rule codes.
-- Hashes are 32 raw bytes, UUIDs 16 raw bytes, times unix seconds.

CREATE TABLE rules (
    code        TEXT PRIMARY KEY NOT NULL CHECK (length(code) BETWEEN 1 AND 32),
    description TEXT NOT NULL DEFAULT '',
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
    uuid        BLOB PRIMARY KEY NOT NULL CHECK (length(uuid) = 16),
    created_at  BIGINT NOT NULL,
    -- Set when an admin merged this UUID into another; readers answer the survivor.
    merged_into BLOB NULL REFERENCES uuids (uuid) CHECK (merged_into IS NULL OR length(merged_into) = 16)
) WITHOUT ROWID;

CREATE INDEX uuids_merged_into ON uuids (merged_into) WHERE merged_into IS NOT NULL;

CREATE TABLE bindings (
    hash       BLOB PRIMARY KEY NOT NULL CHECK (length(hash) = 32),
    uuid       BLOB NOT NULL REFERENCES uuids (uuid),
    rule       TEXT NULL REFERENCES rules (code),
    partner    TEXT NOT NULL,
    ambiguous  BOOLEAN NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
) WITHOUT ROWID;

CREATE INDEX bindings_uuid ON bindings (uuid);

CREATE TABLE patient_refs (
    partner     TEXT NOT NULL,
    patient_ref TEXT NOT NULL,
    uuid        BLOB NOT NULL REFERENCES uuids (uuid),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (partner, patient_ref)
) WITHOUT ROWID;

CREATE INDEX patient_refs_partner_uuid ON patient_refs (partner, uuid);

CREATE TABLE conflicts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    -- sha256 over partner, ref and the sorted candidates: a retry records nothing new.
    dedupe_key  BLOB NOT NULL UNIQUE CHECK (length(dedupe_key) = 32),
    partner     TEXT NOT NULL,
    patient_ref TEXT NULL,
    -- The UUID the patient was answered with.
    uuid        BLOB NOT NULL,
    -- Sorted candidate UUIDs, 16 bytes each.
    candidates  BLOB NOT NULL CHECK (length(candidates) % 16 = 0 AND length(candidates) >= 32),
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    created_at  BIGINT NOT NULL,
    resolved_at BIGINT NULL
);

CREATE INDEX conflicts_status ON conflicts (status, id);
