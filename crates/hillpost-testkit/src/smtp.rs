//! A real SMTP server per test: `tests/support/smtp_server.py` (Debian's python3-aiosmtpd)
//! on a port the OS picks, storing what it accepts in a Maildir, with faults on demand.
//!
//! ```no_run
//! # async fn example() {
//! use hillpost_testkit::smtp::{Faults, SmtpServer};
//! let Some(server) = SmtpServer::start("my_test", Faults::default()) else { return };
//! // … send to 127.0.0.1:server.port() …
//! let messages = server.wait_for_messages(1).await;
//! assert_eq!(messages[0].header("Subject"), Some("Hello"));
//! # }
//! ```

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use serde::Deserialize;

/// What the server does wrong, on purpose.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// The first `n` DATA commands get `code` (e.g. 451) and nothing is stored.
    pub fail_first: Option<(u32, u16)>,
    /// Every DATA command is refused with this code (e.g. 550).
    pub reject_code: Option<u16>,
    /// The first `n` messages are stored, then the connection is cut without a reply.
    pub cut_after_data: u32,
    /// A wait before each DATA reply, after the message was stored and logged.
    pub delay: Duration,
    /// Connections idle this long are closed by the server (default 300 s), as real
    /// servers do to clients that keep sessions open.
    pub idle_timeout: Option<Duration>,
    /// Every RCPT TO is refused with this code (e.g. 550).
    pub reject_rcpt: Option<u16>,
    /// The server advertises PIPELINING (RFC 2920).
    pub pipelining: bool,
}

impl Faults {
    pub fn fail_first(n: u32, code: u16) -> Self {
        Self {
            fail_first: Some((n, code)),
            ..Self::default()
        }
    }

    pub fn reject(code: u16) -> Self {
        Self {
            reject_code: Some(code),
            ..Self::default()
        }
    }

    pub fn cut_after_data(n: u32) -> Self {
        Self {
            cut_after_data: n,
            ..Self::default()
        }
    }

    pub fn delay(delay: Duration) -> Self {
        Self {
            delay,
            ..Self::default()
        }
    }

    pub fn idle_timeout(timeout: Duration) -> Self {
        Self {
            idle_timeout: Some(timeout),
            ..Self::default()
        }
    }

    pub fn pipelining() -> Self {
        Self {
            pipelining: true,
            ..Self::default()
        }
    }

    pub fn reject_rcpt(code: u16) -> Self {
        Self {
            reject_rcpt: Some(code),
            ..Self::default()
        }
    }

    fn args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some((n, code)) = self.fail_first {
            args.extend(["--fail-first".into(), n.to_string()]);
            args.extend(["--fail-code".into(), code.to_string()]);
        }
        if let Some(code) = self.reject_code {
            args.extend(["--reject-code".into(), code.to_string()]);
        }
        args.extend(["--cut-after-data".into(), self.cut_after_data.to_string()]);
        args.extend(["--delay-ms".into(), self.delay.as_millis().to_string()]);
        if let Some(timeout) = self.idle_timeout {
            args.extend(["--idle-timeout-ms".into(), timeout.as_millis().to_string()]);
        }
        if let Some(code) = self.reject_rcpt {
            args.extend(["--reject-rcpt".into(), code.to_string()]);
        }
        if self.pipelining {
            args.push("--pipelining".into());
        }
        args
    }
}

/// One DATA command as the server logged it.
#[derive(Debug, Clone, Deserialize)]
pub struct DataLogEntry {
    /// Unix time, in seconds, when the message had been received.
    pub received_at: f64,
    /// The client's `ip:port`: one per connection, so it shows connection reuse.
    pub peer: String,
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
    pub message_id: Option<String>,
    /// The reply given, or a note that the connection was cut instead.
    pub reply: String,
    /// The Maildir key when the message was stored.
    pub stored: Option<String>,
    pub cut: bool,
}

