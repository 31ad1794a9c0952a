//! HTTPS on loopback under real names: a test serves an axum router with a certificate for
//! `www.risch.senate.gov` (and any other names it gives), and hands the client the
//! certificate as an extra trusted root plus address overrides that send those names to
//! 127.0.0.1. The URLs in the form definitions are then used unchanged.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// A running HTTPS server; stops when dropped.
pub struct HttpsServer {
    pub addr: SocketAddr,
    /// PEM of the self-signed certificate (trust it as an extra root).
    pub cert_pem_file: PathBuf,
    _dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for HttpsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `router` over TLS on 127.0.0.1 (a free port) with one certificate for `names`.
pub async fn serve_https(router: axum::Router, names: &[&str]) -> HttpsServer {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let key = rcgen::KeyPair::generate().expect("generating a key");
    let cert = rcgen::CertificateParams::new(names)
        .expect("certificate names")
        .self_signed(&key)
        .expect("self-signing");
    let dir = tempfile::tempdir().expect("temp dir");
    let cert_pem_file = dir.path().join("replica-root.pem");
    std::fs::write(&cert_pem_file, cert.pem()).expect("writing the certificate");

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .expect("server certificate");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("binding");
    let addr = listener.local_addr().expect("address");
    let tls = TlsListener {
        tcp: listener,
        acceptor: TlsAcceptor::from(Arc::new(config)),
    };
    let task = tokio::spawn(async move {
        let _ = axum::serve(tls, router.into_make_service()).await;
    });
    HttpsServer {
        addr,
        cert_pem_file,
        _dir: dir,
        task,
    }
}

/// Serves `router` over plain HTTP on 127.0.0.1; returns the address and the task.
pub async fn serve_http(router: axum::Router) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("binding");
    let addr = listener.local_addr().expect("address");
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router.into_make_service()).await;
    });
    (addr, task)
}

struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, peer)) = self.tcp.accept().await else {
                continue;
            };
            // A client that gives up during the handshake (a refused test) is just skipped.
            if let Ok(tls) = self.acceptor.accept(stream).await {
                return (tls, peer);
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}
