DROP TABLE conflicts;
DROP TABLE patient_refs;
DROP TABLE bindings;
DROP TABLE uuids;
DROP TABLE rules;
