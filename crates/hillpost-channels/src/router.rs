//! [`Channels`]: the one [`Channel`] the worker holds, dispatching each letter on the kind of
//! endpoint it goes to.
//!
//! A kind with no sender configured answers `permanent` and asks for the recipient's next
//! endpoint: retrying cannot help until an operator configures it, and the attempt row says
//! exactly that. Adding a channel is one
//! field, one `with_…` method and one match arm.

use chrono::Utc;
use hillpost_core::delivery::{Channel as ChannelKind, OutgoingLetter, SendReport};

use std::future::Future;

use crate::cwc::CwcChannel;
use crate::email::EmailSender;
use crate::noop::NoopChannel;
use crate::report::falls_back;
use crate::web_form::WebFormChannel;
use crate::{Channel, Go};

/// The configured senders, one per kind of endpoint.
#[derive(Default)]
pub struct Channels {
    email: Option<EmailSender>,
    cwc: Option<CwcChannel>,
    web_form: Option<WebFormChannel>,
}

impl Channels {
    /// Email deliveries go through `sender`.
    pub fn with_email(mut self, sender: EmailSender) -> Self {
        self.email = Some(sender);
        self
    }

    /// CWC deliveries go through `channel`.
    pub fn with_cwc(mut self, channel: CwcChannel) -> Self {
        self.cwc = Some(channel);
        self
    }

    /// Web-form deliveries go through `channel`.
    pub fn with_web_form(mut self, channel: WebFormChannel) -> Self {
        self.web_form = Some(channel);
        self
    }

    pub fn web_form(&self) -> Option<&WebFormChannel> {
        self.web_form.as_ref()
    }

    pub fn email(&self) -> Option<&EmailSender> {
        self.email.as_ref()
    }

    /// Closes open connections politely (QUIT), for a clean shutdown.
    pub async fn close(&self) {
        if let Some(email) = &self.email {
            email.close().await;
        }
    }
}

impl Channel for Channels {
    // Each channel's future is boxed: see `a_send_is_a_small_future_whatever_the_channels_hold`.
    async fn send(&self, letter: &OutgoingLetter) -> SendReport {
        match (letter.channel, &self.email, &self.web_form, &self.cwc) {
            (ChannelKind::Email, Some(email), _, _) => Box::pin(email.send(letter)).await,
            (ChannelKind::WebForm, _, Some(web_form), _) => Box::pin(web_form.send(letter)).await,
            (ChannelKind::Cwc, _, _, Some(cwc)) => Box::pin(cwc.send(letter)).await,
            (ChannelKind::None, ..) => NoopChannel.send(letter).await,
            (kind @ (ChannelKind::Email | ChannelKind::WebForm | ChannelKind::Cwc), ..) => {
                not_configured(letter, kind)
            }
        }
    }

    async fn send_on_turn<T>(&self, letter: &OutgoingLetter, turn: T) -> Option<SendReport>
    where
        T: Future<Output = Go> + Send,
    {
        match (letter.channel, &self.email, &self.cwc) {
            (ChannelKind::Email, Some(email), _) => {
                Box::pin(email.send_on_turn(letter, turn)).await
            }
            (ChannelKind::Cwc, _, Some(cwc)) => Box::pin(cwc.send_on_turn(letter, turn)).await,
            _ => match turn.await {
                Go::Ahead => Some(Box::pin(self.send(letter)).await),
                Go::Withdraw => None,
            },
        }
    }
}

fn not_configured(letter: &OutgoingLetter, kind: ChannelKind) -> SendReport {
    tracing::warn!(
        delivery_id = letter.delivery_id.get(),
        channel = %kind,
        "no sender is configured for this channel"
    );
    falls_back(
        Utc::now(),
        format!("the {kind} channel is not configured in this hillpost"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A letter's send is a future the worker moves: into its task when it spawns one per
    /// letter, and on through every `await` above it. Each channel's future (a browser
    /// session's is tens of kilobytes) is boxed so the router's stays small; unboxed, the
    /// worker copied the largest channel's state for every email it sent.
    #[test]
    fn a_send_is_a_small_future_whatever_the_channels_hold() {
        let letter = OutgoingLetter {
            delivery_id: hillpost_core::DeliveryId::new(1),
            attempt_no: hillpost_core::AttemptNo::new(1),
            idempotency_key: "0".repeat(32),
            channel: ChannelKind::Email,
            endpoint: "chair@foreign.senate.gov".into(),
            recipient_name: "Committee".into(),
            sender_name: "Ana".into(),
            reply_to: None,
            language: hillpost_core::signer::Language::parse("en").unwrap(),
            subject: "Subject".into(),
            body_markdown: "Body".into(),
            attachments: std::sync::Arc::from(Vec::new()),
            signer: None,
            campaign: None,
        };
        let channels = Channels::default();
        let send = std::mem::size_of_val(&channels.send(&letter));
        let on_turn =
            std::mem::size_of_val(&channels.send_on_turn(&letter, std::future::ready(Go::Ahead)));
        assert!(send <= 512, "send's future is {send} bytes");
        assert!(on_turn <= 512, "send_on_turn's future is {on_turn} bytes");
    }

    #[test]
    fn channels_can_be_shared_by_the_workers_tasks() {
        fn shared<T: Channel + Send + Sync + 'static>() {}
        shared::<Channels>();
        shared::<std::sync::Arc<Channels>>();
    }
}
