DROP TABLE audit_log;
ALTER TABLE conflicts DROP COLUMN resolution, DROP COLUMN resolved_by;
DROP TABLE merges;
