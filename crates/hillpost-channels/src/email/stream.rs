//! The byte stream under every SMTP session: opened here and handed to lettre
//! (`AsyncSmtpConnection::connect_with_transport`), because lettre's own connect leaves two
//! things as the operating system's defaults that cost a letter ~40 ms each:
//!
//! - **`TCP_NODELAY`.** lettre writes the message and its final `.` in two writes. With
//!   Nagle's algorithm on, the second small write waits for the first one's ACK, and the
//!   server delays that ACK (up to 40 ms on Linux) hoping to piggy-back it on a reply it can
//!   only give after the dot: each letter stalled until the delayed-ACK timer fired.
//! - **Small writes.** lettre flushes after every command and message part. Here writes are
//!   gathered and leave together when the client next waits for a reply: a pipelined
//!   `MAIL`/`RCPT`/`DATA` group, or a message with its final dot, is one TCP send.
//!
//! ```text
//!   lettre ─write+flush─▶ Gathered (buffer) ─on read/shutdown─▶ [TLS] ─▶ TcpStream (NODELAY)
//! ```
//!
//! Deferring the flush to the next read is safe for SMTP because a client always waits for
//! a reply after it has said something (and on shutdown the buffer is sent first). The only
//! bytes ever dropped unsent are those of a session dropped on purpose.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use lettre::transport::smtp::client::AsyncTokioStream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// Writes gathered beyond this go out at once: bounds the buffer for large attachments.
const GATHER_LIMIT: usize = 64 * 1024;

/// The most a server may send between two things we say. A reply line is at most 512
/// bytes (RFC 5321 4.5.3.1.5) and the longest reply (EHLO's, or a pipelined group's) a few
/// dozen lines. lettre checks a reply line's length only once the line has ended, holding
/// all of it until then: without this, a broken or hostile server sending bytes without a
/// line end could fill the worker's memory (a test's 256 MiB flood was read whole).
const REPLY_LIMIT: usize = 64 * 1024;

/// A connected stream to an SMTP server, plain or TLS from the first byte.
pub(crate) struct SmtpStream {
    inner: Inner,
    peer: SocketAddr,
    /// Bytes read since we last wrote.
    unasked: usize,
    /// Shared with the session that owns the connection: see [`WriteAhead`].
    ahead: WriteAhead,
}

/// Bytes to follow whatever was last written, sent with it when a reply is next awaited:
/// the next transaction's `MAIL`/`RCPT`/`DATA` group behind a message's final dot, so
/// both leave in one send (RFC 2920 lets message content open a group). A handle to the
/// stream lettre owns once the session is open, kept by the session.
#[derive(Clone, Default)]
pub(crate) struct WriteAhead(Arc<std::sync::Mutex<Vec<u8>>>);

impl WriteAhead {
    /// Queues `bytes` behind what is written before the next read.
    pub fn push(&self, bytes: &[u8]) {
        self.lock().extend_from_slice(bytes);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<u8>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

enum Inner {
    Plain(Gathered<TcpStream>),
    Tls(Box<TlsStream<Gathered<TcpStream>>>),
}

impl SmtpStream {
    /// Connects to `host:port` (each resolved address in turn, each bounded by `timeout`)
    /// with `TCP_NODELAY`, and when `tls` is given, completes a TLS handshake for `host`.
    pub async fn connect(
        host: &str,
        port: u16,
        timeout: Duration,
        tls: Option<&ImplicitTls>,
    ) -> io::Result<Self> {
        let tcp = connect_tcp(host, port, timeout).await?;
        let peer = tcp.peer_addr()?;
        let gathered = Gathered::new(tcp);
        let inner = match tls {
            None => Inner::Plain(gathered),
            Some(tls) => {
                let name = rustls::pki_types::ServerName::try_from(host.to_string())
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
                let connecting = tls.connector.connect(name, gathered);
                let stream = tokio::time::timeout(timeout, connecting)
                    .await
                    .map_err(|_| {
                        io::Error::new(io::ErrorKind::TimedOut, "TLS handshake timed out")
                    })??;
                Inner::Tls(Box::new(stream))
            }
        };
        Ok(Self {
            inner,
            peer,
            unasked: 0,
            ahead: WriteAhead::default(),
        })
    }

    /// The handle through which bytes are queued behind the next write.
    pub fn write_ahead(&self) -> WriteAhead {
        self.ahead.clone()
    }

    /// Moves what was queued ahead into the write buffer, behind what was written so far
    /// (through [`SmtpStream`]'s own `poll_write`, like any other write).
    fn poll_write_ahead(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let handle = self.ahead.clone();
        let mut ahead = handle.lock();
        while !ahead.is_empty() {
            let written = ready!(Pin::new(&mut *self).poll_write(cx, &ahead))?;
            if written == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            ahead.drain(..written);
        }
        Poll::Ready(Ok(()))
    }
}

async fn connect_tcp(host: &str, port: u16, timeout: Duration) -> io::Result<TcpStream> {
    let mut last_error = None;
    for address in tokio::net::lookup_host((host, port)).await? {
        match tokio::time::timeout(timeout, TcpStream::connect(address)).await {
            Ok(Ok(tcp)) => {
                tcp.set_nodelay(true)?;
                return Ok(tcp);
            }
            Ok(Err(e)) => last_error = Some(e),
            Err(_) => {
                last_error = Some(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("connecting to {address} timed out"),
                ));
            }
        }
    }
    Err(last_error.unwrap_or_else(|| {
        io::Error::new(io::ErrorKind::NotFound, format!("{host} has no address"))
    }))
}

/// TLS from the first byte (SMTPS): the server's certificate checked against the web PKI
/// roots, as lettre's own TLS does for STARTTLS.
#[derive(Clone)]
pub(crate) struct ImplicitTls {
    connector: tokio_rustls::TlsConnector,
}

impl ImplicitTls {
    pub fn new() -> Result<Self, rustls::Error> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self {
            connector: tokio_rustls::TlsConnector::from(Arc::new(config)),
        })
    }
}

