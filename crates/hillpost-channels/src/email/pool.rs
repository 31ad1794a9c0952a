//! A few open SMTP sessions, reused from one delivery to the next.
//!
//! Opening a session costs a TCP handshake, often TLS and a login; a batch of hundreds of
//! letters to one relay should pay that a handful of times. The pool holds at most
//! `max_connections` sessions, and a [`Turn`] (a semaphore permit) is needed to use one,
//! so no more than that many are ever open. Only sessions left clean (after a completed
//! or reset transaction) come back; anything doubtful is dropped.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::Ehlo;
use lettre::transport::smtp::extension::ClientId;
use secrecy::ExposeSecret;
use tokio::sync::{Semaphore, SemaphorePermit};

use super::EmailSetupError;
use super::pipeline;
use super::session::{Phase, Session, TransactionEnd};
use super::settings::{SmtpSettings, SmtpTls};
use super::stream::{ImplicitTls, SmtpStream};

/// Sessions idle longer than this are closed rather than reused: servers drop idle clients
/// (RFC 5321 asks them to wait at least 5 minutes; many wait less), and a session that
/// died in the pool costs a failed command before a fresh one is opened.
const MAX_IDLE: Duration = Duration::from_secs(30);

/// How long a polite QUIT may take before the connection is simply dropped.
const QUIT_TIMEOUT: Duration = Duration::from_secs(2);

pub(crate) struct Pool {
    settings: SmtpSettings,
    tls: Tls,
    hello: ClientId,
    idle: Mutex<Vec<Idle>>,
    turns: Semaphore,
}

/// TLS as configured: lettre upgrades a session for STARTTLS; TLS from the first byte is
/// ours, because the stream is (see `stream`).
enum Tls {
    None,
    Starttls(TlsParameters),
    Implicit(ImplicitTls),
}

struct Idle {
    session: Session,
    since: Instant,
}

/// The right to use one session; waiting for it is how sends beyond `max_connections`
/// queue up.
pub(crate) struct Turn<'a> {
    _permit: SemaphorePermit<'a>,
}

impl Pool {
    pub fn new(settings: SmtpSettings) -> Result<Self, EmailSetupError> {
        settings.validate()?;
        let tls_error = |reason: String| EmailSetupError::Tls {
            host: settings.host.clone(),
            reason,
        };
        let tls = match settings.tls {
            SmtpTls::None => Tls::None,
            SmtpTls::Starttls => Tls::Starttls(
                TlsParameters::new(settings.host.clone()).map_err(|e| tls_error(e.to_string()))?,
            ),
            SmtpTls::Tls => {
                Tls::Implicit(ImplicitTls::new().map_err(|e| tls_error(e.to_string()))?)
            }
        };
        Ok(Self {
            hello: ClientId::Domain(settings.hello_name.clone()),
            turns: Semaphore::new(settings.max_connections),
            idle: Mutex::new(Vec::new()),
            tls,
            settings,
        })
    }

    pub fn settings(&self) -> &SmtpSettings {
        &self.settings
    }

    pub async fn turn(&self) -> Turn<'_> {
        Turn {
            _permit: self
                .turns
                .acquire()
                .await
                .expect("the pool's semaphore is never closed"),
        }
    }

    /// The most recently used idle session, if one is fresh enough. Needs a [`Turn`].
    pub fn take_idle(&self, _turn: &Turn<'_>) -> Option<Session> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        while let Some(entry) = idle.pop() {
            if entry.since.elapsed() < MAX_IDLE && entry.session.usable() {
                return Some(entry.session);
            }
            quit_later(*entry.session.connection);
        }
        None
    }

    /// Gives back a session that is clean and ready for the next transaction.
    pub fn put_back(&self, session: Session) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        idle.push(Idle {
            session,
            since: Instant::now(),
        });
    }

    /// Opens a session: TCP (bounded by `connect_timeout`), TLS, greeting, EHLO, STARTTLS,
    /// login (together bounded by one more `command_timeout`). Needs a [`Turn`].
    pub async fn open(&self, _turn: &Turn<'_>) -> Result<Session, TransactionEnd> {
        let limit = self.settings.connect_timeout + self.settings.command_timeout;
        match tokio::time::timeout(limit, self.open_unbounded()).await {
            Ok(result) => result,
            Err(_) => Err(TransactionEnd::timed_out(Phase::Connect, limit)),
        }
    }

    async fn open_unbounded(&self) -> Result<Session, TransactionEnd> {
        let s = &self.settings;
        let implicit = match &self.tls {
            Tls::Implicit(tls) => Some(tls),
            Tls::None | Tls::Starttls(_) => None,
        };
        let stream = SmtpStream::connect(&s.host, s.port, s.connect_timeout, implicit)
            .await
            .map_err(|e| TransactionEnd::Broken {
                phase: Phase::Connect,
                timed_out: e.kind() == std::io::ErrorKind::TimedOut,
                detail: format!("connection error: {e}"),
            })?;
        let refused =
            |e: lettre::transport::smtp::Error| TransactionEnd::from_error(Phase::Connect, &e);
        let mut connection =
            AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello)
                .await
                .map_err(refused)?;
        if let Tls::Starttls(tls) = &self.tls {
            // Fails when the server does not offer STARTTLS: never fall back to plain text.
            connection
                .starttls(tls.clone(), &self.hello)
                .await
                .map_err(refused)?;
        }
        // lettre keeps no note of PIPELINING: ask once more (RFC 5321 allows a repeated
        // EHLO) and read the extensions ourselves. Before AUTH, which some servers undo on
        // a new EHLO.
        let ehlo = connection
            .command(Ehlo::new(self.hello.clone()))
            .await
            .map_err(refused)?;
        let pipelining = pipeline::offers(&ehlo, "PIPELINING");
        if let Some((username, password)) = s.credentials() {
            let credentials =
                Credentials::new(username.to_string(), password.expose_secret().to_string());
            connection
                .auth(&[Mechanism::Plain, Mechanism::Login], &credentials)
                .await
                .map_err(refused)?;
        }
        Ok(Session::new(connection, pipelining))
    }

    /// Closes every idle session with QUIT; at shutdown.
    pub async fn close(&self) {
        let idle: Vec<Idle> =
            std::mem::take(&mut *self.idle.lock().unwrap_or_else(|p| p.into_inner()));
        for mut entry in idle {
            let _ = tokio::time::timeout(QUIT_TIMEOUT, entry.session.connection.quit()).await;
        }
    }
}

/// Says goodbye to a session we no longer want, without making the caller wait.
fn quit_later(mut connection: AsyncSmtpConnection) {
    tokio::spawn(async move {
        let _ = tokio::time::timeout(QUIT_TIMEOUT, connection.quit()).await;
    });
}
