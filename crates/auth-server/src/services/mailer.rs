//! Outgoing mail of the user center (verification and password-reset
//! links): SMTP through lettre in production, one `.eml` file per message
//! in development (the default, into `data/mail`; tests and the browser
//! suite read these files to follow the links), or a log line that names
//! recipient and subject only (bodies hold single-use links, which must
//! never reach a log).

use std::path::{Path, PathBuf};

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;

use crate::config::{MailerKind, Settings};

/// Why a message could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid address: {0}")]
    Address(#[from] lettre::address::AddressError),
    #[error("cannot build the message: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("cannot write the message file: {0}")]
    File(#[from] std::io::Error),
    #[error("SMTP failed: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
}

enum Transport {
    File(PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Log,
}

/// The configured mailer.
pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.transport {
            Transport::File(_) => "file",
            Transport::Smtp(_) => "smtp",
            Transport::Log => "log",
        };
        write!(f, "Mailer({kind})")
    }
}

impl Mailer {
    /// Builds the mailer the settings name.
    pub fn from_settings(settings: &Settings) -> Result<Self, MailError> {
        let from: Mailbox = settings.mail_from.parse()?;
        let transport = match (settings.mailer, &settings.smtp_url) {
            (MailerKind::File, _) => {
                std::fs::create_dir_all(&settings.mail_dir)?;
                Transport::File(settings.mail_dir.clone())
            }
            (MailerKind::Smtp, Some(url)) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())?.build(),
            ),
            (MailerKind::Smtp, None) | (MailerKind::Log, _) => Transport::Log,
        };
        Ok(Self { from, transport })
    }

    /// Sends a plain-text message.
    pub async fn send(&self, to: &str, subject: &str, body: String) -> Result<(), MailError> {
        let to: Mailbox = to.parse()?;
        let part = SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .body(seven_bit(body));
        let message = Message::builder()
            .from(self.from.clone())
            .to(to.clone())
            .subject(subject)
            .singlepart(part)?;
        match &self.transport {
            Transport::File(dir) => {
                let name = format!(
                    "{}-{}.eml",
                    idmap_common::clock::now_unix(),
                    uuid::Uuid::new_v4().simple()
                );
                write_private(dir, name, message.formatted()).await?;
            }
            Transport::Smtp(smtp) => {
                smtp.send(message).await?;
            }
            Transport::Log => {
                tracing::info!(to = %to.email, subject, "mail (log mailer; body withheld)");
            }
        }
        Ok(())
    }
}

/// Writes one message file readable by its owner only (0600), in a
/// directory only the owner may list (0700, tightened if it was not): a
/// message holds a live single-use link.
async fn write_private(dir: &Path, name: String, bytes: Vec<u8>) -> std::io::Result<()> {
    let dir = dir.to_owned();
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        #[cfg(unix)]
        {
            use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)?;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(dir.join(name))?
                .write_all(&bytes)
        }
        #[cfg(not(unix))]
        {
            std::fs::create_dir_all(&dir)?;
            std::fs::File::create_new(dir.join(name))?.write_all(&bytes)
        }
    })
    .await
    .map_err(std::io::Error::other)?
}

/// ASCII bodies with lines under 998 octets go out as 7bit (lettre would
/// pick quoted-printable for lines over 76 characters and break the links
/// with soft line breaks); anything else gets lettre's own choice.
fn seven_bit(body: String) -> Body {
    if body.is_ascii() && body.lines().all(|l| l.len() < 998) {
        let crlf = body.replace("\r\n", "\n").replace('\n', "\r\n");
        Body::dangerous_pre_encoded(crlf.into_bytes(), ContentTransferEncoding::SevenBit)
    } else {
        Body::new(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_link_lines_stay_whole() {
        let link = format!(
            "http://127.0.0.1:1/accounts/verify/?token={}",
            "a".repeat(43)
        );
        let body = seven_bit(format!("Open:\n\n{link}\n"));
        assert_eq!(body.encoding(), ContentTransferEncoding::SevenBit);
        let text = String::from_utf8(body.into_vec()).unwrap();
        assert!(text.contains(&link));
        assert!(text.contains("\r\n"));
    }
}
