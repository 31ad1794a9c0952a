//! The channels a worker sends through, built from configuration.

use std::path::Path;

use anyhow::Context;
use hillpost_channels::{
    Channel, Channels, CwcChannel, DkimSigner, EmailIdentity, EmailSender, OutboxChannel,
    SmtpChannel, SmtpSettings, SmtpTls,
};
use hillpost_core::AttemptOutcome;
use hillpost_core::delivery::OutgoingLetter;

use std::sync::Arc;

use hillpost_channels::egress::EgressSettings;
use hillpost_channels::web_form::{BrowserExecutor, BrowserSettings, FormDefaults};
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
            EmailSender::Smtp(
                SmtpChannel::with_identity(channel, identity(settings)?)
                    .context("setting up SMTP")?,
            )
        }
    };
    let mut channels = Channels::default().with_email(sender);
    if let Some((cwc, egress)) = settings.cwc.channel_settings()? {
        channels = channels.with_cwc(CwcChannel::new(cwc, &egress).context("setting up CWC")?);
    }
    Ok(channels)
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
    let mut channel = WebFormChannel::new(
        egress,
        forms,
        support,
        WebFormSettings {
            max_wait: web_forms.max_wait,
            defaults: form_defaults(web_forms),
            petition_sender: petition_sender(&web_forms.petition_sender)?,
        },
    );
    if let Some(browser) = browser_settings(web_forms) {
        channel = channel.with_browser(BrowserExecutor::new(browser));
    }
    Ok(channels.with_web_form(channel))
}

/// The values every form is filled with besides the signer's (`[web_forms]`).
pub fn form_defaults(web_forms: &WebForms) -> FormDefaults {
    FormDefaults {
        name_prefix: web_forms.name_prefix.clone(),
        topic: web_forms.default_topic.clone(),
        org_name: web_forms.org_name.clone(),
        org_url: web_forms.org_url.clone(),
        campaign_id: String::new(),
    }
}

