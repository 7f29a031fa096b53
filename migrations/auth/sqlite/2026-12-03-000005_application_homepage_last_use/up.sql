-- The homepage an application's owner gives, shown on the consent page
-- beside the owner, and when each approval last obtained tokens (a code
-- exchanged or a refresh token used), shown on the authorized-applications
-- page. Times are unix seconds; NULL for approvals not used since.
ALTER TABLE clients ADD COLUMN homepage TEXT;
ALTER TABLE consents ADD COLUMN last_used_at BIGINT;
