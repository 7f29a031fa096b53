-- Linkage administration: merges of UUIDs, resolution of conflicts, and an
-- append-only audit log of link requests and admin actions.

CREATE TABLE merges (
    id             BIGSERIAL PRIMARY KEY,
    -- A UUID is merged at most once: the key makes a repeated merge fail.
    from_uuid      BYTEA NOT NULL UNIQUE REFERENCES uuids (uuid),
    -- The surviving UUID (the target after following earlier merges).
    into_uuid      BYTEA NOT NULL REFERENCES uuids (uuid),
    -- The UUID the admin named, when it was itself merged already.
    requested_into BYTEA NOT NULL,
    merged_by      VARCHAR(128) NOT NULL,
    request_id     VARCHAR(128) NOT NULL,
    merged_at      BIGINT NOT NULL,
    CHECK (from_uuid <> into_uuid)
);

CREATE INDEX merges_into ON merges (into_uuid);

ALTER TABLE conflicts ADD COLUMN resolved_by VARCHAR(128) NULL;
ALTER TABLE conflicts ADD COLUMN resolution VARCHAR(512) NULL;

-- Counts only: never hashes or refs.
CREATE TABLE audit_log (
    id         BIGSERIAL PRIMARY KEY,
    at         BIGINT NOT NULL,
    action     VARCHAR(32) NOT NULL,
    partner    VARCHAR(32) NULL,
    client_id  VARCHAR(128) NOT NULL,
    request_id VARCHAR(128) NOT NULL,
    patients   BIGINT NOT NULL DEFAULT 0,
    new_uuids  BIGINT NOT NULL DEFAULT 0,
    matched    BIGINT NOT NULL DEFAULT 0,
    conflicts  BIGINT NOT NULL DEFAULT 0,
    ambiguous  BIGINT NOT NULL DEFAULT 0,
    detail     VARCHAR(512) NULL
);

CREATE INDEX audit_log_at ON audit_log (at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
