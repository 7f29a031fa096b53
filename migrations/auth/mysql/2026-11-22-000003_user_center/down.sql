DROP TABLE group_members;
DROP TABLE user_groups;
DROP TABLE consents;
DROP TABLE email_tokens;
ALTER TABLE clients DROP FOREIGN KEY clients_owner_fk;
DROP INDEX clients_owner_user_id ON clients;
ALTER TABLE clients DROP COLUMN owner_user_id;
ALTER TABLE users DROP COLUMN session_generation;