/// A running test SMTP server; killed when dropped.
pub struct SmtpServer {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl SmtpServer {
    /// Starts a server for `test`, or reports the skip and returns `None` when this machine
    /// has no python3 with aiosmtpd (a failure under `HILLPOST_TEST_REQUIRE_ALL=1`).
    pub fn start(test: &str, faults: Faults) -> Option<SmtpServer> {
        let python = match usable_python() {
            Ok(python) => python,
            Err(why) => {
                crate::skip(
                    test,
                    "an SMTP server (Debian python3-aiosmtpd)",
                    &format!(
                        "({why}) Install python3-aiosmtpd, or set HILLPOST_TEST_PYTHON to a \
                         python3 that can import aiosmtpd."
                    ),
                );
                return None;
            }
        };
        let dir = tempfile::tempdir().expect("create a temporary directory");
        let stderr =
            std::fs::File::create(dir.path().join("server.stderr")).expect("create stderr file");
        let script = crate::repo_root().join("tests/support/smtp_server.py");
        let mut child = Command::new(python)
            .arg(&script)
            .arg("--maildir")
            .arg(dir.path().join("maildir"))
            .arg("--log")
            .arg(dir.path().join("data.jsonl"))
            .args(faults.args())
            // Held open by `child`: the server exits when it closes, even if we are killed.
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", script.display()));

        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_default();
        let port = line
            .strip_prefix("READY ")
            .and_then(|p| p.trim().parse().ok());
        let mut server = SmtpServer {
            child,
            port: 0,
            dir,
        };
        match port {
            Some(port) => server.port = port,
            None => panic!(
                "the test SMTP server did not start (said {line:?}); its stderr:\n{}",
                std::fs::read_to_string(server.dir.path().join("server.stderr"))
                    .unwrap_or_default()
            ),
        }
        Some(server)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn maildir(&self) -> PathBuf {
        self.dir.path().join("maildir")
    }

    /// Every DATA command so far, in order.
    pub fn log(&self) -> Vec<DataLogEntry> {
        let text = std::fs::read_to_string(self.dir.path().join("data.jsonl")).unwrap_or_default();
        // A line without its newline is still being written: leave it for the next look.
        text.split_inclusive('\n')
            .filter(|line| line.ends_with('\n'))
            .map(|line| serde_json::from_str(line).expect("the server logs JSON lines"))
            .collect()
    }

    /// Every stored message so far, in the order received, parsed.
    pub fn messages(&self) -> Vec<ParsedEmail> {
        self.log()
            .iter()
            .filter_map(|entry| entry.stored.as_deref())
            .map(|key| {
                let path = self.maildir().join("new").join(key);
                let raw =
                    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
                ParsedEmail::parse(raw).expect("the server stored a parseable message")
            })
            .collect()
    }

    /// Waits (up to 10 s) until at least `n` DATA commands were logged.
    pub async fn wait_for_log(&self, n: usize) -> Vec<DataLogEntry> {
        crate::poll_until(
            &format!("{n} DATA commands"),
            Duration::from_secs(10),
            || async { Some(self.log()).filter(|log| log.len() >= n) },
        )
        .await
    }

    /// Waits (up to 10 s) until at least `n` messages were stored.
    pub async fn wait_for_messages(&self, n: usize) -> Vec<ParsedEmail> {
        crate::poll_until(
            &format!("{n} stored messages"),
            Duration::from_secs(10),
            || async {
                let stored = self.log().iter().filter(|e| e.stored.is_some()).count();
                (stored >= n).then(|| self.messages())
            },
        )
        .await
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The python to run the server with, checked once per test binary.
fn usable_python() -> Result<&'static Path, String> {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            let python = match std::env::var_os("HILLPOST_TEST_PYTHON") {
                Some(python) => PathBuf::from(python),
                // Debian's own python has python3-aiosmtpd; a pyenv or venv python first on
                // PATH usually does not.
                None if Path::new("/usr/bin/python3").exists() => "/usr/bin/python3".into(),
                None => "python3".into(),
            };
            let check = Command::new(&python)
                .args(["-c", "import aiosmtpd"])
                .stdin(Stdio::null())
                .output();
            match check {
                Ok(out) if out.status.success() => Ok(python),
                Ok(out) => Err(format!(
                    "{} cannot import aiosmtpd: {}",
                    python.display(),
                    // The traceback's last line says what is missing.
                    String::from_utf8_lossy(&out.stderr)
                        .lines()
                        .last()
                        .unwrap_or("")
                )),
                Err(e) => Err(format!("cannot run {}: {e}", python.display())),
            }
        })
        .as_ref()
        .map(PathBuf::as_path)
        .map_err(Clone::clone)
}

