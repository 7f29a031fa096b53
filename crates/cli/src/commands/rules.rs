//! `idmap rules`: what each chosen rule hashes, in priority order, so that
//! a partner can compare its configuration with the network's and an admin
//! can register the network's keys on the server (`--json` prints the
//! bodies of `POST /api/v1/admin/rules`). Reads no input and no secret.

use crate::commands::options::resolve_rules;
use crate::config::ConfigFile;
use crate::keys::KEY_TEXT_VERSION;
use crate::rules::HashRule;
use anyhow::{Context, bail};

/// Options of `idmap rules`.
#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    /// Rules to show, comma-separated [default: the config file's [hash] rules].
    #[arg(short, long, value_delimiter = ',', value_name = "RULES")]
    pub rules: Vec<String>,

    /// Print one registration body per network-defined key, as JSON lines.
    #[arg(long)]
    pub json: bool,
}

/// Runs `idmap rules`, printing on standard output.
pub fn run(args: RulesArgs, config: &ConfigFile) -> anyhow::Result<()> {
    let codes = if args.rules.is_empty() {
        config.hash.rules.clone().unwrap_or_default()
    } else {
        args.rules
    };
    let rules = resolve_rules(&codes, &config.hash.keys)?;
    if rules.is_empty() {
        bail!("no rules chosen: pass --rules or set [hash] rules in the config file");
    }
    let mut out = String::new();
    if args.json {
        for rule in &rules {
            if let HashRule::Key(key) = rule {
                let body = serde_json::json!({
                    "code": key.code(),
                    "description": format!("{KEY_TEXT_VERSION}: {}", key.definition()),
                });
                out.push_str(&body.to_string());
                out.push('\n');
            }
        }
    } else {
        out.push_str(&listing(&rules));
        let screen = if config.hash.screen == Some(false) {
            "off (placeholders are hashed, as the older hashers did)"
        } else {
            "on (placeholders skip the rules that read them)"
        };
        out.push_str(&format!("screening: {screen}\n"));
    }
    use std::io::Write;
    std::io::stdout()
        .write_all(out.as_bytes())
        .context("cannot write the output")
}

/// One line per rule: priority, code and what is hashed.
fn listing(rules: &[HashRule]) -> String {
    let width = rules
        .iter()
        .map(|r| r.code().len())
        .max()
        .unwrap_or(4)
        .max(4);
    let mut out = format!("priority  {:width$}  hashes\n", "code");
    for (i, rule) in rules.iter().enumerate() {
        let what = match rule {
            HashRule::Builtin(_) => rule.definition(),
            HashRule::Key(key) => {
                let slots: Vec<String> = key.fields().iter().map(|f| format!("<{f}>")).collect();
                format!("{}|{}", key.code(), slots.join("|"))
            }
        };
        out.push_str(&format!("{:<8}  {:width$}  {what}\n", i + 1, rule.code()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::MatchKey;
    use crate::rules::Rule;

    #[test]
    fn listing_shows_priority_code_and_text_layout() {
        let key = MatchKey::parse(
            "FS_L_DY",
            &["first:soundex".into(), "last".into(), "dob:year".into()],
        )
        .unwrap();
        let rules = [HashRule::Builtin(Rule::Fldz), HashRule::Key(key)];
        assert_eq!(
            listing(&rules),
            "priority  code     hashes\n\
             1         F_L_D_Z  first last dob zip (built-in, no separator)\n\
             2         FS_L_DY  FS_L_DY|<first:soundex>|<last>|<dob:year>\n"
        );
    }
}
