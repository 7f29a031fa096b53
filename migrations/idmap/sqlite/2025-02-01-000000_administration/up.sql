-- Linkage administration: merges of UUIDs, resolution of conflicts, and an
-- append-only audit log of link requests and admin actions.

CREATE TABLE merges (
    id             INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    -- A UUID is merged at most once: the key makes a repeated merge fail.
    from_uuid      BLOB NOT NULL UNIQUE REFERENCES uuids (uuid),
    -- The surviving UUID (the target after following earlier merges).
    into_uuid      BLOB NOT NULL REFERENCES uuids (uuid),
    -- The UUID the admin named, when it was itself merged already.
    requested_into BLOB NOT NULL,
    merged_by      TEXT NOT NULL,
    request_id     TEXT NOT NULL,
    merged_at      BIGINT NOT NULL,
    CHECK (from_uuid <> into_uuid)
);

CREATE INDEX merges_into ON merges (into_uuid);

ALTER TABLE conflicts ADD COLUMN resolved_by TEXT NULL;
ALTER TABLE conflicts ADD COLUMN resolution TEXT NULL;

-- Counts only: never hashes or refs.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    at         BIGINT NOT NULL,
    action     TEXT NOT NULL,
    partner    TEXT NULL,
    client_id  TEXT NOT NULL,
    request_id TEXT NOT NULL,
    patients   BIGINT NOT NULL DEFAULT 0,
    new_uuids  BIGINT NOT NULL DEFAULT 0,
    matched    BIGINT NOT NULL DEFAULT 0,
    conflicts  BIGINT NOT NULL DEFAULT 0,
    ambiguous  BIGINT NOT NULL DEFAULT 0,
    detail     TEXT NULL
);

CREATE INDEX audit_log_at ON audit_log (at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
