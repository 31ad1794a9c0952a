//! [`OutboxChannel`]: writes each letter, composed exactly as SMTP would send it, as an
//! `.eml` file into a directory and sends nothing. For dry runs and demos: the files open in
//! any mail client, so an organizer can look at what would go out.

use std::path::{Path, PathBuf};

use chrono::Utc;
use hillpost_core::AttemptOutcome;
use hillpost_core::delivery::{OutgoingLetter, SendReport};
use lettre::{AsyncFileTransport, AsyncTransport, Tokio1Executor};

use super::EmailSetupError;
use super::compose::compose;
use super::identity::EmailIdentity;
use crate::Channel;
use crate::report::{finished, refused_locally};

pub struct OutboxChannel {
    dir: PathBuf,
    identity: EmailIdentity,
    transport: AsyncFileTransport<Tokio1Executor>,
}

impl OutboxChannel {
    /// Creates `dir` if needed.
    pub fn new(dir: impl Into<PathBuf>, identity: EmailIdentity) -> Result<Self, EmailSetupError> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(|source| EmailSetupError::OutboxDir {
            path: dir.display().to_string(),
            source,
        })?;
        Ok(Self {
            transport: AsyncFileTransport::new(&dir),
            dir,
            identity,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Channel for OutboxChannel {
    async fn send(&self, letter: &OutgoingLetter) -> SendReport {
        let started_at = Utc::now();
        let message = match compose(&self.identity, letter, started_at.into()) {
            Ok(message) => message,
            Err(e) => {
                return refused_locally(
                    started_at,
                    AttemptOutcome::Permanent,
                    format!("the letter could not be composed: {e}"),
                );
            }
        };
        match self
            .transport
            .send_raw(&message.envelope, &message.bytes)
            .await
        {
            Ok(id) => {
                // lettre names the file after the id it returns.
                let path = self.dir.join(format!("{id}.eml"));
                tracing::debug!(
                    delivery_id = letter.delivery_id.get(),
                    "email written to the outbox"
                );
                SendReport {
                    remote_text: Some(SendReport::cap_remote_text(&path.display().to_string())),
                    sent_sha256: Some(message.sha256),
                    receiver_id: Some(message.message_id),
                    ..finished(started_at, AttemptOutcome::Ok)
                }
            }
            Err(e) => {
                // A full disk or a permissions slip: worth another try once fixed.
                tracing::warn!(delivery_id = letter.delivery_id.get(), error = %e, "cannot write to the outbox");
                refused_locally(
                    started_at,
                    AttemptOutcome::Transient,
                    format!("could not write to the outbox {}: {e}", self.dir.display()),
                )
            }
        }
    }
}
