//! Command line of the `auth-server` binary (design section 7).

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
    /// Manage partners and clients.
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Partners (hospitals).
    #[command(subcommand)]
    Partner(PartnerCommand),
    /// OAuth clients.
    #[command(subcommand)]
    Client(ClientCommand),
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
    /// List clients as JSON (never secrets).
    List,
}
