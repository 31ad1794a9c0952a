//! A few open SMTP sessions, reused from one delivery to the next.
//!
//! Opening a session costs a TCP handshake, often TLS and a login; a batch of hundreds of
//! letters to one relay should pay that a handful of times. The pool holds at most
//! `max_connections` sessions, and a [`Turn`] (a semaphore permit) is needed to use one,
//! so no more than that many are ever open. Only sessions left clean (after a completed
//! or reset transaction) come back; anything doubtful is dropped.
//!
//! While every session is busy, letters wait for a turn in a line, each with its composed
//! message. A session about to send its message takes the first of them along: it writes
//! that letter's MAIL, RCPT and DATA behind its own final dot (PIPELINING), and once its own
//! reply is read hands the session, and its turn, straight to that letter, whose replies
//! are already on their way. One round trip per letter instead of two, one send instead of
//! two.
//!
//! ```text
//!   letter A: … message A + "." + MAIL/RCPT/DATA of B ─▶ reply to A ─▶ hand over ─┐
//!   letter B (waiting in line) ◀──────────────────────────────────────────────────┘
//!            replies to MAIL/RCPT/DATA ─▶ message B + "." + C's group ─▶ …
//! ```

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::Ehlo;
use lettre::transport::smtp::extension::ClientId;
use secrecy::ExposeSecret;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use super::EmailSetupError;
use super::compose::ComposedMessage;
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
    turns: Arc<Semaphore>,
    /// Letters waiting for a turn, first come first: see the module comment.
    line: Mutex<VecDeque<InLine>>,
    next_in_line: AtomicU64,
}

/// A letter waiting for a turn, with what a session needs to open its transaction ahead.
struct InLine {
    id: u64,
    message: Arc<ComposedMessage>,
    handoff: oneshot::Sender<Handoff>,
}

/// What a letter taken from the line receives once the session that took it is done with
/// its own letter: the turn, and the session unless it could not be kept (then the letter's
/// commands went with the connection, nothing of its message left, and it opens a new one).
pub(crate) struct Handoff {
    pub turn: Turn,
    pub session: Option<Session>,
}

/// The first letter of the line, taken by a session that wrote its commands ahead; handed
/// the session with [`Pool::hand_over`].
pub(crate) struct Next {
    handoff: oneshot::Sender<Handoff>,
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
pub(crate) struct Turn {
    _permit: OwnedSemaphorePermit,
}

/// Takes a letter out of the line when it stops waiting without having been taken.
struct LeaveLine<'a> {
    pool: &'a Pool,
    id: u64,
}

impl LeaveLine<'_> {
    /// `true` when the letter was still in line (and no session will hand it anything).
    fn leave(self) -> bool {
        let left = self.pool.leave_line(self.id);
        std::mem::forget(self);
        left
    }
}

impl Drop for LeaveLine<'_> {
    fn drop(&mut self) {
        self.pool.leave_line(self.id);
    }
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
            turns: Arc::new(Semaphore::new(settings.max_connections)),
            idle: Mutex::new(Vec::new()),
            line: Mutex::new(VecDeque::new()),
            next_in_line: AtomicU64::new(0),
            tls,
            settings,
        })
    }

    pub fn settings(&self) -> &SmtpSettings {
        &self.settings
    }

    /// A turn to send `message`: at once when one is free; otherwise in line, either as a
    /// turn freed for anyone or handed over with a session on which `message`'s transaction
    /// is already opening (then `Some(session)`: continue with `Session::resume`).
    pub async fn turn(&self, message: &Arc<ComposedMessage>) -> (Turn, Option<Session>) {
        if let Ok(permit) = self.turns.clone().try_acquire_owned() {
            return (Turn { _permit: permit }, None);
        }
        let (handoff, mut handed) = oneshot::channel();
        let id = self.next_in_line.fetch_add(1, Ordering::Relaxed);
        self.lock_line().push_back(InLine {
            id,
            message: message.clone(),
            handoff,
        });
        let in_line = LeaveLine { pool: self, id };
        let freed = tokio::select! {
            biased;
            handoff = &mut handed => {
                std::mem::forget(in_line);
                handoff.ok()
            }
            permit = self.turns.clone().acquire_owned() => {
                let permit = permit.expect("the pool's semaphore is never closed");
                if in_line.leave() {
                    return (Turn { _permit: permit }, None);
                }
                // Taken from the line meanwhile: its session is on the way.
                drop(permit);
                handed.await.ok()
            }
        };
        match freed {
            Some(Handoff { turn, session }) => (turn, session),
            // The session that took it was dropped unfinished (only if it panicked).
            None => (self.plain_turn().await, None),
        }
    }

    async fn plain_turn(&self) -> Turn {
        let permit = self.turns.clone().acquire_owned().await;
        Turn {
            _permit: permit.expect("the pool's semaphore is never closed"),
        }
    }

    fn lock_line(&self) -> std::sync::MutexGuard<'_, VecDeque<InLine>> {
        self.line.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether letter `id` was still in line (it is not any more).
    fn leave_line(&self, id: u64) -> bool {
        let mut line = self.lock_line();
        match line.iter().position(|l| l.id == id) {
            Some(at) => {
                line.remove(at);
                true
            }
            None => false,
        }
    }

    /// Takes the first letter of the line along with `session`'s next message: its
    /// transaction's commands are written behind that message (see
    /// `Session::write_ahead`). `None` when no letter waits or the session cannot open
    /// the first one's transaction ahead.
    pub fn take_next(&self, session: &Session) -> Option<Next> {
        let mut line = self.lock_line();
        let first = line.front()?;
        if !session.write_ahead(&first.message) {
            return None;
        }
        line.pop_front().map(|l| Next { handoff: l.handoff })
    }

    /// Gives `turn` and `session` (when it can be kept) to the letter taken with
    /// [`Pool::take_next`]. Should that letter have stopped waiting meanwhile, the session
    /// is dropped: the server has its commands and would wait for a message (it discards
    /// the transaction when the connection closes).
    pub fn hand_over(&self, next: Next, turn: Turn, session: Option<Session>) {
        if let Err(Handoff {
            session: Some(session),
            ..
        }) = next.handoff.send(Handoff { turn, session })
        {
            drop(session);
        }
    }

    /// The most recently used idle session, if one is fresh enough. Needs a [`Turn`].
    pub fn take_idle(&self, _turn: &Turn) -> Option<Session> {
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
    pub async fn open(&self, _turn: &Turn) -> Result<Session, TransactionEnd> {
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
        let ahead = stream.write_ahead();
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
        Ok(Session::new(connection, pipelining, ahead))
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
