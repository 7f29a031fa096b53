-- Linkage quality: rule priorities and Fellegi-Sunter weights, who made a
-- hash ambiguous and why, within-partner possible duplicates and refs
-- declared distinct, the refs under which a partner sent an already held
-- hash (the too-many-refs guard), and agreement patterns for EM.

ALTER TABLE rules
    ADD COLUMN priority INTEGER NOT NULL DEFAULT 1000,
    ADD COLUMN m DOUBLE NULL,
    ADD COLUMN u DOUBLE NULL;

UPDATE rules SET priority = 10 WHERE code = 'F_L_D_S';
UPDATE rules SET priority = 20 WHERE code = 'F_L_D_R';
UPDATE rules SET priority = 30 WHERE code = 'F_L_D_Z';
UPDATE rules SET priority = 40 WHERE code = 'L_F_D_Z';
UPDATE rules SET priority = 50 WHERE code = 'F_L_D_C';
UPDATE rules SET priority = 60 WHERE code = 'L_F_D_C';

-- One row per ambiguous hash: the partner whose submission made it so.
CREATE TABLE ambiguous_hashes (
    id         BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    hash       BINARY(32) NOT NULL,
    partner    VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    reason     VARCHAR(16) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    refs       BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE KEY ambiguous_hashes_hash (hash),
    INDEX ambiguous_hashes_partner (partner),
    CHECK (reason IN ('refs', 'distinct', 'too_many_refs'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Hashes made ambiguous before causes were recorded: the binding partner
-- is the best that is known.
INSERT INTO ambiguous_hashes (hash, partner, reason, refs, created_at)
    SELECT hash, partner, 'refs', 2, created_at FROM bindings WHERE ambiguous;

CREATE TABLE duplicates (
    id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    partner     VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    -- The two refs in byte order.
    ref_a       VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    ref_b       VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    -- Comma-separated rule codes of the hashes that tied them.
    rules       TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    created_at  BIGINT NOT NULL,
    -- Set when the partner declared the two refs distinct.
    distinct_at BIGINT NULL,
    UNIQUE KEY duplicates_pair (partner, ref_a, ref_b)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE distinct_refs (
    partner    VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    ref_a      VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    ref_b      VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (partner, ref_a, ref_b),
    INDEX distinct_refs_b (partner, ref_b)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE shared_hashes (
    hash        BINARY(32) NOT NULL,
    partner     VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    patient_ref VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (hash, partner, patient_ref)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE agreement_patterns (
    -- sha256 of `pattern`.
    pattern_key BINARY(32) NOT NULL PRIMARY KEY,
    -- Rule codes in byte order, each followed by + (agrees) or - (disagrees).
    pattern     TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    comparisons BIGINT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
