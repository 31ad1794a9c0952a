//! The browser's way out. Chromium cannot be handed our resolver or allow-list, so each
//! browser session is pointed (`--proxy-server`) at its own gate: a loopback HTTP proxy that
//! applies the egress policy to every connection the page makes — the form, its scripts and
//! images, redirects, whatever a script fetches.
//!
//! ```text
//!  Chromium ──CONNECT host:443──────▶ gate ─ allow-list, private-address rule (IP literals)
//!           ──GET http://host/… ────▶      ─ address overrides, else DNS, private addresses
//!                                           │  dropped unless allowed (GuardedResolver)
//!                                           └▶ the host, or CONNECT through the configured
//!                                              proxy (which then resolves the host itself)
//!  refused ──▶ 403 to Chromium, and the refusal kept for the attempt's note
//! ```
//!
//! TLS stays end to end between Chromium and the office; the gate only sees host names.
//! Plain-HTTP requests are forwarded one per connection (`Connection: close`), so a
//! connection Chromium reuses can never be pointed at a second host.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use url::Url;

use super::EgressError;
use super::client::Parts;

/// The longest request head the gate reads (Chromium's are a few hundred bytes).
const MAX_HEAD: usize = 32 * 1024;
/// How long a client may take to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(30);

/// A running gate; stops (with every connection through it) when dropped.
pub struct EgressGate {
    addr: SocketAddr,
    refusals: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl EgressGate {
    /// `http://127.0.0.1:PORT`, for Chromium's `--proxy-server`.
    pub fn proxy_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Forgets what was refused so far (a session passing to the next delivery).
    pub fn clear_refusals(&self) {
        self.refusals
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// What the gate refused so far, once each ("host: reason").
    pub fn refusals(&self) -> Vec<String> {
        self.refusals
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Drop for EgressGate {
    fn drop(&mut self) {
        // Dropping the accept loop drops its JoinSet, which aborts every open connection.
        self.task.abort();
    }
}

pub(super) async fn open(parts: Arc<Parts>) -> Result<EgressGate, EgressError> {
    if let Some(proxy) = &parts.proxy_url
        && proxy.scheme() != "http"
    {
        return Err(EgressError::BadProxy {
            url: proxy.to_string(),
            reason: "the browser path can reach a proxy only over http://".into(),
        });
    }
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| EgressError::Setup(format!("opening the browser's gate: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| EgressError::Setup(format!("opening the browser's gate: {e}")))?;
    let refusals = Arc::new(Mutex::new(Vec::new()));
    let task = tokio::spawn(accept_loop(listener, parts, Arc::clone(&refusals)));
    Ok(EgressGate {
        addr,
        refusals,
        task,
    })
}

async fn accept_loop(listener: TcpListener, parts: Arc<Parts>, refusals: Arc<Mutex<Vec<String>>>) {
    let mut connections = JoinSet::new();
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            continue;
        };
        while connections.try_join_next().is_some() {}
        // Only this machine's browser: the listener is on loopback, and nothing else
        // should be talking to it.
        if !peer.ip().is_loopback() {
            continue;
        }
        let parts = Arc::clone(&parts);
        let refusals = Arc::clone(&refusals);
        connections.spawn(async move {
            if let Err(refusal) = serve(stream, &parts).await {
                tracing::debug!(%refusal, "the browser's egress gate refused a connection");
                let mut refusals = refusals.lock().unwrap_or_else(|e| e.into_inner());
                if !refusals.contains(&refusal) {
                    refusals.push(refusal);
                }
            }
        });
    }
}

/// What Chromium asked the gate for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ask {
    /// `CONNECT host:port`: an opaque tunnel (https, wss).
    Tunnel { host: String, port: u16 },
    /// A plain-HTTP request in absolute form, forwarded with this head.
    Forward { url: Url, head: Vec<u8> },
}

impl Ask {
    fn host_port(&self) -> (String, u16) {
        match self {
            Ask::Tunnel { host, port } => (host.clone(), *port),
            Ask::Forward { url, .. } => (
                url.host_str().unwrap_or_default().to_string(),
                url.port_or_known_default().unwrap_or(80),
            ),
        }
    }

    /// The URL the allow-list judges.
    fn url(&self) -> Result<Url, String> {
        match self {
            Ask::Tunnel { host, port } => Url::parse(&format!("https://{host}:{port}/"))
                .map_err(|e| format!("`{host}:{port}` is not a host: {e}")),
            Ask::Forward { url, .. } => Ok(url.clone()),
        }
    }
}

/// Serves one connection; `Err` is a refusal worth reporting ("host: reason").
async fn serve(mut client: TcpStream, parts: &Parts) -> Result<(), String> {
    let (head, rest) = match tokio::time::timeout(HEAD_TIMEOUT, read_head(&mut client)).await {
        Ok(Ok(read)) => read,
        // A connection that never sends a request is nothing the page asked for.
        _ => return Ok(()),
    };
    let upstream_auth = parts.proxy_url.as_ref().map(proxy_authorization);
    let ask = match parse_ask(&head, upstream_auth) {
        Ok(ask) => ask,
        Err(reason) => {
            refuse(&mut client, 400, &reason).await;
            return Err(reason);
        }
    };
    let (host, port) = ask.host_port();
    let checked = ask
        .url()
        .and_then(|url| parts.check(&url).map_err(|e| e.to_string()));
    if let Err(reason) = checked {
        refuse(&mut client, 403, &reason).await;
        return Err(format!("{host}: {reason}"));
    }
    let mut upstream = match connect(parts, &ask, &host, port).await {
        Ok(stream) => stream,
        Err(err) => {
            let status = if matches!(err, EgressError::PrivateAddress { .. }) {
                403
            } else {
                502
            };
            refuse(&mut client, status, &err.to_string()).await;
            return Err(format!("{host}: {err}"));
        }
    };
    let sent = match &ask {
        Ask::Tunnel { .. } => {
            client
                .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                .await
        }
        Ask::Forward { head, .. } => upstream.write_all(head).await,
    };
    if sent.is_ok() && upstream.write_all(&rest).await.is_ok() {
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
    }
    Ok(())
}

/// Reads up to the end of the request head; returns the head and what followed it.
async fn read_head(stream: &mut (impl AsyncRead + Unpin)) -> std::io::Result<(Vec<u8>, Vec<u8>)> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = buf.split_off(end + 4);
            return Ok((buf, rest));
        }
        if buf.len() > MAX_HEAD {
            return Err(std::io::Error::other("request head too long"));
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Parses a proxy request head. A forwarded request gets `Connection: close` and loses the
/// hop-by-hop headers. `upstream` is `Some(credentials)` when it goes on to the configured
/// proxy: the target then stays absolute, with that proxy's credentials if any.
fn parse_ask(head: &[u8], upstream: Option<Option<String>>) -> Result<Ask, String> {
    let mut headers = [httparse::EMPTY_HEADER; 96];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => return Err("the browser sent an unreadable proxy request".into()),
    }
    let method = request.method.unwrap_or_default();
    let target = request.path.unwrap_or_default();
    if method.eq_ignore_ascii_case("CONNECT") {
        let (host, port) = target
            .rsplit_once(':')
            .and_then(|(h, p)| Some((h, p.parse::<u16>().ok()?)))
            .ok_or_else(|| format!("CONNECT `{target}` does not name host:port"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        return Ok(Ask::Tunnel {
            host: host.to_string(),
            port,
        });
    }
    let url = Url::parse(target).map_err(|_| format!("`{target}` is not an absolute URL"))?;
    if url.scheme() != "http" {
        return Err(format!(
            "`{target}`: only http:// requests are forwarded (https goes through CONNECT)"
        ));
    }
    let mut out = Vec::with_capacity(head.len() + 32);
    let line_target = if upstream.is_some() {
        url.as_str().to_string()
    } else {
        let mut origin = url.path().to_string();
        if let Some(query) = url.query() {
            origin.push('?');
            origin.push_str(query);
        }
        origin
    };
    out.extend_from_slice(format!("{method} {line_target} HTTP/1.1\r\n").as_bytes());
    for header in request.headers.iter() {
        let hop_by_hop = [
            "connection",
            "proxy-connection",
            "keep-alive",
            "proxy-authorization",
        ]
        .iter()
        .any(|h| header.name.eq_ignore_ascii_case(h));
        if !hop_by_hop {
            out.extend_from_slice(header.name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(header.value);
            out.extend_from_slice(b"\r\n");
        }
    }
    if let Some(Some(auth)) = &upstream {
        out.extend_from_slice(format!("Proxy-Authorization: {auth}\r\n").as_bytes());
    }
    out.extend_from_slice(b"Connection: close\r\n\r\n");
    Ok(Ask::Forward { url, head: out })
}

/// Connects to the target (its override or DNS addresses, filtered by the private-address
/// rule), or to the configured proxy with a tunnel (or a forwarded request) through it.
/// Through a proxy the name is resolved and filtered here first and the tunnel asked for
/// the address (`CONNECT ip:port`), so the proxy's own resolver cannot take a name to a
/// private address; TLS, end to end between Chromium and the office, keeps the name.
async fn connect(
    parts: &Parts,
    ask: &Ask,
    host: &str,
    port: u16,
) -> Result<TcpStream, EgressError> {
    let url = format!("{host}:{port}");
    let addresses = parts.resolver.addresses(host).await?;
    let Some(proxy) = &parts.proxy_url else {
        let mut last = String::from("no address");
        for mut addr in addresses {
            if addr.port() == 0 {
                addr.set_port(port);
            }
            match tokio::time::timeout(parts.connect_timeout, TcpStream::connect(addr)).await {
                Ok(Ok(stream)) => return Ok(stream),
                Ok(Err(e)) => last = format!("{addr}: {e}"),
                Err(_) => last = format!("{addr}: no answer in {:?}", parts.connect_timeout),
            }
        }
        return Err(EgressError::Connect { url, reason: last });
    };
    let proxy_host = proxy.host_str().unwrap_or_default();
    let proxy_port = proxy.port_or_known_default().unwrap_or(80);
    let connect_failed = |reason: String| EgressError::Connect {
        url: url.clone(),
        reason: format!("through the proxy {proxy_host}:{proxy_port}: {reason}"),
    };
    let mut stream = match tokio::time::timeout(
        parts.connect_timeout,
        TcpStream::connect((proxy_host, proxy_port)),
    )
    .await
    {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => return Err(connect_failed(e.to_string())),
        Err(_) => return Err(connect_failed("no answer in time".into())),
    };
    match ask {
        // The forwarded head already has the absolute target and the proxy's credentials
        // (plain HTTP only; its name was checked above).
        Ask::Forward { .. } => Ok(stream),
        Ask::Tunnel { .. } => {
            let mut target = addresses[0];
            if target.port() == 0 {
                target.set_port(port);
            }
            let mut request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
            if let Some(auth) = proxy_authorization(proxy) {
                request.push_str(&format!("Proxy-Authorization: {auth}\r\n"));
            }
            request.push_str("\r\n");
            stream
                .write_all(request.as_bytes())
                .await
                .map_err(|e| connect_failed(e.to_string()))?;
            let (head, _) =
                match tokio::time::timeout(parts.connect_timeout, read_head(&mut stream)).await {
                    Ok(Ok(read)) => read,
                    Ok(Err(e)) => return Err(connect_failed(e.to_string())),
                    Err(_) => return Err(connect_failed("no answer to CONNECT in time".into())),
                };
            let status_line = String::from_utf8_lossy(&head)
                .lines()
                .next()
                .unwrap_or_default()
                .to_string();
            if status_line.split_whitespace().nth(1) == Some("200") {
                Ok(stream)
            } else {
                Err(connect_failed(format!(
                    "the proxy answered `{status_line}`"
                )))
            }
        }
    }
}

/// `Basic …` for a proxy URL with a user name.
fn proxy_authorization(proxy: &Url) -> Option<String> {
    if proxy.username().is_empty() {
        return None;
    }
    let credentials = format!(
        "{}:{}",
        percent_decode(proxy.username()),
        percent_decode(proxy.password().unwrap_or_default())
    );
    Some(format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(credentials)
    ))
}

/// A URL's user name or password as written (`%40` → `@`).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn refuse(client: &mut TcpStream, status: u16, reason: &str) {
    let text = match status {
        400 => "Bad Request",
        403 => "Forbidden",
        _ => "Bad Gateway",
    };
    let body = format!("hillpost egress: {reason}\n");
    let answer = format!(
        "HTTP/1.1 {status} {text}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = client.write_all(answer.as_bytes()).await;
    let _ = client.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_and_absolute_requests_parse() {
        let ask = parse_ask(
            b"CONNECT www.hirono.senate.gov:443 HTTP/1.1\r\nHost: www.hirono.senate.gov:443\r\n\r\n",
            None,
        )
        .unwrap();
        assert_eq!(
            ask,
            Ask::Tunnel {
                host: "www.hirono.senate.gov".into(),
                port: 443
            }
        );
        let ask = parse_ask(
            b"GET http://www.murphy.senate.gov/contact?x=1 HTTP/1.1\r\nHost: www.murphy.senate.gov\r\nProxy-Connection: keep-alive\r\nAccept: */*\r\n\r\n",
            None,
        )
        .unwrap();
        let Ask::Forward { url, head } = ask else {
            panic!("a forward")
        };
        assert_eq!(url.as_str(), "http://www.murphy.senate.gov/contact?x=1");
        assert_eq!(
            String::from_utf8(head).unwrap(),
            "GET /contact?x=1 HTTP/1.1\r\nHost: www.murphy.senate.gov\r\nAccept: */*\r\nConnection: close\r\n\r\n"
        );
        assert!(parse_ask(b"GET /relative HTTP/1.1\r\n\r\n", None).is_err());
        assert!(parse_ask(b"CONNECT nohost HTTP/1.1\r\n\r\n", None).is_err());
        let via = parse_ask(
            b"GET http://www.murphy.senate.gov/ HTTP/1.1\r\nHost: www.murphy.senate.gov\r\n\r\n",
            Some(Some("Basic eDp5".into())),
        )
        .unwrap();
        let Ask::Forward { head, .. } = via else {
            panic!("a forward")
        };
        assert_eq!(
            String::from_utf8(head).unwrap(),
            "GET http://www.murphy.senate.gov/ HTTP/1.1\r\nHost: www.murphy.senate.gov\r\nProxy-Authorization: Basic eDp5\r\nConnection: close\r\n\r\n"
        );
    }

    #[test]
    fn proxy_credentials_become_basic_auth() {
        let url = Url::parse("http://egress%20user:p%40ss@proxy.example:3128").unwrap();
        assert_eq!(
            proxy_authorization(&url).unwrap(),
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode("egress user:p@ss")
            )
        );
        assert!(proxy_authorization(&Url::parse("http://proxy.example:3128").unwrap()).is_none());
    }
}
