DROP TABLE group_members;
DROP TABLE user_groups;
DROP TABLE consents;
DROP TABLE email_tokens;
DROP INDEX clients_owner_user_id;
ALTER TABLE clients DROP COLUMN owner_user_id;
ALTER TABLE users DROP COLUMN session_generation;
