ALTER TABLE patient_refs
    DROP PRIMARY KEY,
    ADD PRIMARY KEY (partner, patient_ref),
    ADD INDEX patient_refs_partner_uuid (partner, uuid),
    ADD INDEX patient_refs_uuid_fk (uuid),
    DROP INDEX patient_refs_uuid;
