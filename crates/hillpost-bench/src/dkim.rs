//! What a DKIM signature costs per letter: the same letters composed unsigned, signed with
//! an RSA-2048 key and signed with an Ed25519 key, one after the other on one core. Keys
//! come from `openssl genpkey` (skipped loudly without it).

use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use hillpost_channels::email::compose;
use hillpost_channels::{DkimSettings, DkimSigner, EmailIdentity};
use hillpost_core::delivery::OutgoingLetter;
use secrecy::SecretString;

use crate::report::Report;

/// Composes `letters` with `identity`; the time per letter.
fn per_letter(identity: &EmailIdentity, letters: &[OutgoingLetter]) -> anyhow::Result<Duration> {
    let started = Instant::now();
    for letter in letters {
        std::hint::black_box(compose(identity, letter, SystemTime::now())?);
    }
    Ok(started.elapsed() / letters.len() as u32)
}

fn openssl_key(args: &[&str]) -> Option<String> {
    let out = Command::new("openssl").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

pub fn run(sample: &OutgoingLetter, count: usize, report: &mut Report) -> anyhow::Result<()> {
    let (Some(rsa), Some(ed25519)) = (
        openssl_key(&[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
        ]),
        openssl_key(&["genpkey", "-algorithm", "ed25519"]),
    ) else {
        report.skipped("dkim", "no openssl to make test keys with");
        return Ok(());
    };
    let letters: Vec<OutgoingLetter> = (0..count)
        .map(|i| OutgoingLetter {
            delivery_id: (i as i64).into(),
            idempotency_key: format!("{i:032x}"),
            ..sample.clone()
        })
        .collect();
    let identity = EmailIdentity::new("letters@bench.example.org", "bench.example.org")?
        .with_bounce_domain("bounce.bench.example.org")?;
    let signed = |key: String| -> anyhow::Result<EmailIdentity> {
        let signer = DkimSigner::new(&DkimSettings {
            selector: "bench".into(),
            domain: "bench.example.org".into(),
            private_key: SecretString::from(key),
        })?;
        Ok(identity.clone().with_dkim(signer))
    };
    let plain = per_letter(&identity, &letters)?;
    let with_rsa = per_letter(&signed(rsa)?, &letters)?;
    let with_ed25519 = per_letter(&signed(ed25519)?, &letters)?;
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    report.note(format!(
        "DKIM, {count} letters composed on one core: unsigned {:.0} µs/letter; RSA-2048 {:.0} µs \
         (+{:.0} µs to sign); Ed25519 {:.0} µs (+{:.0} µs to sign)",
        micros(plain),
        micros(with_rsa),
        micros(with_rsa) - micros(plain),
        micros(with_ed25519),
        micros(with_ed25519) - micros(plain),
    ));
    Ok(())
}
