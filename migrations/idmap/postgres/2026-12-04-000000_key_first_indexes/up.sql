-- Indexes of patient_refs led by the key a request probes (its refs, its
-- UUIDs), not by the partner. Before statistics are gathered (a fresh
-- registry filling up) the planner rates `partner = $1` more selective than
-- `uuid = ANY($2)` and scanned every ref of the partner to answer a few;
-- with no index led by the partner, every plan probes the keys.

DROP INDEX patient_refs_partner_uuid;
CREATE INDEX patient_refs_uuid ON patient_refs (uuid, partner);

ALTER TABLE patient_refs DROP CONSTRAINT patient_refs_pkey;
ALTER TABLE patient_refs ADD PRIMARY KEY (patient_ref, partner);
