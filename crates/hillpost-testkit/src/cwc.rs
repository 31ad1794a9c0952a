//! A CWC gateway on 127.0.0.1 for tests: it reads every posted message, checks it against
//! the fact sheet's layout (`../shared/docs/cwc.md`: element order, required elements,
//! formats), counts it, and answers as the test says (201, 400 with `<Error>`s, 409, 503
//! with Retry-After, ...). `GET /v2/offices` lists the offices the test made active.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use quick_xml::Reader;
use quick_xml::events::Event;

/// How the gateway answers the next messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Created,
    /// 400 with one `<Error>` per text.
    Errors(Vec<String>),
    Duplicate,
    /// 503 with this Retry-After value.
    Unavailable(String),
    /// 429 with this Retry-After value.
    TooMany(String),
    ServerError,
    /// Waits this long before answering 201 (for timeouts).
    Slow(Duration),
    /// 307 to this location (a client must record it, not follow it).
    Redirect(String),
}

/// One message the gateway received.
#[derive(Debug, Clone)]
pub struct Received {
    /// `/v2/message` or `/v2/validate`.
    pub path: String,
    pub api_key: Option<String>,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    /// Problems with the layout; empty when the message follows the fact sheet.
    pub layout_problems: Vec<String>,
    /// Every element's path and text, in document order.
    pub elements: Vec<(String, String)>,
}

impl Received {
    /// The text of the element at `path` (`Constituent/Zip`), without the `CWC/` root.
    pub fn value(&self, path: &str) -> Option<&str> {
        let full = format!("CWC/{path}");
        self.elements
            .iter()
            .find(|(p, _)| *p == full)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct Gateway {
    answers: Vec<Answer>,
    received: Vec<Received>,
    offices: Vec<String>,
    office_requests: usize,
    office_keys: Vec<Option<String>>,
}

/// The running gateway; stops when dropped.
pub struct CwcServer {
    addr: SocketAddr,
    state: Arc<Mutex<Gateway>>,
    task: tokio::task::JoinHandle<()>,
}

impl CwcServer {
    /// Starts on a free loopback port, listing `offices` as active and answering `answer`
    /// until told otherwise.
    pub async fn start(offices: &[&str], answer: Answer) -> Self {
        let state = Arc::new(Mutex::new(Gateway {
            answers: vec![answer],
            offices: offices.iter().map(|o| o.to_string()).collect(),
            ..Gateway::default()
        }));
        let app = Router::new()
            .route("/v2/message", post(message))
            .route("/v2/validate", post(validate))
            .route("/v2/offices", get(list_offices))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("local address");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, state, task }
    }

    /// `http://127.0.0.1:PORT`, the base URL to configure.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Answers `answers` in turn to the next messages; the last one repeats.
    pub fn answer(&self, answers: Vec<Answer>) {
        self.lock().answers = answers;
    }

    pub fn set_offices(&self, offices: &[&str]) {
        self.lock().offices = offices.iter().map(|o| o.to_string()).collect();
    }

    pub fn received(&self) -> Vec<Received> {
        self.lock().received.clone()
    }

    /// How many messages were posted (delivered or validated).
    pub fn posts(&self) -> usize {
        self.lock().received.len()
    }

    pub fn office_requests(&self) -> usize {
        self.lock().office_requests
    }

    pub fn office_keys(&self) -> Vec<Option<String>> {
        self.lock().office_keys.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Gateway> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for CwcServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type Shared = State<Arc<Mutex<Gateway>>>;

async fn message(
    state: Shared,
    query: Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    receive("/v2/message", state, query, headers, body).await
}

async fn validate(
    state: Shared,
    query: Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    receive("/v2/validate", state, query, headers, body).await
}

async fn receive(
    path: &str,
    State(state): Shared,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (elements, mut layout_problems) = match parse(&body) {
        Ok(elements) => {
            let problems = check_layout(&elements);
            (elements, problems)
        }
        Err(problem) => (Vec::new(), vec![problem]),
    };
    if content_type.as_deref() != Some("application/xml") {
        layout_problems.push(format!("content type {content_type:?}"));
    }
    let answer = {
        let mut gateway = state.lock().unwrap_or_else(|p| p.into_inner());
        gateway.received.push(Received {
            path: path.to_string(),
            api_key: query.get("apikey").cloned(),
            content_type,
            body: body.to_vec(),
            layout_problems: layout_problems.clone(),
            elements,
        });
        if gateway.answers.len() > 1 {
            gateway.answers.remove(0)
        } else {
            gateway.answers[0].clone()
        }
    };
    if !layout_problems.is_empty() {
        return errors(layout_problems);
    }
    match answer {
        Answer::Created if path == "/v2/validate" => {
            (StatusCode::OK, "<Response>valid</Response>").into_response()
        }
        Answer::Created => {
            (StatusCode::CREATED, "<Response>Message received</Response>").into_response()
        }
        Answer::Errors(texts) => errors(texts),
        Answer::Duplicate => (
            StatusCode::CONFLICT,
            "<Response><Error>DeliveryId already received</Error></Response>",
        )
            .into_response(),
        Answer::Unavailable(after) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, after)],
            "maintenance",
        )
            .into_response(),
        Answer::TooMany(after) => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, after)],
            "slow down",
        )
            .into_response(),
        Answer::ServerError => (StatusCode::INTERNAL_SERVER_ERROR, "oops").into_response(),
        Answer::Slow(wait) => {
            tokio::time::sleep(wait).await;
            (StatusCode::CREATED, "late").into_response()
        }
        Answer::Redirect(location) => (
            StatusCode::TEMPORARY_REDIRECT,
            [(header::LOCATION, location)],
            "moved",
        )
            .into_response(),
    }
}

