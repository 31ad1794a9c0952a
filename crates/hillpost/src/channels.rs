//! The channels a worker sends through, built from configuration.

use std::path::Path;

use anyhow::Context;
use hillpost_channels::{
    Channel, Channels, EmailIdentity, EmailSender, OutboxChannel, SmtpChannel, SmtpSettings,
    SmtpTls,
};
use hillpost_core::AttemptOutcome;
use hillpost_core::delivery::OutgoingLetter;

use std::sync::Arc;

use hillpost_channels::egress::EgressSettings;
use hillpost_channels::web_form::FormDefaults;
use hillpost_channels::{WebFormChannel, WebFormSettings};
use hillpost_core::signer::{
    Country, Email, NewSignature, PersonName, PostalAddress, PostalCode, UsState,
};
use hillpost_directory::forms::FormSupport;
use hillpost_store::Store;

use crate::config::sections::SmtpTls as ConfiguredTls;
use crate::config::sections::{PetitionSender, WebForms};
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
    Ok(Channels::default().with_email(sender))
}

/// The worker's channels: email as [`from_settings`] builds it, plus the web-form channel
/// when `[web_forms]` is enabled, with the stored directory's form definitions (loaded once,
/// when the worker starts; a directory import takes effect at the next start).
pub async fn for_worker(settings: &Settings, store: &Store) -> anyhow::Result<Channels> {
    let channels = from_settings(settings)?;
    if !settings.web_forms.enabled {
        return Ok(channels);
    }
    let (forms, support) = match crate::directory::load(store).await? {
        Some(directory) => (
            directory.forms.into_values().collect(),
            directory.form_support,
        ),
        None => (Vec::new(), FormSupport::default()),
    };
    let web_forms = &settings.web_forms;
    let egress = egress_settings(web_forms)
        .build()
        .context("setting up web-form egress ([web_forms])")?;
    let channel = WebFormChannel::new(
        egress,
        forms,
        support,
        WebFormSettings {
            max_wait: web_forms.max_wait,
            defaults: FormDefaults {
                name_prefix: web_forms.name_prefix.clone(),
                topic: web_forms.default_topic.clone(),
                org_name: web_forms.org_name.clone(),
                org_url: web_forms.org_url.clone(),
                campaign_id: String::new(),
            },
            petition_sender: petition_sender(&web_forms.petition_sender)?,
        },
    );
    Ok(channels.with_web_form(channel))
}

/// `[web_forms]` as the egress policy (also used by `forms check --live`).
pub fn egress_settings(web_forms: &WebForms) -> EgressSettings {
    EgressSettings {
        allowed_hosts: web_forms.allowed_hosts.clone(),
        allow_private_addresses: web_forms.allow_private_addresses,
        resolve: web_forms.resolve.clone(),
        proxy: Some(web_forms.proxy.clone()).filter(|p| !p.trim().is_empty()),
        extra_root_certs: web_forms.extra_root_certs.clone(),
        connect_timeout: web_forms.connect_timeout,
        request_timeout: web_forms.request_timeout,
        max_body_bytes: web_forms.max_body_bytes,
        ..EgressSettings::default()
    }
}

fn petition_sender(sender: &PetitionSender) -> anyhow::Result<Option<Arc<NewSignature>>> {
    if sender.email.trim().is_empty() {
        return Ok(None);
    }
    let key = |name: &str| format!("web_forms.petition_sender.{name}");
    let signature = NewSignature {
        email: Email::parse(&sender.email).with_context(|| key("email"))?,
        first_name: PersonName::parse_optional(&sender.first_name)
            .with_context(|| key("first_name"))?,
        last_name: PersonName::parse_optional(&sender.last_name)
            .with_context(|| key("last_name"))?,
        organization: None,
        address: PostalAddress {
            line1: Some(sender.street.clone()).filter(|s| !s.trim().is_empty()),
            line2: None,
            city: Some(sender.city.clone()).filter(|s| !s.trim().is_empty()),
            state: UsState::parse_optional(&sender.state).with_context(|| key("state"))?,
            postal_code: PostalCode::parse_optional(&sender.zip, Some(Country::US))
                .with_context(|| key("zip"))?,
            country: Some(Country::US),
        },
        district: None,
        language: None,
        phone: Some(sender.phone.clone()).filter(|s| !s.trim().is_empty()),
        receipt_consent: false,
        signed_at: None,
        source: Some("web_forms.petition_sender".into()),
    };
    Ok(Some(Arc::new(signature)))
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
