//! The private-address rule with a proxy configured (issue 15, finding 4): the proxy would
//! resolve names itself, so names are resolved and filtered before anything is asked of
//! it, and tunnels are asked for the address, not the name.

use std::sync::{Arc, Mutex};

use hillpost_channels::egress::{EgressError, EgressRequest, EgressSettings};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use url::Url;

/// A proxy on loopback that writes down each request line and refuses it.
struct RecordingProxy {
    url: String,
    asked: Arc<Mutex<Vec<String>>>,
}

async fn recording_proxy() -> RecordingProxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let asked = Arc::new(Mutex::new(Vec::new()));
    let log = asked.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
                    if stream.read(&mut byte).await.unwrap_or(0) == 0 {
                        break;
                    }
                    head.push(byte[0]);
                }
                let line = String::from_utf8_lossy(&head)
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_string();
                log.lock().unwrap().push(line);
                let _ = stream
                    .write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                    .await;
            });
        }
    });
    RecordingProxy { url, asked }
}

fn settings(proxy: &RecordingProxy, allow_private: bool) -> EgressSettings {
    EgressSettings {
        allowed_hosts: vec!["localhost".into(), "*.senate.gov".into()],
        allow_private_addresses: allow_private,
        // A public-looking office name that points at loopback (a poisoned definition, or
        // DNS rebinding).
        resolve: [(
            "www.risch.senate.gov".to_string(),
            "127.0.0.1:9".to_string(),
        )]
        .into(),
        proxy: Some(proxy.url.clone()),
        ..EgressSettings::default()
    }
}

#[tokio::test]
async fn names_that_resolve_to_private_addresses_are_refused_before_the_proxy() {
    let proxy = recording_proxy().await;
    let client = settings(&proxy, false).build().unwrap();
    for url in ["https://localhost/", "https://www.risch.senate.gov/contact"] {
        let error = client
            .fetch(EgressRequest::get(Url::parse(url).unwrap()))
            .await
            .unwrap_err();
        assert!(
            matches!(error, EgressError::PrivateAddress { .. }),
            "{url}: {error}"
        );
    }
    assert!(
        proxy.asked.lock().unwrap().is_empty(),
        "the proxy was asked: {:?}",
        proxy.asked.lock().unwrap()
    );
}

#[tokio::test]
async fn the_browser_gate_refuses_them_too_and_tunnels_to_the_address() {
    let proxy = recording_proxy().await;
    let client = settings(&proxy, false).build().unwrap();
    let gate = client.open_gate().await.unwrap();
    let gate_addr = gate.proxy_url().trim_start_matches("http://").to_string();
    let ask = |target: &'static str| {
        let gate_addr = gate_addr.clone();
        async move {
            let mut stream = tokio::net::TcpStream::connect(gate_addr).await.unwrap();
            stream
                .write_all(
                    format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n").as_bytes(),
                )
                .await
                .unwrap();
            let mut answer = vec![0u8; 512];
            let n = stream.read(&mut answer).await.unwrap_or(0);
            String::from_utf8_lossy(&answer[..n]).to_string()
        }
    };
    for target in ["localhost:443", "www.risch.senate.gov:443"] {
        let answer = ask(target).await;
        assert!(answer.starts_with("HTTP/1.1 403"), "{target}: {answer}");
    }
    assert!(proxy.asked.lock().unwrap().is_empty());

    // Where private addresses are allowed (tests on loopback), the tunnel is asked for
    // the address the name was resolved to, never for the name.
    let client = settings(&proxy, true).build().unwrap();
    let gate = client.open_gate().await.unwrap();
    let gate_addr = gate.proxy_url().trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(gate_addr).await.unwrap();
    stream
        .write_all(b"CONNECT www.risch.senate.gov:443 HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = vec![0u8; 512];
    let _ = stream.read(&mut answer).await;
    let asked = proxy.asked.lock().unwrap().clone();
    assert_eq!(asked, ["CONNECT 127.0.0.1:9 HTTP/1.1"]);
}
