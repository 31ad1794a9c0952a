//! The command line Chromium runs with: headless, quiet (no background requests, updates,
//! sync or QUIC), every connection through the session's egress gate, and trusting only the
//! configured extra certificates, by the SHA-256 of their public keys.

use std::path::Path;

use base64::Engine;
use sha2::{Digest, Sha256};

/// Flags that keep Chromium headless and from reaching anything on its own.
const BASE_FLAGS: &[&str] = &[
    "--headless",
    // hillpost may run as root in a container; the browser's own sandbox needs user
    // namespaces it rarely has there. Pages are office forms on allow-listed hosts.
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--metrics-recording-only",
    "--mute-audio",
    "--no-pings",
    "--no-service-autorun",
    "--password-store=basic",
    "--disable-breakpad",
    "--disable-client-side-phishing-detection",
    "--disable-domain-reliability",
    "--disable-features=AutofillServerCommunication,OptimizationHints,\
     OptimizationGuideModelDownloading,Translate,MediaRouter,CertificateTransparencyComponentUpdater",
    // WebRTC could open UDP to anywhere, past the proxy.
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--window-size=1280,1600",
];

/// What one session's command line depends on.
pub struct FlagInputs<'a> {
    /// The session's gate, `http://127.0.0.1:PORT`.
    pub gate_url: &'a str,
    pub profile_dir: &'a Path,
    /// DER certificates of `extra_root_certs`.
    pub extra_roots: &'a [rustls::pki_types::CertificateDer<'static>],
    pub user_agent: Option<&'a str>,
}

/// Profile preferences (`goog:chromeOptions.prefs`) that stop the browser's own requests:
/// preconnecting to the search engine, suggestions, sign-in, Safe Browsing, translation.
pub fn quiet_prefs() -> serde_json::Value {
    serde_json::json!({
        "net.network_prediction_options": 2,
        "search.suggest_enabled": false,
        "signin.allowed": false,
        "safebrowsing.enabled": false,
        "translate.enabled": false,
        "autofill.profile_enabled": false,
        "autofill.credit_card_enabled": false,
        "credentials_enable_service": false,
    })
}