/// A message parsed for assertions: decoded headers, text and HTML parts, attachments.
#[derive(Debug, Clone)]
pub struct ParsedEmail {
    /// The bytes as stored.
    pub raw: Vec<u8>,
    /// Every header in order, values decoded (RFC 2047).
    pub headers: Vec<(String, String)>,
    /// The first text/plain part that is not an attachment, decoded, with `\n` line ends.
    pub text: Option<String>,
    /// The first text/html part that is not an attachment, decoded, with `\n` line ends.
    pub html: Option<String>,
    pub attachments: Vec<ParsedAttachment>,
    /// The MIME types of all parts, depth first: the message's structure.
    pub mime_types: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedAttachment {
    pub filename: Option<String>,
    pub content_type: String,
    /// Decoded (base64 and the like undone).
    pub content: Vec<u8>,
}

/// A parsed address header entry: `"Name" <address>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedMailbox {
    pub name: Option<String>,
    pub address: String,
}

impl ParsedEmail {
    /// Parses a whole message (a stored file, an outbox `.eml`).
    pub fn parse(raw: Vec<u8>) -> Result<Self, String> {
        let mut email = {
            let mail = mailparse::parse_mail(&raw).map_err(|e| e.to_string())?;
            let mut email = ParsedEmail {
                raw: Vec::new(),
                headers: mail
                    .headers
                    .iter()
                    .map(|h| (h.get_key(), h.get_value()))
                    .collect(),
                text: None,
                html: None,
                attachments: Vec::new(),
                mime_types: Vec::new(),
            };
            email.walk(&mail)?;
            email
        };
        email.raw = raw;
        Ok(email)
    }

    fn walk(&mut self, part: &mailparse::ParsedMail<'_>) -> Result<(), String> {
        let mime_type = part.ctype.mimetype.to_ascii_lowercase();
        self.mime_types.push(mime_type.clone());
        let disposition = part.get_content_disposition();
        if disposition.disposition == mailparse::DispositionType::Attachment {
            self.attachments.push(ParsedAttachment {
                filename: disposition.params.get("filename").cloned(),
                content_type: mime_type,
                content: part.get_body_raw().map_err(|e| e.to_string())?,
            });
        } else if mime_type == "text/plain" && self.text.is_none() {
            self.text = Some(body_text(part)?);
        } else if mime_type == "text/html" && self.html.is_none() {
            self.html = Some(body_text(part)?);
        }
        for sub in &part.subparts {
            self.walk(sub)?;
        }
        Ok(())
    }

    /// The first header called `name` (any case), decoded.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// How many headers are called `name` (any case).
    pub fn header_count(&self, name: &str) -> usize {
        self.headers
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .count()
    }

    /// The single mailbox in an address header (`From`, `To`, `Reply-To`).
    pub fn mailbox(&self, name: &str) -> Option<ParsedMailbox> {
        let mail = mailparse::parse_mail(&self.raw).ok()?;
        let header = mail
            .headers
            .iter()
            .find(|h| h.get_key().eq_ignore_ascii_case(name))?;
        let list = mailparse::addrparse_header(header).ok()?;
        match list.extract_single_info() {
            Some(info) => Some(ParsedMailbox {
                name: info.display_name,
                address: info.addr,
            }),
            None => None,
        }
    }
}

/// A text part decoded to a string, CRLF line ends (as SMTP carries them) made `\n`.
fn body_text(part: &mailparse::ParsedMail<'_>) -> Result<String, String> {
    let text = part.get_body().map_err(|e| e.to_string())?;
    Ok(text.replace("\r\n", "\n"))
}
