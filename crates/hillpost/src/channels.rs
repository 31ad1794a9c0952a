//! The channels a worker sends through, built from configuration.

use std::path::Path;

use anyhow::Context;
use hillpost_channels::{
    Channel, Channels, CwcChannel, EmailIdentity, EmailSender, OutboxChannel, SmtpChannel,
    SmtpSettings, SmtpTls,
};
use hillpost_core::AttemptOutcome;
use hillpost_core::delivery::OutgoingLetter;

use crate::config::sections::SmtpTls as ConfiguredTls;
use crate::config::{EmailTransport, Settings};

pub fn from_settings(settings: &Settings) -> anyhow::Result<Channels> {
    let email = &settings.email;
    let sender = match email.transport {
        EmailTransport::Outbox => EmailSender::Outbox(outbox(&email.outbox_dir, settings)?),
        EmailTransport::Smtp => {
            let smtp = &settings.smtp;
            let mut channel = SmtpSettings::new(
                &smtp.host,
                smtp.port,
                &email.from_address,
                &email.message_id_domain,
            );
            channel.tls = match smtp.tls {
                ConfiguredTls::None => SmtpTls::None,
                ConfiguredTls::Starttls => SmtpTls::Starttls,
                ConfiguredTls::Tls => SmtpTls::Tls,
            };
            channel.username = Some(smtp.username.clone()).filter(|u| !u.is_empty());
            channel.password = settings.smtp_password()?;
            channel.hello_name = smtp.hello_name.clone();
            channel.connect_timeout = smtp.connect_timeout;
            channel.command_timeout = smtp.command_timeout;
            channel.max_connections = smtp.max_connections;
            EmailSender::Smtp(SmtpChannel::new(channel).context("setting up SMTP")?)
        }
    };
    let mut channels = Channels::default().with_email(sender);
    if let Some((cwc, http)) = settings.cwc.channel_settings()? {
        channels = channels.with_cwc(CwcChannel::new(cwc, &http).context("setting up CWC")?);
    }
    Ok(channels)
}

fn outbox(dir: &Path, settings: &Settings) -> anyhow::Result<OutboxChannel> {
    let identity = EmailIdentity::new(
        &settings.email.from_address,
        &settings.email.message_id_domain,
    )?;
    Ok(OutboxChannel::new(dir, identity)?)
}

/// Writes `letters` as .eml files into `dir` (dry runs); returns how many were written.
pub async fn write_outbox(
    dir: &Path,
    letters: &[OutgoingLetter],
    settings: &Settings,
) -> anyhow::Result<usize> {
    let outbox = outbox(dir, settings)?;
    for letter in letters {
        let report = outbox.send(letter).await;
        if report.outcome != AttemptOutcome::Ok {
            anyhow::bail!(
                "writing letter {} to {} failed: {}",
                letter.delivery_id,
                dir.display(),
                report.remote_text.unwrap_or_default()
            );
        }
    }
    Ok(letters.len())
}