fn errors(texts: Vec<String>) -> Response {
    let mut body = String::from("<?xml version=\"1.0\"?><Response><Errors>");
    for text in texts {
        body.push_str("<Error>");
        body.push_str(&quick_xml::escape::escape(text.as_str()));
        body.push_str("</Error>");
    }
    body.push_str("</Errors></Response>");
    (StatusCode::BAD_REQUEST, body).into_response()
}

async fn list_offices(
    State(state): Shared,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let mut gateway = state.lock().unwrap_or_else(|p| p.into_inner());
    gateway.office_requests += 1;
    gateway.office_keys.push(query.get("apikey").cloned());
    let list = gateway
        .offices
        .iter()
        .map(|o| format!("\"{o}\""))
        .collect::<Vec<_>>()
        .join(",");
    (
        [(header::CONTENT_TYPE, "application/json")],
        format!("[{list}]"),
    )
        .into_response()
}

/// Every element as (path, text) in document order.
fn parse(body: &[u8]) -> Result<Vec<(String, String)>, String> {
    let text = std::str::from_utf8(body).map_err(|_| "the body is not UTF-8".to_string())?;
    let mut reader = Reader::from_str(text);
    let mut path: Vec<String> = Vec::new();
    let mut out: Vec<(String, String)> = Vec::new();
    loop {
        match reader.read_event().map_err(|e| format!("not XML: {e}"))? {
            Event::Start(e) => {
                path.push(e.name().as_ref().to_string());
                out.push((path.join("/"), String::new()));
            }
            Event::Empty(e) => {
                let mut p = path.clone();
                p.push(e.name().as_ref().to_string());
                out.push((p.join("/"), String::new()));
            }
            Event::End(_) => {
                path.pop();
            }
            Event::Text(t) if !path.is_empty() => {
                if let Some(last) = out.last_mut() {
                    last.1.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let c = match r.xml10_content().as_ref() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    other => return Err(format!("unknown entity &{other};")),
                };
                if let Some(last) = out.last_mut() {
                    last.1.push_str(c);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out
        .into_iter()
        .map(|(p, t)| (p, t.trim().to_string()))
        .collect())
}

/// The fact sheet's layout: every element in order, and whether it is required.
const LAYOUT: &[(&str, bool)] = &[
    ("CWC", true),
    ("CWC/CWCVersion", true),
    ("CWC/Delivery", true),
    ("CWC/Delivery/DeliveryId", true),
    ("CWC/Delivery/DeliveryDate", true),
    ("CWC/Delivery/DeliveryAgent", true),
    ("CWC/Delivery/DeliveryAgentAckEmailAddress", true),
    ("CWC/Delivery/DeliveryAgentContact", true),
    (
        "CWC/Delivery/DeliveryAgentContact/DeliveryAgentContactName",
        true,
    ),
    (
        "CWC/Delivery/DeliveryAgentContact/DeliveryAgentContactEmail",
        true,
    ),
    (
        "CWC/Delivery/DeliveryAgentContact/DeliveryAgentContactPhone",
        true,
    ),
    ("CWC/Delivery/Organization", false),
    ("CWC/Delivery/OrganizationContact", false),
    (
        "CWC/Delivery/OrganizationContact/OrganizationContactName",
        false,
    ),
    (
        "CWC/Delivery/OrganizationContact/OrganizationContactEmail",
        false,
    ),
    (
        "CWC/Delivery/OrganizationContact/OrganizationContactPhone",
        false,
    ),
    ("CWC/Delivery/OrganizationAbout", false),
    ("CWC/Delivery/CampaignId", true),
    ("CWC/Recipient", true),
    ("CWC/Recipient/MemberOffice", true),
    ("CWC/Recipient/IsResponseRequested", false),
    ("CWC/Recipient/NewsletterOptIn", false),
    ("CWC/Constituent", true),
    ("CWC/Constituent/Prefix", true),
    ("CWC/Constituent/FirstName", true),
    ("CWC/Constituent/MiddleName", false),
    ("CWC/Constituent/LastName", true),
    ("CWC/Constituent/Suffix", false),
    ("CWC/Constituent/Title", false),
    ("CWC/Constituent/ConstituentOrganization", false),
    ("CWC/Constituent/Address1", true),
    ("CWC/Constituent/Address2", false),
    ("CWC/Constituent/Address3", false),
    ("CWC/Constituent/City", true),
    ("CWC/Constituent/StateAbbreviation", true),
    ("CWC/Constituent/Zip", true),
    ("CWC/Constituent/Phone", false),
    ("CWC/Constituent/AddressValidation", false),
    ("CWC/Constituent/Email", true),
    ("CWC/Constituent/EmailValidation", false),
    ("CWC/Message", true),
    ("CWC/Message/Subject", true),
    ("CWC/Message/LibraryOfCongressTopics", true),
    (
        "CWC/Message/LibraryOfCongressTopics/LibraryOfCongressTopic",
        true,
    ),
    ("CWC/Message/Bills", false),
    ("CWC/Message/ProOrCon", false),
    ("CWC/Message/OrganizationStatement", false),
    ("CWC/Message/ConstituentMessage", false),
    ("CWC/Message/MoreInfo", false),
];

const SENATE_PREFIXES: [&str; 5] = ["Mr.", "Mrs.", "Miss", "Ms.", "Dr."];

fn check_layout(elements: &[(String, String)]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut last = 0;
    for (path, _) in elements {
        match LAYOUT.iter().position(|(p, _)| p == path) {
            None => problems.push(format!("unknown element {path}")),
            Some(index) => {
                let repeatable = path.ends_with("/LibraryOfCongressTopic");
                if index < last || (index == last && !repeatable && last != 0) {
                    problems.push(format!("{path} is out of order"));
                }
                last = index;
            }
        }
    }
    let value = |path: &str| {
        elements
            .iter()
            .find(|(p, _)| p == &format!("CWC/{path}"))
            .map(|(_, v)| v.as_str())
    };
    for (path, required) in LAYOUT {
        if *required && !elements.iter().any(|(p, _)| p == path) {
            problems.push(format!("{path} is missing"));
        }
    }
    let mut check = |ok: bool, what: &str| {
        if !ok {
            problems.push(what.to_string());
        }
    };
    let len = |path: &str| value(path).map(|v| v.chars().count());
    check(value("CWCVersion") == Some("2.0"), "CWCVersion is not 2.0");
    check(
        value("Delivery/DeliveryId")
            .is_some_and(|v| v.len() == 32 && v.chars().all(|c| c.is_ascii_alphanumeric())),
        "DeliveryId is not 32 letters and digits",
    );
    check(
        value("Delivery/DeliveryDate")
            .is_some_and(|v| v.len() == 8 && v.chars().all(|c| c.is_ascii_digit())),
        "DeliveryDate is not YYYYMMDD",
    );
    for phone in [
        "Delivery/DeliveryAgentContact/DeliveryAgentContactPhone",
        "Constituent/Phone",
    ] {
        check(
            value(phone).is_none_or(is_phone),
            &format!("{phone} is not xxx-xxx-xxxx"),
        );
    }
    check(
        value("Constituent/Zip").is_some_and(is_zip),
        "Zip is not a ZIP",
    );
    let office = value("Recipient/MemberOffice").unwrap_or("");
    let office_ok = office.len() == 5
        && office[1..3].chars().all(|c| c.is_ascii_uppercase())
        && match &office[..1] {
            "H" => office[3..].chars().all(|c| c.is_ascii_digit()),
            "S" => matches!(&office[3..], "01" | "02" | "03"),
            _ => false,
        };
    check(office_ok, "MemberOffice is not an office code");
    if office.starts_with('S') {
        check(
            value("Constituent/Prefix").is_some_and(|p| SENATE_PREFIXES.contains(&p)),
            "Prefix is not one the Senate accepts",
        );
    }
    check(
        len("Message/Subject").is_some_and(|n| (6..=500).contains(&n)),
        "Subject is not 6-500 characters",
    );
    check(
        len("Delivery/Organization").is_none_or(|n| n >= 3),
        "Organization is shorter than 3 characters",
    );
    let statement = len("Message/OrganizationStatement");
    let own = len("Message/ConstituentMessage");
    check(
        statement.is_some() || own.is_some(),
        "neither OrganizationStatement nor ConstituentMessage",
    );
    for n in [statement, own].into_iter().flatten() {
        check(
            (6..=10_000).contains(&n),
            "a message text is not 6-10,000 characters",
        );
    }
    problems
}

fn is_phone(value: &str) -> bool {
    let b = value.as_bytes();
    b.len() == 12
        && b.iter().enumerate().all(|(i, c)| match i {
            3 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        })
}

fn is_zip(value: &str) -> bool {
    let b = value.as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    match b.len() {
        5 => digits(b),
        10 => digits(&b[..5]) && b[5] == b'-' && digits(&b[6..]),
        _ => false,
    }
}
