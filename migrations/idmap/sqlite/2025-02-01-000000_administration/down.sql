DROP TRIGGER audit_log_no_delete;
DROP TRIGGER audit_log_no_update;
DROP TABLE audit_log;
ALTER TABLE conflicts DROP COLUMN resolution;
ALTER TABLE conflicts DROP COLUMN resolved_by;
DROP TABLE merges;
