//! The egress policy against real HTTPS servers on loopback, reached under office names
//! through address overrides.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use hillpost_channels::egress::{EgressClient, EgressError, EgressRequest, EgressSettings};
use hillpost_testkit::https::{HttpsServer, serve_https};
use url::Url;

const OFFICE: &str = "www.risch.senate.gov";

fn router() -> Router {
    Router::new()
        .route("/ok", get(|| async { "hello from the office" }))
        .route(
            "/away",
            get(|| async { Redirect::to("https://evil.example.com/steal") }),
        )
        .route(
            "/inside",
            get(|| async { Redirect::to("https://www.risch.senate.gov/ok") }),
        )
        .route("/big", get(|| async { "x".repeat(10_000) }))
        .route(
            "/busy",
            get(|| async {
                let mut headers = HeaderMap::new();
                headers.insert(header::RETRY_AFTER, "42".parse().unwrap());
                (StatusCode::SERVICE_UNAVAILABLE, headers, "busy")
            }),
        )
        .route(
            "/slow-down",
            get(|| async {
                let when = std::time::SystemTime::now() + Duration::from_secs(120);
                let mut headers = HeaderMap::new();
                headers.insert(
                    header::RETRY_AFTER,
                    httpdate::fmt_http_date(when).parse().unwrap(),
                );
                (StatusCode::TOO_MANY_REQUESTS, headers, "").into_response()
            }),
        )
}

fn settings(server: &HttpsServer, allow_private: bool) -> EgressSettings {
    EgressSettings {
        allow_private_addresses: allow_private,
        resolve: [(format!("{OFFICE}:443"), server.addr.to_string())].into(),
        extra_root_certs: vec![server.cert_pem_file.clone()],
        max_body_bytes: 4096,
        ..EgressSettings::default()
    }
}

fn at(path: &str) -> Url {
    Url::parse(&format!("https://{OFFICE}{path}")).unwrap()
}

async fn client(allow_private: bool) -> (HttpsServer, EgressClient) {
    let server = serve_https(router(), &[OFFICE]).await;
    let client = settings(&server, allow_private).build().unwrap();
    (server, client)
}

#[tokio::test]
async fn an_allowed_office_is_reached_under_its_real_name() {
    let (_server, client) = client(true).await;
    let answer = client.fetch(EgressRequest::get(at("/ok"))).await.unwrap();
    assert_eq!(answer.status, 200);
    assert_eq!(answer.text(), "hello from the office");
    assert_eq!(answer.url, at("/ok"));
    let followed = client
        .fetch(EgressRequest::get(at("/inside")))
        .await
        .unwrap();
    assert_eq!(
        followed.url,
        at("/ok"),
        "a redirect within the list is followed"
    );
}

#[tokio::test]
async fn a_host_off_the_list_is_refused_without_a_connection() {
    let accepted = Arc::new(AtomicUsize::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let counter = Arc::clone(&accepted);
    let task = tokio::spawn(async move {
        while listener.accept().await.is_ok() {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    let client = EgressSettings {
        allow_private_addresses: true,
        resolve: [("evil.example.com:443".to_string(), addr.to_string())].into(),
        ..EgressSettings::default()
    }
    .build()
    .unwrap();
    let err = client
        .fetch(EgressRequest::get(
            Url::parse("https://evil.example.com/").unwrap(),
        ))
        .await
        .unwrap_err();
    assert_eq!(err, EgressError::HostNotAllowed("evil.example.com".into()));
    assert!(err.nothing_sent());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(accepted.load(Ordering::SeqCst), 0, "no connection was made");
    task.abort();
}

#[tokio::test]
async fn a_redirect_to_a_host_off_the_list_is_refused() {
    let (_server, client) = client(true).await;
    let err = client
        .fetch(EgressRequest::get(at("/away")))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        EgressError::RedirectRefused("https://evil.example.com/steal".into())
    );
}

#[tokio::test]
async fn a_private_address_is_refused_unless_allowed() {
    let (_server, client) = client(false).await;
    let err = client
        .fetch(EgressRequest::get(at("/ok")))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, EgressError::PrivateAddress { host, addresses }
            if host == OFFICE && addresses == "127.0.0.1"),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("private addresses are not allowed")
    );

    let literal = EgressSettings {
        allowed_hosts: vec!["127.0.0.1".into()],
        ..EgressSettings::default()
    }
    .build()
    .unwrap();
    let err = literal
        .fetch(EgressRequest::get(
            Url::parse("http://127.0.0.1:9/").unwrap(),
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, EgressError::PrivateAddress { .. }), "{err:?}");
}

#[tokio::test]
async fn an_oversize_answer_is_cut_with_a_clear_error() {
    let (_server, client) = client(true).await;
    let err = client
        .fetch(EgressRequest::get(at("/big")))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        EgressError::BodyTooLarge {
            url: at("/big").to_string(),
            limit: 4096
        }
    );
    assert!(err.to_string().contains("larger than 4096 bytes"));
}

#[tokio::test]
async fn retry_after_is_read_as_seconds_or_a_date() {
    let (_server, client) = client(true).await;
    let busy = client.fetch(EgressRequest::get(at("/busy"))).await.unwrap();
    assert_eq!(busy.status, 503);
    assert_eq!(busy.retry_after, Some(Duration::from_secs(42)));
    let slow = client
        .fetch(EgressRequest::get(at("/slow-down")))
        .await
        .unwrap();
    assert_eq!(slow.status, 429);
    let wait = slow.retry_after.expect("a date is read");
    assert!(
        (Duration::from_secs(115)..=Duration::from_secs(120)).contains(&wait),
        "{wait:?}"
    );
}

#[test]
fn bad_settings_are_named() {
    let bad_pattern = EgressSettings {
        allowed_hosts: vec!["*.senate.*".into()],
        ..EgressSettings::default()
    };
    assert!(matches!(
        bad_pattern.build(),
        Err(EgressError::BadHostPattern(p)) if p == "*.senate.*"
    ));
    let bad_cert = EgressSettings {
        extra_root_certs: vec!["/nonexistent/root.pem".into()],
        ..EgressSettings::default()
    };
    assert!(matches!(
        bad_cert.build(),
        Err(EgressError::BadRootCertificate { .. })
    ));
    let bad_proxy = EgressSettings {
        proxy: Some("socks9://x".into()),
        ..EgressSettings::default()
    };
    assert!(matches!(
        bad_proxy.build(),
        Err(EgressError::BadProxy { .. })
    ));
}
