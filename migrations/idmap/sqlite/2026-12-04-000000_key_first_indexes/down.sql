CREATE TABLE patient_refs_old (
    partner     TEXT NOT NULL,
    patient_ref TEXT NOT NULL,
    uuid        BLOB NOT NULL REFERENCES uuids (uuid),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (partner, patient_ref)
) WITHOUT ROWID;

INSERT INTO patient_refs_old (partner, patient_ref, uuid, created_at)
    SELECT partner, patient_ref, uuid, created_at FROM patient_refs;

DROP TABLE patient_refs;
ALTER TABLE patient_refs_old RENAME TO patient_refs;

CREATE INDEX patient_refs_partner_uuid ON patient_refs (partner, uuid);
