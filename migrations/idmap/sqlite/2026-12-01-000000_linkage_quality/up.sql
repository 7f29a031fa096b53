-- Linkage quality: rule priorities and Fellegi-Sunter weights, who made a
-- hash ambiguous and why, within-partner possible duplicates and refs
-- declared distinct, the refs under which a partner sent an already held
-- hash (the too-many-refs guard), and agreement patterns for EM.

ALTER TABLE rules ADD COLUMN priority INTEGER NOT NULL DEFAULT 1000;
ALTER TABLE rules ADD COLUMN m DOUBLE NULL;
ALTER TABLE rules ADD COLUMN u DOUBLE NULL;

UPDATE rules SET priority = 10 WHERE code = 'F_L_D_S';
UPDATE rules SET priority = 20 WHERE code = 'F_L_D_R';
UPDATE rules SET priority = 30 WHERE code = 'F_L_D_Z';
UPDATE rules SET priority = 40 WHERE code = 'L_F_D_Z';
UPDATE rules SET priority = 50 WHERE code = 'F_L_D_C';
UPDATE rules SET priority = 60 WHERE code = 'L_F_D_C';

-- One row per ambiguous hash: the partner whose submission made it so.
CREATE TABLE ambiguous_hashes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    hash       BLOB NOT NULL UNIQUE CHECK (length(hash) = 32),
    partner    TEXT NOT NULL,
    reason     TEXT NOT NULL CHECK (reason IN ('refs', 'distinct', 'too_many_refs')),
    refs       BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE INDEX ambiguous_hashes_partner ON ambiguous_hashes (partner);

-- Hashes made ambiguous before causes were recorded: the binding partner
-- is the best that is known.
INSERT INTO ambiguous_hashes (hash, partner, reason, refs, created_at)
    SELECT hash, partner, 'refs', 2, created_at FROM bindings WHERE ambiguous;

CREATE TABLE duplicates (
    id          INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    partner     TEXT NOT NULL,
    -- The two refs in byte order.
    ref_a       TEXT NOT NULL,
    ref_b       TEXT NOT NULL,
    -- Comma-separated rule codes of the hashes that tied them.
    rules       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    -- Set when the partner declared the two refs distinct.
    distinct_at BIGINT NULL,
    UNIQUE (partner, ref_a, ref_b)
);

CREATE TABLE distinct_refs (
    partner    TEXT NOT NULL,
    ref_a      TEXT NOT NULL,
    ref_b      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (partner, ref_a, ref_b)
) WITHOUT ROWID;

CREATE INDEX distinct_refs_b ON distinct_refs (partner, ref_b);

CREATE TABLE shared_hashes (
    hash        BLOB NOT NULL CHECK (length(hash) = 32),
    partner     TEXT NOT NULL,
    patient_ref TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (hash, partner, patient_ref)
) WITHOUT ROWID;

CREATE TABLE agreement_patterns (
    -- sha256 of `pattern`.
    pattern_key BLOB PRIMARY KEY NOT NULL CHECK (length(pattern_key) = 32),
    -- Rule codes in byte order, each followed by + (agrees) or - (disagrees).
    pattern     TEXT NOT NULL,
    comparisons BIGINT NOT NULL
) WITHOUT ROWID;
