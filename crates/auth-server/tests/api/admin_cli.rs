//! The admin CLI through the real binary: registering partners and clients,
//! one JSON object on stdout, secrets that work, clear failures.

use std::collections::HashMap;
use std::process::Output;
use std::sync::Arc;

use crate::support::process::{auth_server_command, stdout_json};
use crate::support::{spawn_app_in, test_env};
use serde_json::Value;

fn admin(env: &HashMap<String, String>, args: &[&str]) -> Output {
    auth_server_command(env).args(args).output().unwrap()
}

#[tokio::test]
async fn partner_and_client_added_by_cli_get_tokens_from_a_running_server() {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    // The server runs while the admin commands write to its database.
    let app = spawn_app_in(dir.clone(), &[]).await;
    let env = test_env(dir.path(), &[]);

    let partner = stdout_json(&admin(
        &env,
        &["admin", "partner", "add", "UFH", "--name", "UF Health"],
    ));
    assert_eq!(partner["code"], "UFH");

    let out = admin(
        &env,
        &[
            "admin",
            "client",
            "add",
            "--partner",
            "UFH",
            "--scope",
            "idmap:link",
            "--name",
            "UFH cron",
        ],
    );
    let created = stdout_json(&out);
    let obj = created.as_object().unwrap();
    assert_eq!(obj.len(), 2);
    let id = obj["client_id"].as_str().unwrap();
    let secret = obj["client_secret"].as_str().unwrap();
    assert!(secret.len() >= 43);
    assert!(
        secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );

    let res = app.client_grant(id, secret).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    let (_, claims) = app.verify(body["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["partner"], "UFH");
    assert_eq!(claims["scope"], "idmap:link");

    let partners = stdout_json(&admin(&env, &["admin", "partner", "list"]));
    assert_eq!(partners[0]["code"], "UFH");
    let out = admin(&env, &["admin", "client", "list"]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains(secret));
    let clients = stdout_json(&out);
    assert_eq!(clients[0]["client_id"], id);
    assert_eq!(clients[0]["partner"], "UFH");
}

#[test]
fn internal_and_public_clients() {
    let dir = tempfile::tempdir().unwrap();
    let env = test_env(dir.path(), &[]);
    let internal = stdout_json(&admin(
        &env,
        &["admin", "client", "add", "--scope", "idmap:read admin"],
    ));
    assert!(internal["client_secret"].is_string());

    let public = stdout_json(&admin(
        &env,
        &[
            "admin",
            "client",
            "add",
            "--scope",
            "profile",
            "--public",
            "--redirect-uri",
            "https://app.example/cb",
        ],
    ));
    assert!(public["client_id"].is_string());
    assert!(public["client_secret"].is_null());
}

#[test]
fn entitlements_are_granted_listed_and_withdrawn() {
    let dir = tempfile::tempdir().unwrap();
    let env = test_env(dir.path(), &[]);
    let mut child = auth_server_command(&env)
        .args([
            "admin",
            "user",
            "add",
            "--email",
            "ann@example.org",
            "--verified",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    writeln!(child.stdin.take().unwrap(), "violet kettle marching").unwrap();
    assert!(child.wait().unwrap().success());
    stdout_json(&admin(
        &env,
        &["admin", "partner", "add", "UFH", "--name", "UF Health"],
    ));

    let grant = |args: &[&'static str]| -> Vec<&'static str> {
        [&["admin", "entitlement", "grant"][..], args].concat()
    };
    let by_user = stdout_json(&admin(
        &env,
        &grant(&["--user", "ann@example.org", "--scope", "idmap:read"]),
    ));
    assert_eq!(
        (by_user["scope"].as_str(), by_user["user_email"].as_str()),
        (Some("idmap:read"), Some("ann@example.org"))
    );
    let by_group = stdout_json(&admin(
        &env,
        &grant(&["--partner", "UFH", "--scope", "idmap:admin"]),
    ));
    assert_eq!(by_group["partner"], "UFH");
    let list = stdout_json(&admin(&env, &["admin", "entitlement", "list"]));
    assert_eq!(list.as_array().unwrap().len(), 2);
    let id = by_user["id"].as_str().unwrap();
    stdout_json(&admin(&env, &["admin", "entitlement", "revoke", id]));
    let list = stdout_json(&admin(&env, &["admin", "entitlement", "list"]));
    assert_eq!(list.as_array().unwrap().len(), 1);

    for args in [
        grant(&["--scope", "idmap:read"]),
        grant(&[
            "--user",
            "ann@example.org",
            "--partner",
            "UFH",
            "--scope",
            "idmap:read",
        ]),
        grant(&["--user", "ann@example.org", "--scope", "admin"]),
        vec!["admin", "entitlement", "revoke", id],
    ] {
        let out = admin(&env, &args);
        assert!(!out.status.success(), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
}

#[test]
fn bad_input_fails_with_a_message_and_non_zero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let env = test_env(dir.path(), &[]);
    let unknown_partner = &[
        "admin",
        "client",
        "add",
        "--partner",
        "NOPE",
        "--scope",
        "idmap:link",
    ];
    let cases: &[&[&str]] = &[
        unknown_partner,
        &["admin", "client", "add", "--scope", "idmap:write"],
        &["admin", "client", "add", "--scope", ""],
        &["admin", "client", "add"],
        &["admin", "client", "add", "--scope", "profile", "--public"],
        &["admin", "partner", "add", "lowercase", "--name", "x"],
    ];
    for args in cases {
        let out = admin(&env, args);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
        assert!(!out.stderr.is_empty(), "{args:?} gave no message");
    }
    let out = admin(&env, unknown_partner);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown partner NOPE"));

    stdout_json(&admin(
        &env,
        &["admin", "partner", "add", "UFH", "--name", "x"],
    ));
    let dup = admin(&env, &["admin", "partner", "add", "UFH", "--name", "x"]);
    assert!(!dup.status.success());
    assert!(String::from_utf8_lossy(&dup.stderr).contains("already exists"));
}

#[test]
fn migrate_applies_migrations_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let env = test_env(dir.path(), &[]);
    for _ in 0..2 {
        let out = admin(&env, &["migrate"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert!(dir.path().join("auth.db").exists());
}

#[test]
fn config_file_is_read_and_unknown_keys_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("auth.toml");
    std::fs::write(
        &file,
        format!(
            "database_url = \"sqlite://{}\"\nsigning_key_dir = \"{}\"\n",
            dir.path().join("from-file.db").display(),
            dir.path().join("keys").display()
        ),
    )
    .unwrap();
    let out = admin(
        &HashMap::new(),
        &["--config", file.to_str().unwrap(), "migrate"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("from-file.db").exists());

    std::fs::write(&file, "databse_url = \"x\"\n").unwrap();
    let out = admin(
        &HashMap::new(),
        &["--config", file.to_str().unwrap(), "migrate"],
    );
    assert!(!out.status.success());
}