/// The arguments for `goog:chromeOptions.args`; a certificate whose key cannot be read is
/// named in the error.
pub fn chromium_args(inputs: &FlagInputs) -> Result<Vec<String>, String> {
    let mut args: Vec<String> = BASE_FLAGS.iter().map(|f| f.to_string()).collect();
    args.push(format!("--user-data-dir={}", inputs.profile_dir.display()));
    // Every request, loopback included ("<-loopback>" drops Chromium's built-in bypass),
    // goes through the gate, which applies the allow-list and address rules.
    args.push(format!("--proxy-server={}", inputs.gate_url));
    args.push("--proxy-bypass-list=<-loopback>".into());
    // Chromium itself resolves nothing: a request that somehow skipped the proxy fails.
    args.push("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1".into());
    if !inputs.extra_roots.is_empty() {
        let pins = inputs
            .extra_roots
            .iter()
            .enumerate()
            .map(|(i, der)| {
                spki_sha256_base64(der).ok_or_else(|| {
                    format!(
                        "extra root certificate #{} has no readable public key",
                        i + 1
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        // Trusts certificates with exactly these keys (Chromium honours it only with
        // --user-data-dir, which every session has), not every certificate.
        args.push(format!(
            "--ignore-certificate-errors-spki-list={}",
            pins.join(",")
        ));
    }
    if let Some(agent) = inputs.user_agent {
        args.push(format!("--user-agent={agent}"));
    }
    Ok(args)
}

/// base64(SHA-256(SubjectPublicKeyInfo)) of a DER certificate: the pin format of
/// `--ignore-certificate-errors-spki-list` (and HPKP).
pub fn spki_sha256_base64(certificate_der: &[u8]) -> Option<String> {
    let spki = subject_public_key_info(certificate_der)?;
    Some(base64::engine::general_purpose::STANDARD.encode(Sha256::digest(spki)))
}

/// The SubjectPublicKeyInfo element (tag and length included) of an X.509 certificate:
/// Certificate → tbsCertificate → [version], serial, signature, issuer, validity, subject,
/// subjectPublicKeyInfo.
fn subject_public_key_info(der: &[u8]) -> Option<&[u8]> {
    let (certificate, _) = element(der)?;
    let (tbs, _) = element(content(certificate)?)?;
    let mut rest = content(tbs)?;
    let (first, after) = element(rest)?;
    // The explicit [0] version is optional (v1 certificates have none).
    if first.first() == Some(&0xA0) {
        rest = after;
    }
    for _ in 0..5 {
        rest = element(rest)?.1;
    }
    let (spki, _) = element(rest)?;
    (spki.first() == Some(&0x30)).then_some(spki)
}

/// The first DER element of `input` (whole), and what follows it.
fn element(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let (header, length) = header(input)?;
    let end = header.checked_add(length)?;
    (end <= input.len()).then(|| input.split_at(end))
}

/// An element's contents.
fn content(element: &[u8]) -> Option<&[u8]> {
    let (header, length) = header(element)?;
    element.get(header..header + length)
}

/// (header length, content length) of the element starting `input`; single-byte tags only
/// (all X.509 needs).
fn header(input: &[u8]) -> Option<(usize, usize)> {
    let first_length = *input.get(1)?;
    if first_length < 0x80 {
        return Some((2, usize::from(first_length)));
    }
    let count = usize::from(first_length & 0x7F);
    if count == 0 || count > 4 {
        return None;
    }
    let bytes = input.get(2..2 + count)?;
    let length = bytes
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    Some((2 + count, length))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A self-signed certificate (`openssl req -x509 -newkey ec -pkeyopt
    /// ec_paramgen_curve:P-256 -subj /CN=www.hirono.senate.gov`) and its pin as openssl
    /// computes it (`openssl x509 -pubkey -noout | openssl pkey -pubin -outform der |
    /// openssl dgst -sha256 -binary | base64`).
    const CERT_B64: &str = "MIIBlTCCATugAwIBAgIUWwFGNR/Rb96iyB8gh3KOk2NrYZMwCgYIKoZIzj0EAwIwIDEeMBwGA1UEAwwVd3d3Lmhpcm9uby5zZW5hdGUuZ292MB4XDTI2MTEyMzE1NDgxMloXDTM2MTEyMDE1NDgxMlowIDEeMBwGA1UEAwwVd3d3Lmhpcm9uby5zZW5hdGUuZ292MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEKtHOnPT/IsLFzjRWK/54A3qWsHHXXOy73MFft2JBXbTI5a1oY+wegf46sS1fKawr9fGR3KB4ekaONupzB/q2NKNTMFEwHQYDVR0OBBYEFNof49keasj95WJWZmTjnU4TFlcBMB8GA1UdIwQYMBaAFNof49keasj95WJWZmTjnU4TFlcBMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIhAK4O7FFi8SYg3Zx8USZCP98l6EGeu4L5UeSWTrUQ/087AiBpZbNES6ZrNxyElpGd1PU0EyuIPihuzteD5qhh6/9pHA==";
    const PIN: &str = "SLPsRfcmaX1Ld5ANIA+nQMWPbY53GsBEeSE9xac4GIQ=";

    #[test]
    fn the_pin_is_the_hash_of_the_public_key_as_openssl_computes_it() {
        let der = base64::engine::general_purpose::STANDARD
            .decode(CERT_B64)
            .unwrap();
        assert_eq!(spki_sha256_base64(&der).as_deref(), Some(PIN));
        assert_eq!(spki_sha256_base64(&der[..40]), None, "a cut certificate");
        let args = chromium_args(&FlagInputs {
            gate_url: "http://127.0.0.1:4567",
            profile_dir: Path::new("/tmp/profile"),
            extra_roots: &[der.into()],
            user_agent: None,
        })
        .unwrap();
        assert!(args.contains(&format!("--ignore-certificate-errors-spki-list={PIN}")));
    }

    #[test]
    fn der_lengths_short_and_long() {
        assert_eq!(header(&[0x30, 0x05]), Some((2, 5)));
        assert_eq!(header(&[0x30, 0x82, 0x01, 0xA2]), Some((4, 418)));
        assert_eq!(header(&[0x30, 0x80]), None);
        assert_eq!(
            element(&[0x02, 0x01, 0x07, 0xFF]),
            Some((&[0x02, 0x01, 0x07][..], &[0xFF][..]))
        );
        assert_eq!(element(&[0x02, 0x05, 0x07]), None, "longer than the input");
    }

    #[test]
    fn flags_route_everything_through_the_gate() {
        let args = chromium_args(&FlagInputs {
            gate_url: "http://127.0.0.1:4567",
            profile_dir: Path::new("/tmp/profile"),
            extra_roots: &[],
            user_agent: Some("hillpost/0.1"),
        })
        .unwrap();
        assert!(args.contains(&"--proxy-server=http://127.0.0.1:4567".to_string()));
        assert!(args.contains(&"--proxy-bypass-list=<-loopback>".to_string()));
        assert!(
            args.iter()
                .any(|a| a.starts_with("--host-resolver-rules=MAP * ~NOTFOUND"))
        );
        assert!(
            !args.iter().any(|a| a.contains("spki")),
            "no extra roots, no pins"
        );
        assert!(!args.iter().any(|a| a == "--ignore-certificate-errors"));
    }
}
