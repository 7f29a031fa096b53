//! The `idmap` binary end to end: dates, secrets, HMAC, fingerprints, input
//! formats and bad rows. Expected hashes come from independent computations
//! (`sha2` here, `python3`'s `hashlib`/`hmac` where noted).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{idmap, run_with_stdin, stderr, stdout, temp_file};
use sha2::{Digest, Sha256};

const SALT: &str = "0123456789abcdef0123";

fn sha(text: &str, salt: &str) -> String {
    hex::encode(Sha256::digest(format!("{text}{salt}").as_bytes()))
}

/// `idmap hash` with SALT in the environment, reading `input` from stdin.
fn hash(args: &[&str], input: &str) -> std::process::Output {
    let mut cmd = idmap();
    cmd.env("IDMAP_SALT", SALT).arg("hash").args(args);
    run_with_stdin(&mut cmd, input.as_bytes())
}

#[test]
fn version_is_printed() {
    let out = idmap().arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        stdout(&out),
        format!("idmap {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn help_documents_rules_and_bad_rows() {
    let out = idmap().args(["hash", "--help"]).output().unwrap();
    let help = stdout(&out);
    assert!(help.contains("last+first+dob+race"), "{help}");
    assert!(help.contains("empty hash"), "{help}");
    assert!(help.contains("--legacy-no-salt"), "{help}");
}

#[test]
fn date_forms_agree_and_day_first_is_explicit() {
    let input = "ref,first,last,dob,sex\n\
                 a,Aly,Bee,1990-02-03,F\n\
                 b,Aly,Bee,19900203,F\n\
                 c,Aly,Bee,02/03/1990,F\n\
                 d,Aly,Bee,2/3/1990,F\n";
    let out = hash(&["-r", "F_L_D_S"], input);
    assert!(out.status.success(), "{}", stderr(&out));
    let h = sha("alybee1990-02-03f", SALT);
    assert_eq!(
        stdout(&out),
        format!("ref,F_L_D_S\na,{h}\nb,{h}\nc,{h}\nd,{h}\n")
    );

    let out = hash(&["-r", "F_L_D_S", "--day-first"], input);
    let dm = sha("alybee1990-03-02f", SALT);
    assert_eq!(
        stdout(&out),
        format!("ref,F_L_D_S\na,{h}\nb,{h}\nc,{dm}\nd,{dm}\n")
    );
}

#[test]
fn bad_rows_are_reported_by_row_number_without_values() {
    let input = "ref,first,last,dob,sex\n\
                 a,Aly,Bee,1990-02-03,F\n\
                 \n\
                 b,Zebulon,Quixote,02/30/1977,M\n\
                 c,Yolanda,Umbridge,03/04/77,F\n\
                 d,Aly,Bee,1990-02-03,F\n\
                 e,Xavier,Vance,someday,M\n";
    let out = hash(&["-r", "F_L_D_S"], input);
    assert!(out.status.success(), "{}", stderr(&out));
    let h = sha("alybee1990-02-03f", SALT);
    assert_eq!(
        stdout(&out),
        format!("ref,F_L_D_S\na,{h}\nb,\nc,\nd,{h}\ne,\n")
    );
    let err = stderr(&out);
    assert_eq!(
        err,
        "idmap hash: row 2: dob: day out of range for the month\n\
         idmap hash: row 3: dob: two-digit year; write the year with four digits\n\
         idmap hash: row 5: dob: not a recognized date form (expected YYYY-MM-DD, YYYYMMDD or MM/DD/YYYY)\n\
         idmap hash: 5 rows, 2 hashes, 3 bad rows\n"
    );
    for phi in [
        "Zebulon", "Quixote", "1977", "Yolanda", "77", "Xavier", "someday",
    ] {
        assert!(!err.contains(phi), "stderr leaks {phi}");
    }
}

#[test]
fn delimiters_are_detected_or_given() {
    let h = sha("alybee1990-02-03f", SALT);
    for (delim, name) in [
        (',', "comma"),
        ('\t', "tab"),
        (';', "semicolon"),
        ('|', "pipe"),
    ] {
        let input = ["ref", "first", "last", "dob", "sex"].join(&delim.to_string())
            + "\n"
            + &["r1", "Aly", "Bee", "1990-02-03", "F"].join(&delim.to_string())
            + "\n";
        let want = format!("ref{delim}F_L_D_S\nr1{delim}{h}\n");
        let detected = hash(&["-r", "F_L_D_S"], &input);
        assert_eq!(stdout(&detected), want, "{name}: {}", stderr(&detected));
        let given = hash(&["-r", "F_L_D_S", "--delimiter", name], &input);
        assert_eq!(stdout(&given), want, "{name}");
    }
    // A comma inside a tab-separated name does not fool detection.
    let input = "ref\tfirst\tlast, family\tdob\tsex\nr1\tAly\tBee\t1990-02-03\tF\n";
    let out = hash(
        &[
            "-r",
            "F_L_D_S",
            "--column",
            "last=last, family",
            "--output-delimiter",
            "comma",
        ],
        input,
    );
    assert_eq!(
        stdout(&out),
        format!("ref,F_L_D_S\nr1,{h}\n"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn bom_crlf_and_missing_trailing_fields() {
    let input = "\u{feff}Ref,First,Last,DOB,Sex,Race\r\n\
                 r1,Aly,Bee,1990-02-03,F,4\r\n\
                 r2,Aly,Bee,1990-02-03,F\r\n\
                 r3,Aly,Bee\r\n\
                 \r\n";
    let out = hash(&["-r", "F_L_D_S,F_L_D_R"], input);
    assert!(out.status.success(), "{}", stderr(&out));
    let s = sha("alybee1990-02-03f", SALT);
    let r = sha("beealy1990-02-0304", SALT);
    assert_eq!(
        stdout(&out),
        format!("ref,F_L_D_S,F_L_D_R\nr1,{s},{r}\nr2,{s},\nr3,,\n")
    );
    assert!(stderr(&out).contains("3 rows, 3 hashes, 0 bad rows"));
}

#[test]
fn input_file_and_stdin_dash_agree() {
    let dir = tempfile::tempdir().unwrap();
    let input = "ref,first,last,dob,zip\nr1,Aly,Bee,1990-02-03,32601-1234\n";
    let path = temp_file(&dir, "in.csv", input.as_bytes());
    let from_file = idmap()
        .env("IDMAP_SALT", SALT)
        .args(["hash", "-r", "L_F_D_Z"])
        .arg(&path)
        .output()
        .unwrap();
    let from_stdin = hash(&["-r", "L_F_D_Z", "-"], input);
    assert_eq!(
        stdout(&from_file),
        format!(
            "ref,L_F_D_Z\nr1,{}\n",
            sha("beealy1990-02-03326011234", SALT)
        )
    );
    assert_eq!(stdout(&from_file), stdout(&from_stdin));
}

#[test]
fn short_empty_and_ambiguous_salts_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let input = "ref,first,last,dob,sex\nr1,Aly,Bee,1990-02-03,F\n";
    let run = |cmd: &mut std::process::Command| run_with_stdin(cmd, input.as_bytes());

    let short = temp_file(&dir, "short", b"tooshortsalt\n");
    let out = run(idmap()
        .args(["hash", "-r", "F_L_D_S", "--salt-file"])
        .arg(&short));
    assert!(!out.status.success());
    assert!(stdout(&out).is_empty());
    assert!(
        stderr(&out).contains("12 bytes; at least 16"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("tooshortsalt"));

    let empty = temp_file(&dir, "empty", b"\n");
    let out = run(idmap()
        .args(["hash", "-r", "F_L_D_S", "--salt-file"])
        .arg(&empty));
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("--legacy-no-salt"),
        "{}",
        stderr(&out)
    );

    let out = run(idmap()
        .env("IDMAP_SALT", "")
        .args(["hash", "-r", "F_L_D_S"]));
    assert!(!out.status.success());

    let out = run(idmap().args(["hash", "-r", "F_L_D_S"]));
    assert!(
        stderr(&out).contains("no salt configured"),
        "{}",
        stderr(&out)
    );

    let good = temp_file(&dir, "good", format!("{SALT}\n").as_bytes());
    let out = run(idmap()
        .env("IDMAP_SALT", SALT)
        .args(["hash", "-r", "F_L_D_S", "--salt-file"])
        .arg(&good));
    assert!(!out.status.success());
    assert!(stderr(&out).contains("keep only one"), "{}", stderr(&out));

    let out =
        run(idmap()
            .env("IDMAP_SALT", SALT)
            .args(["hash", "-r", "F_L_D_S", "--legacy-no-salt"]));
    assert!(!out.status.success());
    assert!(!stderr(&out).contains(SALT));

    // There is no option that takes the salt itself.
    let out = run(idmap().args(["hash", "-r", "F_L_D_S", "--salt", SALT]));
    assert!(!out.status.success());

    // A salt file (trailing newline ignored) and a named variable both work.
    let out = run(idmap()
        .args(["hash", "-r", "F_L_D_S", "--salt-file"])
        .arg(&good));
    assert_eq!(
        stdout(&out),
        format!("ref,F_L_D_S\nr1,{}\n", sha("alybee1990-02-03f", SALT))
    );
    let out =
        run(idmap()
            .env("MY_SALT", SALT)
            .args(["hash", "-r", "F_L_D_S", "--salt-env", "MY_SALT"]));
    assert_eq!(
        stdout(&out),
        format!("ref,F_L_D_S\nr1,{}\n", sha("alybee1990-02-03f", SALT))
    );
}

const PY_HMAC: &str = r#"
import hashlib, hmac, sys
key = bytes.fromhex(sys.argv[1])
for text in sys.argv[2:]:
    print(hmac.new(key, text.encode('utf-8'), hashlib.sha256).hexdigest())
print(hmac.new(key, b'idmap salt fingerprint v1', hashlib.sha256).hexdigest()[:16])
print(hmac.new(sys.argv[3].encode(), b'idmap salt fingerprint v1', hashlib.sha256).hexdigest()[:16])
"#;

#[test]
fn hmac_mode_and_fingerprints_match_python() {
    let Some(python) = common::python3() else {
        return;
    };
    let key_hex = "00112233445566778899aabbccddeeff0123456789ABCDEF";
    let texts = ["alybee1990-02-03f", "beealy1990-02-0304"];
    let out = std::process::Command::new(python)
        .args(["-c", PY_HMAC, key_hex, texts[0], texts[1]])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let py = stdout(&out);
    let py: Vec<&str> = py.lines().collect();

    let dir = tempfile::tempdir().unwrap();
    let key = temp_file(&dir, "key", format!("{key_hex}\n").as_bytes());
    let input = "ref,first,last,dob,sex,race\nr1,Aly,Bee,1990-02-03,F,4\n";
    let mut cmd = idmap();
    cmd.args(["hash", "-r", "F_L_D_S,F_L_D_R", "--hmac-key-file"])
        .arg(&key);
    let out = run_with_stdin(&mut cmd, input.as_bytes());
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!("ref,F_L_D_S,F_L_D_R\nr1,{},{}\n", py[0], py[1])
    );

    // The key can also come from IDMAP_HMAC_KEY_FILE.
    let mut cmd = idmap();
    cmd.env("IDMAP_HMAC_KEY_FILE", &key)
        .args(["hash", "-r", "F_L_D_S,F_L_D_R"]);
    assert_eq!(
        stdout(&run_with_stdin(&mut cmd, input.as_bytes())),
        stdout(&out)
    );

    // Fingerprint of the raw key bytes in HMAC mode ...
    let fp = idmap()
        .args(["hash", "--print-fingerprint", "--hmac-key-file"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(fp.status.success(), "{}", stderr(&fp));
    assert_eq!(stdout(&fp), format!("{}\n", py[2]));

    // ... and of the salt bytes in salt mode (here the salt is the text
    // python used as argv[3], i.e. texts[1]).
    let salt = temp_file(&dir, "salt", format!("{}\n", texts[1]).as_bytes());
    let fp = idmap()
        .args(["hash", "--print-fingerprint", "--salt-file"])
        .arg(&salt)
        .output()
        .unwrap();
    assert_eq!(stdout(&fp), format!("{}\n", py[3]));
    assert_eq!(
        py[3],
        idmap_common::fingerprint::salt_fingerprint(texts[1].as_bytes())
    );

    // HMAC with a salt configured as well is ambiguous: refused.
    let out = idmap()
        .env("IDMAP_SALT", SALT)
        .args(["hash", "--print-fingerprint", "--hmac-key-file"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn legacy_fingerprint_is_of_the_empty_salt() {
    let out = idmap()
        .args(["hash", "--print-fingerprint", "--legacy-no-salt"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!("{}\n", idmap_common::fingerprint::salt_fingerprint(b""))
    );
}

#[test]
fn fatal_errors_leave_no_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = temp_file(
        &dir,
        "in.csv",
        b"ref,first,last,dob\nr1,Aly,Bee,1990-02-03\n",
    );
    let output = dir.path().join("out.csv");
    let out = idmap()
        .env("IDMAP_SALT", SALT)
        .args(["hash", "-r", "F_L_D_S", "-o"])
        .arg(&output)
        .arg(&input)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no column for sex"),
        "{}",
        stderr(&out)
    );
    assert!(!output.exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "only the input remains");
}

#[test]
fn rules_are_required_known_and_unique() {
    let input = "ref,first,last,dob,sex\nr1,Aly,Bee,1990-02-03,F\n";
    let out = hash(&[], input);
    assert!(stderr(&out).contains("no rules chosen"), "{}", stderr(&out));
    let out = hash(&["-r", "F_L_D_X"], input);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("unknown rule"), "{}", stderr(&out));
    let out = hash(&["-r", "F_L_D_S,F_L_D_S"], input);
    assert!(stderr(&out).contains("listed twice"), "{}", stderr(&out));
}

#[test]
fn rows_of_unicode_names_hash_like_the_normalized_text() {
    let input = "ref;first;last;dob;city\nr1; İlkay ;Straße-Øst;1990-02-03;ΟΔΟΣ ΣΑΣ\n";
    let out = hash(&["-r", "F_L_D_C"], input);
    assert_eq!(
        stdout(&out),
        format!(
            "ref;F_L_D_C\nr1;{}\n",
            sha("i\u{307}lkaystraßeøst1990-02-03οδοσσας", SALT)
        )
    );
}

/// Output appears while the input is still open: rows are streamed, not
/// collected (which is what keeps memory constant on large files).
#[test]
fn rows_stream_through_before_the_input_ends() {
    use std::io::{Read, Write};
    use std::process::Stdio;

    const BATCH: usize = 20_000;
    let mut child = idmap()
        .env("IDMAP_SALT", SALT)
        .args(["hash", "-q", "-r", "F_L_D_S"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (more, go_on) = std::sync::mpsc::channel::<()>();
    let writer = std::thread::spawn(move || {
        let row = |i: usize| format!("r{i},Aly,Bee,1990-02-03,F\n");
        stdin.write_all(b"ref,first,last,dob,sex\n").unwrap();
        for i in 0..BATCH {
            stdin.write_all(row(i).as_bytes()).unwrap();
        }
        stdin.flush().unwrap();
        go_on.recv().unwrap();
        for i in BATCH..2 * BATCH {
            stdin.write_all(row(i).as_bytes()).unwrap();
        }
    });
    // Half the output must arrive while the second half is not yet written.
    let mut seen = Vec::new();
    let mut buf = [0u8; 65536];
    while seen.iter().filter(|&&b| b == b'\n').count() < BATCH / 2 {
        let n = stdout.read(&mut buf).unwrap();
        assert!(n > 0, "output ended early");
        seen.extend_from_slice(&buf[..n]);
    }
    more.send(()).unwrap();
    stdout.read_to_end(&mut seen).unwrap();
    writer.join().unwrap();
    assert!(child.wait().unwrap().success());
    let text = String::from_utf8(seen).unwrap();
    assert_eq!(text.lines().count(), 2 * BATCH + 1);
    let h = sha("alybee1990-02-03f", SALT);
    assert_eq!(
        text.lines().last().unwrap(),
        format!("r{},{h}", 2 * BATCH - 1)
    );
}

#[test]
fn an_existing_output_is_replaced_only_with_force() {
    let dir = tempfile::tempdir().unwrap();
    let input = temp_file(
        &dir,
        "in.csv",
        b"ref,first,last,dob,sex\nr1,Aly,Bee,1990-02-03,F\n",
    );
    let output = temp_file(&dir, "out.csv", b"yesterday's hashes\n");
    let hash_to = |force: bool| {
        let mut cmd = idmap();
        cmd.env("IDMAP_SALT", SALT)
            .args(["hash", "-r", "F_L_D_S", "-o"])
            .arg(&output)
            .arg(&input);
        if force {
            cmd.arg("--force");
        }
        cmd.output().unwrap()
    };
    let out = hash_to(false);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_eq!(std::fs::read(&output).unwrap(), b"yesterday's hashes\n");

    let out = hash_to(true);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&output).unwrap(),
        format!("ref,F_L_D_S\nr1,{}\n", sha("alybee1990-02-03f", SALT))
    );
}

/// Spreadsheets save "Unicode text" as UTF-16: it is decoded, and hashes
/// like the same text in UTF-8.
#[test]
fn utf16_exports_hash_like_their_text() {
    let text = "ref\tfirst\tlast\tdob\tsex\r\nr1\tZoë\tÜnal\t1990-02-03\tF\r\n";
    let utf8 = hash(&["-r", "F_L_D_S"], text);
    assert!(utf8.status.success(), "{}", stderr(&utf8));
    let want = format!("ref\tF_L_D_S\nr1\t{}\n", sha("zoëünal1990-02-03f", SALT));
    assert_eq!(stdout(&utf8), want);

    let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes, encoding) in [
        ("le-bom.txt", [&[0xFF, 0xFE][..], &le].concat(), "UTF-16LE"),
        ("be-bom.txt", [&[0xFE, 0xFF][..], &be].concat(), "UTF-16BE"),
        ("le.txt", le.clone(), "UTF-16LE"),
    ] {
        let path = temp_file(&dir, name, &bytes);
        let out = idmap()
            .env("IDMAP_SALT", SALT)
            .args(["hash", "-r", "F_L_D_S"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        assert_eq!(stdout(&out), want, "{name}");
        let err = stderr(&out);
        assert!(
            err.contains(&format!("the input is {encoding} text")),
            "{name}: {err}"
        );
    }

    // From a pipe too (one small write reaches the reader whole).
    let mut cmd = idmap();
    cmd.env("IDMAP_SALT", SALT).args(["hash", "-r", "F_L_D_S"]);
    let out = run_with_stdin(&mut cmd, &le);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), want);
}

#[test]
fn sex_and_race_values_outside_the_codes_are_warned_about_once() {
    let input = "ref,first,last,dob,sex,race\n\
                 a,Aly,Bee,1990-02-03,F,5\n\
                 b,Zebulon,Quixote,1977-04-02,Male,05\n\
                 c,Yolanda,Umbridge,1977-04-03,female,White\n\
                 d,Xavier,Vance,1977-04-04,M,NI\n";
    let out = hash(&["-r", "F_L_D_S,F_L_D_R"], input);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let sex: Vec<&str> = err.lines().filter(|l| l.contains("sex value")).collect();
    assert_eq!(sex.len(), 1, "{err}");
    assert!(
        sex[0].starts_with("idmap hash: warning: 2 rows have a sex value outside the codes"),
        "{err}"
    );
    assert!(sex[0].contains("the first at row 2"), "{err}");
    assert!(err.contains("1 row has a race value"), "{err}");
    for value in ["female", "White"] {
        assert!(!err.contains(value), "stderr shows {value}: {err}");
    }
    // A rule that does not read sex does not warn about it.
    let out = hash(&["-r", "F_L_D_R"], input);
    assert!(!stderr(&out).contains("sex value"), "{}", stderr(&out));
}

#[cfg(unix)]
#[test]
fn a_salt_file_open_to_others_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let salt = temp_file(&dir, "salt", format!("{SALT}\n").as_bytes());
    let fingerprint = |mode: u32| {
        std::fs::set_permissions(&salt, std::fs::Permissions::from_mode(mode)).unwrap();
        idmap()
            .args(["hash", "--print-fingerprint", "--salt-file"])
            .arg(&salt)
            .output()
            .unwrap()
    };
    let out = fingerprint(0o644);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("warning: the salt file"), "{err}");
    assert!(
        err.contains("mode 644") && err.contains("chmod 600"),
        "{err}"
    );
    let out = fingerprint(0o600);
    assert_eq!(stderr(&out), "");
}

#[test]
fn an_error_says_its_cause_once() {
    let out = idmap()
        .args([
            "hash",
            "--print-fingerprint",
            "--salt-file",
            "/nonexistent/salt",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with("idmap: error: cannot read /nonexistent/salt: "),
        "{err}"
    );
    assert_eq!(err.matches("os error 2").count(), 1, "{err}");
}