/// `[web_forms.browser]` when it is enabled (the browser starts with the first delivery
/// that needs it).
pub fn browser_settings(web_forms: &WebForms) -> Option<BrowserSettings> {
    let browser = &web_forms.browser;
    browser.enabled.then(|| BrowserSettings {
        chromium: browser.chromium.clone(),
        chromedriver: browser.chromedriver.clone(),
        webdriver_url: Some(browser.webdriver_url.clone()).filter(|u| !u.trim().is_empty()),
        max_sessions: browser.max_sessions,
        page_timeout: browser.page_timeout,
        reuse_sessions: browser.reuse_sessions,
        all_forms: browser.all_forms,
    })
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

pub(crate) fn petition_sender(
    sender: &PetitionSender,
) -> anyhow::Result<Option<Arc<NewSignature>>> {
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
    Ok(OutboxChannel::new(dir, identity(settings)?)?)
}

/// Who letters come from: the From address, VERP envelope senders with a bounce domain,
/// DKIM signatures when `[dkim]` is enabled. The same for SMTP and the outbox, so a dry
/// run shows exactly what would be sent.
pub fn identity(settings: &Settings) -> anyhow::Result<EmailIdentity> {
    let email = &settings.email;
    let mut identity = EmailIdentity::new(&email.from_address, &email.message_id_domain)?;
    if !email.bounce_domain.trim().is_empty() {
        identity = identity
            .with_bounce_domain(email.bounce_domain.trim())
            .context("email.bounce_domain")?;
    }
    if let Some(dkim) = settings.dkim_settings()? {
        identity = identity.with_dkim(DkimSigner::new(&dkim).context("[dkim]")?);
    }
    Ok(identity)
}

/// Writes `letters` as .eml files into `dir` (dry runs); returns how many were written.
pub async fn write_outbox(
    dir: &Path,
    letters: impl IntoIterator<Item = OutgoingLetter>,
    settings: &Settings,
) -> anyhow::Result<usize> {
    let outbox = outbox(dir, settings)?;
    let mut written = 0;
    for letter in letters {
        let report = outbox.send(&letter).await;
        if report.outcome != AttemptOutcome::Ok {
            anyhow::bail!(
                "writing letter {} to {} failed: {}",
                letter.delivery_id,
                dir.display(),
                report.remote_text.unwrap_or_default()
            );
        }
        written += 1;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use hillpost_core::CampaignId;
    use hillpost_core::delivery::{Channel as ChannelKind, LetterCampaign};
    use hillpost_core::signer::{
        Country, Email, Language, NewSignature, PersonName, PostalAddress, PostalCode, UsState,
    };
    use hillpost_testkit::cwc::{Answer, CwcServer};

    use super::*;
    use crate::config::{Sources, load};

    #[tokio::test]
    async fn an_enabled_cwc_section_builds_a_channel_that_delivers() {
        let server = CwcServer::start(&["HVA04"], Answer::Created).await;
        let vars = [
            ("HILLPOST__CWC__ENABLED", "true".to_string()),
            ("HILLPOST__CWC__HOUSE_URL", server.base_url()),
            ("HILLPOST__CWC__API_KEY", "binary-test-key".into()),
            ("HILLPOST__CWC__DELIVERY_AGENT", "Hillpost Org".into()),
            ("HILLPOST__CWC__ACK_EMAIL", "acks@example.org".into()),
            ("HILLPOST__CWC__CONTACT_NAME", "Ops Person".into()),
            ("HILLPOST__CWC__CONTACT_EMAIL", "ops@example.org".into()),
            ("HILLPOST__CWC__CONTACT_PHONE", "202-555-0100".into()),
            ("HILLPOST__CWC__CONSTITUENT_PREFIX", "Ms.".into()),
            ("HILLPOST__CWC__MAINTENANCE", String::new()),
            // The loopback gateway is neither on the default list nor a public address.
            (
                "HILLPOST__CWC__ALLOWED_HOSTS",
                "*.house.gov;127.0.0.1".into(),
            ),
            ("HILLPOST__CWC__ALLOW_PRIVATE_ADDRESSES", "true".into()),
        ];
        let settings = load(Sources {
            file: None,
            environment: Some(
                vars.iter()
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect(),
            ),
        })
        .expect("settings");
        assert_eq!(
            crate::targets::sendable_channels(&settings),
            [ChannelKind::Email, ChannelKind::Cwc]
        );
        let channels = from_settings(&settings).expect("channels");
        let signer = NewSignature {
            email: Email::parse("ana@example.org").unwrap(),
            first_name: Some(PersonName::parse("Ana").unwrap()),
            last_name: Some(PersonName::parse("Smith").unwrap()),
            organization: None,
            address: PostalAddress {
                line1: Some("1 Main St".into()),
                line2: None,
                city: Some("Richmond".into()),
                state: Some(UsState::parse("VA").unwrap()),
                postal_code: PostalCode::parse_optional("23219", Some(Country::US)).unwrap(),
                country: Some(Country::US),
            },
            district: None,
            language: None,
            phone: None,
            receipt_consent: false,
            signed_at: None,
            source: None,
        };
        let letter = OutgoingLetter {
            delivery_id: hillpost_core::DeliveryId::new(1),
            attempt_no: hillpost_core::AttemptNo::new(1),
            idempotency_key: "0123456789abcdef0123456789abcdef".into(),
            channel: ChannelKind::Cwc,
            endpoint: "HVA04".into(),
            recipient_name: "Rep. Example".into(),
            sender_name: "Ana Smith".into(),
            reply_to: None,
            language: Language::parse("en").unwrap(),
            subject: "Bring the troops home".into(),
            body_markdown: "Please bring the troops home.\n".into(),
            attachments: Arc::from(Vec::new()),
            signer: Some(Arc::new(signer)),
            campaign: Some(Arc::new(LetterCampaign {
                id: CampaignId::parse("troops-home").unwrap(),
                organization: "Test Peace Coalition".into(),
            })),
        };
        let report = channels.send(&letter).await;
        assert_eq!(report.outcome, AttemptOutcome::Ok, "{report:?}");
        let received = server.received();
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].api_key.as_deref(), Some("binary-test-key"));
        assert!(received[0].layout_problems.is_empty());
    }
}
