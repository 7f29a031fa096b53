-- Indexes of patient_refs led by the key a request probes (its refs, its
-- UUIDs), not by the partner, so that no plan can answer a probe by
-- reading every ref of the partner, whatever the statistics say. The
-- primary key of a WITHOUT ROWID table is the table: it is rebuilt.

CREATE TABLE patient_refs_new (
    partner     TEXT NOT NULL,
    patient_ref TEXT NOT NULL,
    uuid        BLOB NOT NULL REFERENCES uuids (uuid),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (patient_ref, partner)
) WITHOUT ROWID;

INSERT INTO patient_refs_new (partner, patient_ref, uuid, created_at)
    SELECT partner, patient_ref, uuid, created_at FROM patient_refs;

DROP TABLE patient_refs;
ALTER TABLE patient_refs_new RENAME TO patient_refs;

CREATE INDEX patient_refs_uuid ON patient_refs (uuid, partner);
