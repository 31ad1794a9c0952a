//! The router sends each letter through the channel its endpoint needs.

use hillpost_channels::{
    Channel, Channels, EmailIdentity, EmailSender, NoopChannel, OutboxChannel,
};
use hillpost_core::AttemptOutcome;
use hillpost_core::DeliveryId;
use hillpost_core::delivery::Channel as ChannelKind;

use crate::support::{FROM, MESSAGE_ID_DOMAIN, letter};

#[tokio::test]
async fn letters_go_through_the_channel_of_their_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = OutboxChannel::new(
        dir.path(),
        EmailIdentity::new(FROM, MESSAGE_ID_DOMAIN).unwrap(),
    )
    .unwrap();
    let channels = Channels::default().with_email(EmailSender::Outbox(outbox));

    let email = channels.send(&letter(DeliveryId::new(1))).await;
    assert_eq!(email.outcome, AttemptOutcome::Ok);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    for kind in [ChannelKind::WebForm, ChannelKind::Cwc] {
        let report = channels
            .send(&hillpost_core::delivery::OutgoingLetter {
                channel: kind,
                ..letter(DeliveryId::new(2))
            })
            .await;
        assert_eq!(report.outcome, AttemptOutcome::Permanent, "{kind}");
        assert!(report.note.unwrap().contains("not configured"));
        assert_eq!(report.sent_sha256, None);
    }

    let none = channels
        .send(&hillpost_core::delivery::OutgoingLetter {
            channel: ChannelKind::None,
            ..letter(DeliveryId::new(3))
        })
        .await;
    assert_eq!(none.outcome, AttemptOutcome::Ok);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "none sends nothing"
    );
}

#[tokio::test]
async fn email_without_a_configured_sender_is_permanent() {
    let report = Channels::default().send(&letter(DeliveryId::new(1))).await;
    assert_eq!(report.outcome, AttemptOutcome::Permanent);
    assert!(
        report
            .note
            .unwrap()
            .contains("email channel is not configured")
    );
}

#[tokio::test]
async fn the_noop_sender_accepts_everything() {
    let channels = Channels::default().with_email(EmailSender::Noop(NoopChannel));
    let report = channels.send(&letter(DeliveryId::new(1))).await;
    assert_eq!(report.outcome, AttemptOutcome::Ok);
    assert_eq!(report.sent_sha256, None);
}
