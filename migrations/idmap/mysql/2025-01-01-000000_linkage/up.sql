-- Linkage core: UUIDs, hash bindings, partner refs, conflicts, rule codes.
-- Hashes are 32 raw bytes, UUIDs 16 raw bytes, times unix seconds.
-- Text keys use utf8mb4_bin: refs and codes compare exactly, never case- or accent-folded.

CREATE TABLE rules (
    code        VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
    description VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

INSERT INTO rules (code, description, created_at) VALUES
    ('F_L_D_S', 'first + last + dob + sex', 0),
    ('F_L_D_R', 'last + first + dob + race', 0),
    ('F_L_D_Z', 'first + last + dob + zip', 0),
    ('L_F_D_Z', 'last + first + dob + zip', 0),
    ('F_L_D_C', 'first + last + dob + city', 0),
    ('L_F_D_C', 'last + first + dob + city', 0);

CREATE TABLE uuids (
    uuid        BINARY(16) NOT NULL PRIMARY KEY,
    created_at  BIGINT NOT NULL,
    -- Set when an admin merged this UUID into another; readers answer the survivor.
    merged_into BINARY(16) NULL,
    INDEX uuids_merged_into (merged_into),
    CONSTRAINT uuids_merged_into_fk FOREIGN KEY (merged_into) REFERENCES uuids (uuid)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE bindings (
    hash       BINARY(32) NOT NULL PRIMARY KEY,
    uuid       BINARY(16) NOT NULL,
    rule       VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    partner    VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    ambiguous  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    INDEX bindings_uuid (uuid),
    CONSTRAINT bindings_uuid_fk FOREIGN KEY (uuid) REFERENCES uuids (uuid),
    CONSTRAINT bindings_rule_fk FOREIGN KEY (rule) REFERENCES rules (code)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE patient_refs (
    partner     VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    patient_ref VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    uuid        BINARY(16) NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (partner, patient_ref),
    INDEX patient_refs_partner_uuid (partner, uuid),
    CONSTRAINT patient_refs_uuid_fk FOREIGN KEY (uuid) REFERENCES uuids (uuid)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

CREATE TABLE conflicts (
    id          BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    -- sha256 over partner, ref and the sorted candidates: a retry records nothing new.
    dedupe_key  BINARY(32) NOT NULL,
    partner     VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    patient_ref VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    -- The UUID the patient was answered with.
    uuid        BINARY(16) NOT NULL,
    -- Sorted candidate UUIDs, 16 bytes each.
    candidates  MEDIUMBLOB NOT NULL,
    status      VARCHAR(16) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL DEFAULT 'open',
    created_at  BIGINT NOT NULL,
    resolved_at BIGINT NULL,
    UNIQUE KEY conflicts_dedupe_key (dedupe_key),
    INDEX conflicts_status (status, id),
    CONSTRAINT conflicts_status_check CHECK (status IN ('open', 'resolved'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
