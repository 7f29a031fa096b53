ALTER TABLE consents DROP COLUMN last_used_at;
ALTER TABLE clients DROP COLUMN homepage;
