DROP TABLE agreement_patterns;
DROP TABLE shared_hashes;
DROP TABLE distinct_refs;
DROP TABLE duplicates;
DROP TABLE ambiguous_hashes;
ALTER TABLE rules DROP COLUMN u, DROP COLUMN m, DROP COLUMN priority;
