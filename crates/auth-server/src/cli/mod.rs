//! Command line of the `auth-server` binary. Every command but `openapi`
//! reads the settings, so each one's `--help` ends with their variables.

pub mod admin;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// OAuth 2 authorization server of the idmap network.
#[derive(Debug, Parser)]
#[command(name = "auth-server", version, about)]
pub struct Cli {
    /// TOML settings file; environment variables override it.
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Administer the auth database directly (no running server needed):
    /// users, signing keys, groups, partners, clients and entitlements.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Print the OpenAPI document (as served at /openapi.json) and exit;
    /// needs no settings or database.
    Openapi,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Partners (hospitals).
    #[command(subcommand)]
    Partner(PartnerCommand),
    /// OAuth clients.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Users who log in on the authorization pages.
    #[command(subcommand)]
    User(UserCommand),
    /// Signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Groups of partner staff.
    #[command(subcommand)]
    Group(GroupCommand),
    /// Which users may hold idmap:read and idmap:admin in user-facing grants.
    #[command(subcommand)]
    Entitlement(EntitlementCommand),
}

#[derive(Debug, Subcommand)]
pub enum EntitlementCommand {
    /// Entitle a user, or every member of a partner's group, to a scope.
    #[command(group(clap::ArgGroup::new("holder").required(true).args(["user", "partner"])))]
    Grant {
        /// `idmap:read` or `idmap:admin`.
        #[arg(long)]
        scope: String,
        /// User id or e-mail address.
        #[arg(long)]
        user: Option<String>,
        /// Partner code: the partner's group (created on first use).
        #[arg(long)]
        partner: Option<String>,
    },
    /// Withdraw an entitlement (the next refresh of a token drops the scope).
    Revoke { id: String },
    /// List entitlements as JSON.
    List,
}

#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// Add a user to a partner's group (created on first use) or change their role.
    AddMember {
        /// Partner code, e.g. UFH.
        #[arg(long)]
        partner: String,
        /// User id or e-mail address.
        #[arg(long)]
        user: String,
        /// `member` or `partner_admin`.
        #[arg(long, default_value = "member")]
        role: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is read from stdin (first line) or a file, never argv.
    Add {
        #[arg(long)]
        email: String,
        /// Read the password from this file instead of stdin.
        #[arg(long, value_name = "PATH")]
        password_file: Option<PathBuf>,
        /// Mark the email address as verified.
        #[arg(long)]
        verified: bool,
    },
    /// List users as JSON.
    List,
    /// Disable a user.
    Disable { id: String },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Add the next signing key: published now, signing after the publication delay.
    Rotate {
        /// Emergency: sign with the new key at once.
        #[arg(long)]
        now: bool,
    },
    /// List keys with kid, alg, state, activation and retirement times.
    List,
}

#[derive(Debug, Subcommand)]
pub enum PartnerCommand {
    /// Register a partner.
    Add {
        /// Short uppercase code, e.g. UFH.
        code: String,
        #[arg(long)]
        name: String,
    },
    /// List partners as JSON.
    List,
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a client; prints {"client_id", "client_secret"} once.
    Add {
        /// Partner code; without it the client is an internal one.
        #[arg(long)]
        partner: Option<String>,
        /// Space-separated scopes, e.g. "idmap:link".
        #[arg(long)]
        scope: String,
        #[arg(long)]
        name: Option<String>,
        /// A public client (authorization code with PKCE; no secret).
        #[arg(long, requires = "redirect_uri")]
        public: bool,
        /// Allowed redirect URI (repeatable).
        #[arg(long = "redirect-uri", value_name = "URI")]
        redirect_uri: Vec<String>,
    },
    /// List clients as JSON (secret ids and times, never secrets).
    List,
    /// Add a second secret (printed once); the old one stays valid until retired.
    RotateSecret {
        client_id: String,
        /// Let the old secret(s) expire after this many seconds.
        #[arg(long, value_name = "SECONDS")]
        old_expires_in: Option<u64>,
    },
    /// End one secret at once.
    RetireSecret {
        client_id: String,
        #[arg(long)]
        secret_id: String,
    },
    /// Disable a client (no more tokens).
    Disable { client_id: String },
}
