//! DKIM for tests: keys made by `openssl`, and signatures checked by dkimpy
//! (`tests/support/dkim_verify.py`, Debian's python3-dkim and python3-nacl), a verifier
//! real mail systems run, not ours.
//!
//! ```no_run
//! use hillpost_testkit::dkim::{self, KeyKind};
//! let Some(key) = dkim::private_key("my_test", KeyKind::Rsa2048) else { return };
//! // … sign a message with `key`, publish `name` = `value` …
//! # let (raw, name, value) = (Vec::new(), String::new(), String::new());
//! let verdict = dkim::verify(&raw, &name, &value);
//! assert!(verdict.passed, "{}", verdict.detail);
//! ```

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The kinds of key `openssl genpkey` makes for the tests.
#[derive(Debug, Clone, Copy)]
pub enum KeyKind {
    Rsa2048,
    Ed25519,
}

/// A fresh private key as PKCS#8 PEM, or `None` (a loud skip) without `openssl`.
pub fn private_key(test: &str, kind: KeyKind) -> Option<String> {
    let args: &[&str] = match kind {
        KeyKind::Rsa2048 => &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
        ],
        KeyKind::Ed25519 => &["genpkey", "-algorithm", "ed25519"],
    };
    match Command::new("openssl").args(args).output() {
        Ok(out) if out.status.success() => {
            Some(String::from_utf8(out.stdout).expect("openssl writes PEM"))
        }
        _ => {
            crate::skip(test, "openssl", "Install openssl (Debian: openssl).");
            None
        }
    }
}

/// dkimpy's verdict on one message.
#[derive(Debug)]
pub struct Verdict {
    pub passed: bool,
    /// What dkimpy said: `pass`, or `fail: <why>`.
    pub detail: String,
}

/// Whether python3 can verify DKIM here; `false` after a loud skip.
pub fn verifier_available(test: &str) -> bool {
    let ok = Command::new("/usr/bin/python3")
        .args(["-c", "import dkim, nacl"])
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|out| out.status.success());
    if !ok {
        crate::skip(
            test,
            "a DKIM verifier (Debian python3-dkim and python3-nacl)",
            "apt-get install python3-dkim python3-nacl",
        );
    }
    ok
}

/// Checks `raw`'s DKIM signature with the key published as `record_name` = `record_value`
/// (given directly, no DNS).
pub fn verify(raw: &[u8], record_name: &str, record_value: &str) -> Verdict {
    let script: PathBuf = crate::repo_root().join("tests/support/dkim_verify.py");
    let mut child = Command::new("/usr/bin/python3")
        .arg(&script)
        .args([record_name, record_value])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", script.display()));
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(raw)
        .expect("write the message to the verifier");
    let out = child.wait_with_output().expect("the verifier ends");
    let detail = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout).trim(),
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Verdict {
        passed: out.status.success() && detail.starts_with("pass"),
        detail,
    }
}
