//! The optional TOML configuration file (`--config`), so a cron job can keep
//! its column mapping and secret locations in one reviewed place.
//!
//! Command-line options (and the environment variables they read) override
//! the file. Unknown keys are an error, so a typo cannot silently fall back
//! to a default. The file never holds the salt itself, only where to find
//! it; relative paths in it are relative to the file's own directory.
//!
//! ```toml
//! [input]
//! delimiter = "tab"        # auto (default), tab, comma, semicolon, pipe, or one character
//! day_first = false        # read slashed dates as DD/MM/YYYY
//! [input.columns]          # header names; unmapped columns try common aliases
//! ref = "patid"
//! first = "first_name"
//! last = "last_name"
//! dob = "birth_date"
//! sex = "sex"
//! race = "race"
//! zip = "zip"
//! city = "city"
//!
//! [hash]
//! rules = ["F_L_D_S", "F_L_D_R", "L_D_Z"]   # sent in this order: the priority order
//! salt_file = "secrets/salt"     # or salt_env = "IDMAP_SALT", or hmac_key_file = "..."
//! legacy_no_salt = false
//! output_delimiter = "comma"     # default: the input's delimiter
//! screen = true                  # false reproduces the older hashers exactly
//!
//! [[hash.keys]]                  # a network-defined match key
//! code = "L_D_Z"
//! fields = ["last", "dob", "zip"]   # field or field:transform
//!
//! [placeholders]                 # screening lists, added to the defaults
//! defaults = true                # false: only the entries below
//! first = ["TBD", "BABY*"]       # a trailing * matches a prefix
//! last = []
//! names = [["JOHN", "DOE"]]      # first and last name together
//! dob = ["1901-01-01"]
//! dob_before = "1880-01-01"      # earlier birth dates are implausible
//! sex = []
//! race = []
//! zip = ["00000*"]
//! city = []
//!
//! [link]                          # `idmap link` and `idmap run`
//! url = "https://idmap.example.org"          # idmap-server base URL
//! issuer = "https://auth.example.org"        # token URL found in its metadata
//! # token_url = "https://auth.example.org/oauth/token"   # or given directly
//! client_id = "..."
//! client_secret_file = "secrets/client_secret"
//! ca_file = "network-ca.pem"                 # default: the system roots
//! batch_size = 1000
//! ```

use anyhow::Context;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The whole file; later subcommands add their own sections.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// How to read the input.
    #[serde(default)]
    pub input: InputConfig,
    /// How to hash.
    #[serde(default)]
    pub hash: HashConfig,
    /// Where and how to link.
    #[serde(default)]
    pub link: LinkConfig,
    /// Placeholder screening lists.
    #[serde(default)]
    pub placeholders: PlaceholderConfig,
}

/// `[placeholders]`: values that identify nobody, per field.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceholderConfig {
    /// Start from the built-in lists (default true).
    pub defaults: Option<bool>,
    /// First names.
    #[serde(default)]
    pub first: Vec<String>,
    /// Last names.
    #[serde(default)]
    pub last: Vec<String>,
    /// First and last name together.
    #[serde(default)]
    pub names: Vec<[String; 2]>,
    /// Birth dates.
    #[serde(default)]
    pub dob: Vec<String>,
    /// Birth dates before this one are screened.
    pub dob_before: Option<String>,
    /// Sex codes.
    #[serde(default)]
    pub sex: Vec<String>,
    /// Race codes.
    #[serde(default)]
    pub race: Vec<String>,
    /// ZIP codes.
    #[serde(default)]
    pub zip: Vec<String>,
    /// Cities.
    #[serde(default)]
    pub city: Vec<String>,
}

/// `[[hash.keys]]`: one network-defined match key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyConfig {
    /// Rule code the server knows the key by.
    pub code: String,
    /// `field` or `field:transform`, in text order.
    pub fields: Vec<String>,
}

/// `[link]`: the server, the credentials' locations and the batch size.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkConfig {
    /// idmap-server base URL.
    pub url: Option<String>,
    /// Token endpoint.
    pub token_url: Option<String>,
    /// Authorization server issuer, whose metadata names the token endpoint.
    pub issuer: Option<String>,
    /// OAuth client id.
    pub client_id: Option<String>,
    /// File holding the client secret.
    pub client_secret_file: Option<PathBuf>,
    /// PEM file of the CA certificates to trust instead of the system roots.
    pub ca_file: Option<PathBuf>,
    /// Patients per request.
    pub batch_size: Option<usize>,
}

/// `[input]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputConfig {
    /// Delimiter name or character; `auto` detects it.
    pub delimiter: Option<String>,
    /// Read slashed dates day first.
    pub day_first: Option<bool>,
    /// Header names by role.
    #[serde(default)]
    pub columns: ColumnsConfig,
}

/// `[input.columns]`: header name for each role.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnsConfig {
    /// Reference column.
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    /// First name.
    pub first: Option<String>,
    /// Last name.
    pub last: Option<String>,
    /// Date of birth.
    pub dob: Option<String>,
    /// Sex.
    pub sex: Option<String>,
    /// Race.
    pub race: Option<String>,
    /// ZIP code.
    pub zip: Option<String>,
    /// City.
    pub city: Option<String>,
}

