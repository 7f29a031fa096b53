-- Indexes of patient_refs led by the key a request probes (its refs, its
-- UUIDs), not by the partner, so that no plan can answer a probe by
-- reading every ref of the partner, whatever the statistics say.

ALTER TABLE patient_refs
    DROP PRIMARY KEY,
    ADD PRIMARY KEY (patient_ref, partner),
    ADD INDEX patient_refs_uuid (uuid, partner),
    DROP INDEX patient_refs_partner_uuid;
