//! The password rules of the user center: at least [`MIN_PASSWORD_LEN`]
//! characters, at most 1024, not the e-mail address, and not one of the
//! 10,000 most common passwords (`assets/common-passwords.txt`, from the
//! zxcvbn package, MIT licensed; see `assets/common-passwords.LICENSE`).

use std::collections::HashSet;
use std::sync::OnceLock;

pub use super::user::MIN_PASSWORD_LEN;

/// Longest password accepted (argon2 would take more, but nobody types it).
pub const MAX_PASSWORD_LEN: usize = 1024;

const LIST: &str = include_str!("../../assets/common-passwords.txt");

fn common() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        LIST.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    })
}

/// Why a password was refused, in words for the form.
pub fn check(password: &str, email: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_LEN {
        return Err(format!(
            "Choose a password of at least {MIN_PASSWORD_LEN} characters."
        ));
    }
    if n > MAX_PASSWORD_LEN {
        return Err(format!(
            "Choose a password of at most {MAX_PASSWORD_LEN} characters."
        ));
    }
    let lower = password.to_lowercase();
    if common().contains(lower.as_str()) {
        return Err("This password is among the most common ones; choose another.".into());
    }
    if lower == email.trim().to_lowercase() {
        return Err("The password must not be your e-mail address.".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_common_and_email_passwords_are_refused() {
        assert!(common().len() >= 9_000);
        assert!(check("short", "a@b.org").is_err());
        assert!(check("1234567890", "a@b.org").is_err());
        assert!(
            check("Password123", "a@b.org").is_err() || check("password123", "a@b.org").is_err()
        );
        assert!(check("qwertyuiop", "a@b.org").is_err());
        assert!(check("ann@example.org", "ann@example.org").is_err());
        assert!(check("violet kettle marching", "a@b.org").is_ok());
    }
}
