ALTER TABLE authorization_codes DROP COLUMN redirect_uri_given;
ALTER TABLE refresh_tokens DROP COLUMN family_expires_at;
DROP TABLE auth_failures;
DROP TABLE entitlements;