/// `[hash]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HashConfig {
    /// Rule codes, in output column order.
    pub rules: Option<Vec<String>>,
    /// File holding the salt.
    pub salt_file: Option<PathBuf>,
    /// Environment variable holding the salt.
    pub salt_env: Option<String>,
    /// File holding the HMAC key in hex.
    pub hmac_key_file: Option<PathBuf>,
    /// Hash with the empty salt of older networks.
    pub legacy_no_salt: Option<bool>,
    /// Output delimiter name or character.
    pub output_delimiter: Option<String>,
    /// Screen placeholders (default true).
    pub screen: Option<bool>,
    /// Network-defined match keys.
    #[serde(default)]
    pub keys: Vec<KeyConfig>,
}

impl ConfigFile {
    /// Reads and parses `path`; relative paths inside become relative to it.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the config file {}", path.display()))?;
        let mut config = Self::parse(&text)
            .with_context(|| format!("invalid config file {}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new(""));
        for file in [
            &mut config.hash.salt_file,
            &mut config.hash.hmac_key_file,
            &mut config.link.client_secret_file,
            &mut config.link.ca_file,
        ]
        .into_iter()
        .flatten()
        {
            if file.is_relative() {
                *file = base.join(&*file);
            }
        }
        Ok(config)
    }

    /// Parses the file's text.
    pub fn parse(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }
}

/// Reads a delimiter given by name or as one ASCII character.
pub fn parse_delimiter(s: &str) -> Result<Option<u8>, String> {
    match s {
        "auto" => Ok(None),
        "tab" | "\t" | "\\t" => Ok(Some(b'\t')),
        "comma" | "," => Ok(Some(b',')),
        "semicolon" | ";" => Ok(Some(b';')),
        "pipe" | "|" => Ok(Some(b'|')),
        other if other.len() == 1 && other.is_ascii() && other != "\"" => Ok(other.bytes().next()),
        _ => Err(format!(
            "invalid delimiter {s:?}: use auto, tab, comma, semicolon, pipe or one ASCII character"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_file_parses() {
        let c = ConfigFile::parse(
            r#"
            [input]
            delimiter = "tab"
            day_first = true
            [input.columns]
            ref = "patid2"
            first = "first_name2"
            [hash]
            rules = ["F_L_D_R", "F_L_D_S"]
            legacy_no_salt = true
            "#,
        )
        .unwrap();
        assert_eq!(c.input.delimiter.as_deref(), Some("tab"));
        assert_eq!(c.input.day_first, Some(true));
        assert_eq!(c.input.columns.reference.as_deref(), Some("patid2"));
        assert_eq!(c.input.columns.first.as_deref(), Some("first_name2"));
        assert_eq!(c.hash.rules.unwrap(), ["F_L_D_R", "F_L_D_S"]);
        assert_eq!(c.hash.legacy_no_salt, Some(true));
    }

    #[test]
    fn unknown_keys_and_inline_salts_are_rejected() {
        assert!(ConfigFile::parse("[input]\ndelimitr = \"tab\"").is_err());
        assert!(ConfigFile::parse("[hash]\nsalt = \"0123456789abcdef\"").is_err());
        assert!(ConfigFile::parse("[input.columns]\nmiddle = \"m\"").is_err());
        assert!(ConfigFile::parse("").is_ok());
        assert!(ConfigFile::parse("[[hash.keys]]\ncode = \"K\"\nfield = [\"last\"]").is_err());
        assert!(ConfigFile::parse("[placeholders]\nmiddle = []").is_err());
    }

    #[test]
    fn keys_and_placeholders_parse() {
        let c = ConfigFile::parse(
            r#"
            [hash]
            rules = ["F_L_D_Z", "L_D_Z"]
            screen = false
            [[hash.keys]]
            code = "L_D_Z"
            fields = ["last", "dob", "zip:prefix(3)"]
            [[hash.keys]]
            code = "FS_LS_D"
            fields = ["first:soundex", "last:soundex", "dob"]
            [placeholders]
            defaults = false
            first = ["TBD"]
            names = [["JOHN", "DOE"]]
            dob_before = "1870-01-01"
            "#,
        )
        .unwrap();
        assert_eq!(c.hash.screen, Some(false));
        assert_eq!(c.hash.keys.len(), 2);
        assert_eq!(c.hash.keys[0].code, "L_D_Z");
        assert_eq!(c.hash.keys[0].fields[2], "zip:prefix(3)");
        assert_eq!(c.placeholders.defaults, Some(false));
        assert_eq!(c.placeholders.names[0][1], "DOE");
        assert_eq!(c.placeholders.dob_before.as_deref(), Some("1870-01-01"));
    }

    #[test]
    fn relative_secret_paths_follow_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("idmap.toml");
        std::fs::write(&path, "[hash]\nsalt_file = \"salt\"\n").unwrap();
        let c = ConfigFile::load(&path).unwrap();
        assert_eq!(c.hash.salt_file.unwrap(), dir.path().join("salt"));
    }

    #[test]
    fn delimiters_by_name_or_character() {
        assert_eq!(parse_delimiter("auto"), Ok(None));
        assert_eq!(parse_delimiter("tab"), Ok(Some(b'\t')));
        assert_eq!(parse_delimiter(","), Ok(Some(b',')));
        assert_eq!(parse_delimiter(":"), Ok(Some(b':')));
        assert!(parse_delimiter("ab").is_err());
        assert!(parse_delimiter("\"").is_err());
        assert!(parse_delimiter("§").is_err());
    }
}
