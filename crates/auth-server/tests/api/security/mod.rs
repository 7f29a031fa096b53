//! The security review of the user-facing grants, one module per finding,
//! each reproduced with live requests against the real server: who may hold
//! which scope, redirect URIs, throttling, refresh-token families, replayed
//! codes, group membership, `redirect_uri` at the token endpoint, the admin
//! API's order of checks, the file mailer's permissions and the log line of
//! a failed client authentication.

mod admin_body;
mod entitlements;
mod families;
mod grants;
mod mail_and_logs;
mod redirects;
mod throttle;
