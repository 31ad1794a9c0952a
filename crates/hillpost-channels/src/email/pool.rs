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
use lettre::transport::smtp::extension::ClientId;
use secrecy::ExposeSecret;
use tokio::sync::{Semaphore, SemaphorePermit};

use super::EmailSetupError;
use super::session::{Phase, TransactionEnd};
use super::settings::{SmtpSettings, SmtpTls};

/// Sessions idle longer than this are closed rather than reused: servers drop idle clients
/// (RFC 5321 asks them to wait at least 5 minutes; many wait less), and a session that
/// died in the pool costs a failed command before a fresh one is opened.
const MAX_IDLE: Duration = Duration::from_secs(30);

/// How long a polite QUIT may take before the connection is simply dropped.
const QUIT_TIMEOUT: Duration = Duration::from_secs(2);

pub(crate) struct Pool {
    settings: SmtpSettings,
    tls: Option<TlsParameters>,
    hello: ClientId,
    idle: Mutex<Vec<Idle>>,
    turns: Semaphore,
}

struct Idle {
    connection: AsyncSmtpConnection,
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
        let tls = match settings.tls {
            SmtpTls::None => None,
            SmtpTls::Starttls | SmtpTls::Tls => {
                Some(TlsParameters::new(settings.host.clone()).map_err(|source| {
                    EmailSetupError::Tls {
                        host: settings.host.clone(),
                        source,
                    }
                })?)
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
    pub fn take_idle(&self, _turn: &Turn<'_>) -> Option<AsyncSmtpConnection> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        while let Some(entry) = idle.pop() {
            if entry.since.elapsed() < MAX_IDLE && !entry.connection.has_broken() {
                return Some(entry.connection);
            }
            quit_later(entry.connection);
        }
        None
    }

    /// Gives back a session that is clean and ready for the next transaction.
    pub fn put_back(&self, connection: AsyncSmtpConnection) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        idle.push(Idle {
            connection,
            since: Instant::now(),
        });
    }

    /// Opens a session: TCP (bounded by `connect_timeout`), TLS, greeting, EHLO, STARTTLS,
    /// login (together bounded by one more `command_timeout`). Needs a [`Turn`].
    pub async fn open(&self, _turn: &Turn<'_>) -> Result<AsyncSmtpConnection, TransactionEnd> {
        let limit = self.settings.connect_timeout + self.settings.command_timeout;
        match tokio::time::timeout(limit, self.open_unbounded()).await {
            Ok(Ok(connection)) => Ok(connection),
            Ok(Err(error)) => Err(TransactionEnd::from_error(Phase::Connect, &error)),
            Err(_) => Err(TransactionEnd::timed_out(Phase::Connect, limit)),
        }
    }

    async fn open_unbounded(&self) -> Result<AsyncSmtpConnection, lettre::transport::smtp::Error> {
        let s = &self.settings;
        let implicit_tls = match s.tls {
            SmtpTls::Tls => self.tls.clone(),
            SmtpTls::None | SmtpTls::Starttls => None,
        };
        let mut connection = AsyncSmtpConnection::connect_tokio1(
            (s.host.as_str(), s.port),
            Some(s.connect_timeout),
            &self.hello,
            implicit_tls,
            None,
        )
        .await?;
        if let (SmtpTls::Starttls, Some(tls)) = (s.tls, &self.tls) {
            // Fails when the server does not offer STARTTLS: never fall back to plain text.
            connection.starttls(tls.clone(), &self.hello).await?;
        }
        if let Some((username, password)) = s.credentials() {
            let credentials =
                Credentials::new(username.to_string(), password.expose_secret().to_string());
            connection
                .auth(&[Mechanism::Plain, Mechanism::Login], &credentials)
                .await?;
        }
        Ok(connection)
    }

    /// Closes every idle session with QUIT; at shutdown.
    pub async fn close(&self) {
        let idle: Vec<Idle> =
            std::mem::take(&mut *self.idle.lock().unwrap_or_else(|p| p.into_inner()));
        for mut entry in idle {
            let _ = tokio::time::timeout(QUIT_TIMEOUT, entry.connection.quit()).await;
        }
    }
}

/// Says goodbye to a session we no longer want, without making the caller wait.
fn quit_later(mut connection: AsyncSmtpConnection) {
    tokio::spawn(async move {
        let _ = tokio::time::timeout(QUIT_TIMEOUT, connection.quit()).await;
    });
}
