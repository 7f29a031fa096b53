ALTER TABLE patient_refs DROP CONSTRAINT patient_refs_pkey;
ALTER TABLE patient_refs ADD PRIMARY KEY (partner, patient_ref);

DROP INDEX patient_refs_uuid;
CREATE INDEX patient_refs_partner_uuid ON patient_refs (partner, uuid);
