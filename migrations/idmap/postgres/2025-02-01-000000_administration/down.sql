DROP TRIGGER audit_log_append_only ON audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE audit_log;
ALTER TABLE conflicts DROP COLUMN resolution;
ALTER TABLE conflicts DROP COLUMN resolved_by;
DROP TABLE merges;
