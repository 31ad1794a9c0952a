//! Loopback replicas of office contact forms: an HTTPS server under the office's real name
//! that serves the form page (with a hidden token and a session cookie), and on submission
//! checks every posted field against what the test expects, answering a thank-you page.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use hillpost_channels::egress::EgressSettings;
use hillpost_testkit::https::{HttpsServer, serve_https};
use url::Url;

pub const TOKEN: &str = "tok-5f2c9e";
pub const SESSION: &str = "sess-81b7";

/// What a posted field must hold.
#[derive(Debug, Clone)]
pub enum Expect {
    Exact(String),
    OneOf(Vec<String>),
    /// A message cut to fit: starts the full text, at most this many characters.
    Truncated {
        of: String,
        max: usize,
    },
    /// Posted with some value (a token a page's script fills in).
    NonEmpty,
    /// Not posted at all (an unchecked box).
    Absent,
}

impl Expect {
    fn check(&self, got: Option<&str>) -> Result<(), String> {
        let Some(got) = got else {
            return match self {
                Expect::Absent => Ok(()),
                _ => Err("missing".into()),
            };
        };
        let ok = match self {
            Expect::Absent => false,
            Expect::NonEmpty => !got.is_empty(),
            Expect::Exact(want) => got == want,
            Expect::OneOf(allowed) => allowed.iter().any(|a| a == got),
            Expect::Truncated { of, max } => {
                got.chars().count() <= *max && of.starts_with(got) && !got.is_empty()
            }
        };
        if ok {
            Ok(())
        } else {
            Err(format!("got {got:?}, expected {self:?}"))
        }
    }
}

/// How the replica behaves.
pub struct ReplicaSpec {
    pub page_url: Url,
    pub html: String,
    pub expected: BTreeMap<String, Expect>,
    pub thank_you: String,
    /// Answer the submission with a redirect here instead of the thank-you page.
    pub redirect_after_post: Option<String>,
    /// Answer the form page with 503 and this Retry-After (seconds).
    pub busy_for: Option<u64>,
    /// More pages on the same host (path → HTML), e.g. the form a ZIP lookup leads to.
    pub pages: Vec<(String, String)>,
    /// Where the form posts, when not to the page itself (one of `pages`' paths).
    pub submit_path: Option<String>,
    /// Refuse a submission without the page's hidden token (off for forms a definition's
    /// own script writes, which carry none).
    pub require_token: bool,
}

impl ReplicaSpec {
    pub fn new(page_url: &str, html: String, expected: BTreeMap<String, Expect>) -> Self {
        Self {
            page_url: Url::parse(page_url).unwrap(),
            html,
            expected,
            thank_you: "Thank you for contacting my office".into(),
            redirect_after_post: None,
            busy_for: None,
            pages: Vec::new(),
            submit_path: None,
            require_token: true,
        }
    }
}

pub struct Replica {
    pub server: HttpsServer,
    pub state: Arc<ReplicaState>,
}

pub struct ReplicaState {
    spec: ReplicaSpec,
    /// Requests for the form page.
    pub visits: AtomicUsize,
    /// Problems found in each submission (empty = accepted).
    pub submissions: Mutex<Vec<Vec<String>>>,
    pub posted: Mutex<Vec<Vec<(String, String)>>>,
    /// The query strings the extra pages were asked for, in order.
    pub page_queries: Mutex<Vec<String>>,
}

impl Replica {
    pub async fn start(spec: ReplicaSpec) -> Self {
        let host = spec.page_url.host_str().unwrap().to_string();
        let path = spec.page_url.path().to_string();
        let state = Arc::new(ReplicaState {
            spec,
            visits: AtomicUsize::new(0),
            submissions: Mutex::new(Vec::new()),
            posted: Mutex::new(Vec::new()),
            page_queries: Mutex::new(Vec::new()),
        });
        let submit_path = state.spec.submit_path.clone().unwrap_or(path.clone());
        let mut router = Router::new();
        router = if submit_path == path {
            router.route(&path, get(form_page).post(submitted))
        } else {
            router.route(&path, get(form_page))
        };
        for (page, _) in &state.spec.pages {
            router = if *page == submit_path {
                router.route(page, get(extra_page).post(submitted))
            } else {
                router.route(page, get(extra_page))
            };
        }
        let router = router.with_state(Arc::clone(&state));
        let server = serve_https(router, &[&host]).await;
        Self { server, state }
    }

    /// Egress settings that send the office's name to this replica.
    pub fn egress(&self) -> EgressSettings {
        let host = self.state.spec.page_url.host_str().unwrap();
        EgressSettings {
            allow_private_addresses: true,
            resolve: [(format!("{host}:443"), self.server.addr.to_string())].into(),
            extra_root_certs: vec![self.server.cert_pem_file.clone()],
            ..EgressSettings::default()
        }
    }

    /// The problems of each submission received so far.
    pub fn submissions(&self) -> Vec<Vec<String>> {
        self.state.submissions.lock().unwrap().clone()
    }

    /// How many times the form page was fetched.
    pub fn visits(&self) -> usize {
        self.state.visits.load(Ordering::SeqCst)
    }
}

async fn form_page(State(state): State<Arc<ReplicaState>>) -> Response {
    state.visits.fetch_add(1, Ordering::SeqCst);
    if let Some(seconds) = state.spec.busy_for {
        let mut headers = HeaderMap::new();
        headers.insert(header::RETRY_AFTER, seconds.to_string().parse().unwrap());
        return (StatusCode::SERVICE_UNAVAILABLE, headers, "busy").into_response();
    }
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        format!("session={SESSION}; Path=/; Secure; HttpOnly")
            .parse()
            .unwrap(),
    );
    (headers, Html(state.spec.html.clone())).into_response()
}

async fn extra_page(State(state): State<Arc<ReplicaState>>, uri: axum::http::Uri) -> Response {
    let path = uri.path().to_string();
    state
        .page_queries
        .lock()
        .unwrap()
        .push(uri.query().unwrap_or("").to_string());
    let html = state
        .spec
        .pages
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, html)| html.clone())
        .unwrap_or_default();
    Html(html).into_response()
}

async fn submitted(
    State(state): State<Arc<ReplicaState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(&body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut problems = Vec::new();
    let cookie = headers
        .get(header::COOKIE)
        .and_then(|c| c.to_str().ok())
        .unwrap_or("");
    if !cookie.contains(&format!("session={SESSION}")) {
        problems.push(format!("no session cookie (got {cookie:?})"));
    }
    let value = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    if state.spec.require_token && value("form_token") != Some(TOKEN) {
        problems.push("the hidden token is missing".into());
    }
    for (name, expect) in &state.spec.expected {
        if let Err(e) = expect.check(value(name)) {
            problems.push(format!("{name}: {e}"));
        }
    }
    state.posted.lock().unwrap().push(fields);
    state.submissions.lock().unwrap().push(problems.clone());
    if let Some(target) = &state.spec.redirect_after_post {
        return axum::response::Redirect::to(target).into_response();
    }
    if problems.is_empty() {
        Html(format!(
            "<html><body><h2>{}</h2><p>We read every message.</p></body></html>",
            state.spec.thank_you
        ))
        .into_response()
    } else {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Html(format!("<ul><li>{}</li></ul>", problems.join("</li><li>"))),
        )
            .into_response()
    }
}
