//! Client secrets are stored only as keyed hashes: the database never holds
//! the plaintext.

use crate::support::spawn_app;
use auth_server::db::schema::client_secrets;
use diesel::prelude::*;

#[tokio::test]
async fn the_database_never_contains_the_plaintext_secret() {
    let app = spawn_app().await;
    app.add_partner("UFH").await;
    let (id, secret) = app.add_client(Some("UFH"), "idmap:link").await;

    let hashes: Vec<Vec<u8>> = app
        .db
        .run(|c| {
            Ok(client_secrets::table
                .select(client_secrets::secret_hash)
                .load(c)?)
        })
        .await
        .unwrap();
    assert_eq!(hashes.len(), 1);
    assert_eq!(hashes[0].len(), 32);
    assert_eq!(hashes[0], app.hasher.hash(&secret).0);

    // Look at every byte SQLite wrote, including the write-ahead log.
    let mut files = 0;
    for entry in std::fs::read_dir(app.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("auth.db") && path.is_file() {
            files += 1;
            let bytes = std::fs::read(&path).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains(&secret), "{name} contains the secret");
            assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()));
        }
    }
    assert!(files >= 1);
    // The client id itself is stored, so the scan above did see the data.
    let stored = std::fs::read(app.dir.path().join("auth.db")).unwrap();
    let wal = std::fs::read(app.dir.path().join("auth.db-wal")).unwrap_or_default();
    let all = [stored, wal].concat();
    assert!(all.windows(id.len()).any(|w| w == id.as_bytes()));
}