impl fmt::Debug for SmtpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.inner {
            Inner::Plain(_) => "plain",
            Inner::Tls(_) => "tls",
        };
        f.debug_struct("SmtpStream")
            .field("peer", &self.peer)
            .field("kind", &kind)
            .finish()
    }
}

impl AsyncTokioStream for SmtpStream {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.peer)
    }
}

impl AsyncRead for SmtpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.unasked > REPLY_LIMIT {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "the server sent more than {REPLY_LIMIT} bytes without being asked anything: not an SMTP reply"
                ),
            )));
        }
        ready!(this.poll_write_ahead(cx))?;
        let before = buf.filled().len();
        ready!(match &mut this.inner {
            Inner::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Inner::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        })?;
        this.unasked += buf.filled().len() - before;
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for SmtpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = ready!(match &mut this.inner {
            Inner::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Inner::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        })?;
        if written > 0 {
            // What comes next is a reply to this.
            this.unasked = 0;
        }
        Poll::Ready(Ok(written))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().inner {
            Inner::Plain(s) => Pin::new(s).poll_flush(cx),
            Inner::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match &mut self.get_mut().inner {
            Inner::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Inner::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// A stream whose writes wait in a buffer until the next read (or shutdown), then leave in
/// as few sends as the socket takes. `poll_flush` does not send: see the module comment.
pub(crate) struct Gathered<S> {
    inner: S,
    pending: Vec<u8>,
    /// How much of `pending` has been sent.
    sent: usize,
}

impl<S> Gathered<S> {
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            pending: Vec::new(),
            sent: 0,
        }
    }
}

impl<S: AsyncWrite + Unpin> Gathered<S> {
    /// Sends everything pending.
    fn poll_send(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.sent < self.pending.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.sent..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.sent += n;
        }
        self.pending.clear();
        self.sent = 0;
        Pin::new(&mut self.inner).poll_flush(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for Gathered<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        // Whoever reads is waiting for a reply to what it wrote: send that first.
        ready!(this.poll_send(cx))?;
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Gathered<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.pending.len() >= GATHER_LIMIT {
            ready!(this.poll_send(cx))?;
        }
        let taken = buf.len().min(GATHER_LIMIT - this.pending.len());
        this.pending.extend_from_slice(&buf[..taken]);
        Poll::Ready(Ok(taken))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Deferred to the next read or shutdown.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_send(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[tokio::test]
    async fn writes_leave_together_when_a_reply_is_awaited() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut reads = Vec::new();
            let mut buf = [0u8; 1024];
            let mut total = Vec::new();
            while total.len() < 26 {
                let n = socket.read(&mut buf).await.unwrap();
                reads.push(n);
                total.extend_from_slice(&buf[..n]);
            }
            socket.write_all(b"250 ok\r\n").await.unwrap();
            (reads, total)
        });
        let mut stream = SmtpStream::connect("127.0.0.1", port, Duration::from_secs(5), None)
            .await
            .unwrap();
        for part in [&b"MAIL FROM:<a@b>\r\n"[..], b"DATA\r\n", b".\r\n"] {
            stream.write_all(part).await.unwrap();
            stream.flush().await.unwrap();
        }
        let mut reply = [0u8; 8];
        stream.read_exact(&mut reply).await.unwrap();
        let (reads, total) = server.await.unwrap();
        assert_eq!(&reply, b"250 ok\r\n");
        assert_eq!(total, b"MAIL FROM:<a@b>\r\nDATA\r\n.\r\n");
        assert_eq!(reads, [26], "three flushed writes arrived as one send");
        assert!(matches!(&stream.inner, Inner::Plain(g) if g.inner.nodelay().unwrap()));
    }

    #[tokio::test]
    async fn large_writes_are_sent_in_bounded_pieces_and_shutdown_sends_the_rest() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut all = Vec::new();
            socket.read_to_end(&mut all).await.unwrap();
            all
        });
        let mut stream = SmtpStream::connect("127.0.0.1", port, Duration::from_secs(5), None)
            .await
            .unwrap();
        let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        stream.write_all(&big).await.unwrap();
        if let Inner::Plain(g) = &stream.inner {
            assert!(g.pending.len() <= GATHER_LIMIT);
        }
        stream.shutdown().await.unwrap();
        assert_eq!(server.await.unwrap(), big);
    }
}
