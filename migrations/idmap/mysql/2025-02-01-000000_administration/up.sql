-- Linkage administration: merges of UUIDs, resolution of conflicts, and an
-- append-only audit log of link requests and admin actions.
-- No trigger guards audit_log here (creating one needs SUPER when binary
-- logging is on); the service only inserts, and operators may REVOKE
-- UPDATE, DELETE on it (docs/storage.md).

CREATE TABLE merges (
    id             BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    -- A UUID is merged at most once: the key makes a repeated merge fail.
    from_uuid      BINARY(16) NOT NULL,
    -- The surviving UUID (the target after following earlier merges).
    into_uuid      BINARY(16) NOT NULL,
    -- The UUID the admin named, when it was itself merged already.
    requested_into BINARY(16) NOT NULL,
    merged_by      VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    request_id     VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    merged_at      BIGINT NOT NULL,
    UNIQUE KEY merges_from (from_uuid),
    INDEX merges_into (into_uuid),
    CONSTRAINT merges_from_fk FOREIGN KEY (from_uuid) REFERENCES uuids (uuid),
    CONSTRAINT merges_into_fk FOREIGN KEY (into_uuid) REFERENCES uuids (uuid),
    CONSTRAINT merges_not_self CHECK (from_uuid <> into_uuid)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

ALTER TABLE conflicts
    ADD COLUMN resolved_by VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    ADD COLUMN resolution VARCHAR(512) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL;

-- Counts only: never hashes or refs.
CREATE TABLE audit_log (
    id         BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    at         BIGINT NOT NULL,
    action     VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    partner    VARCHAR(32) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    client_id  VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    request_id VARCHAR(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    patients   BIGINT NOT NULL DEFAULT 0,
    new_uuids  BIGINT NOT NULL DEFAULT 0,
    matched    BIGINT NOT NULL DEFAULT 0,
    conflicts  BIGINT NOT NULL DEFAULT 0,
    ambiguous  BIGINT NOT NULL DEFAULT 0,
    detail     VARCHAR(512) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    INDEX audit_log_at (at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
