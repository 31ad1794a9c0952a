//! `GET /receipts/{token}`: a signer's receipt page, behind the unguessable token their
//! receipt email links to. No account and no bearer token: the token is the key. Only its
//! SHA-256 is looked up, a token that opens nothing answers a bare 404 (the same for a
//! malformed one, so nothing can be learnt by probing), and no route lists receipts.
//!
//! HTML by default (a small page in the signer's language); JSON with `Accept:
//! application/json`. Both carry the same lines as the email. `/receipts/{token}/receipt.json`
//! downloads the signed statement the email carried, when the receipt was signed.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header::{
    ACCEPT, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, REFERRER_POLICY,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use hillpost_core::receipt::token_sha256;
use hillpost_store::ReceiptPage;
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::error::ApiError;

#[derive(Serialize, ToSchema)]
pub struct ReceiptLineView {
    pub office: String,
    /// `email`, `web_form`, `cwc` or `none`.
    pub channel: String,
    pub at: Option<DateTime<Utc>>,
    /// `delivered`, `failed`, `dead`, `cancelled` or `skipped`.
    pub outcome: String,
    /// The line in the signer's language, as the email says it.
    pub text: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReceiptView {
    pub language: String,
    pub subject: String,
    pub lines: Vec<ReceiptLineView>,
    pub created_at: DateTime<Utc>,
}

impl From<ReceiptPage> for ReceiptView {
    fn from(page: ReceiptPage) -> Self {
        ReceiptView {
            language: page.language.as_str().to_string(),
            subject: page.subject,
            lines: page
                .lines
                .into_iter()
                .map(|l| ReceiptLineView {
                    office: l.office,
                    channel: l.channel,
                    at: l.at,
                    outcome: l.outcome,
                    text: l.text,
                })
                .collect(),
            created_at: page.created_at,
        }
    }
}

/// A signer's receipt: what became of each of their letters. The token is the one in the
/// receipt email's link; any other value answers 404.
#[utoipa::path(get, path = "/receipts/{token}", tag = "receipts", security(()),
    params(("token" = String, Path, description = "the token from the receipt email's link")),
    responses((status = 200, body = ReceiptView, description = "HTML, or JSON with `Accept: application/json`"),
        (status = 404, description = "no receipt has this token")))]
pub async fn page(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Some(page) = state.store.receipt_by_token(&token_sha256(&token)).await? else {
        return Ok(not_found());
    };
    let wants_json = headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("application/json"));
    let language = page.language;
    let signed = page.statement.is_some();
    let view = ReceiptView::from(page);
    let mut response = if wants_json {
        Json(view).into_response()
    } else {
        let html = render_html(
            language.page_title(),
            &view,
            signed.then_some(token.as_str()),
        )
        .map_err(|e| ApiError::Internal(e.to_string()))?;
        (
            [(
                CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            )],
            html,
        )
            .into_response()
    };
    private(response.headers_mut());
    Ok(response)
}

/// The receipt's signed statement (`receipt.json`, see docs/receipts.md), as the receipt
/// email attached it; a bare 404 when the token opens nothing or the receipt was not signed.
#[utoipa::path(get, path = "/receipts/{token}/receipt.json", tag = "receipts", security(()),
    params(("token" = String, Path, description = "the token from the receipt email's link")),
    responses((status = 200, content_type = "application/json", body = Object,
            description = "the signed statement; check it with `hillpost receipts verify`"),
        (status = 404, description = "no signed receipt has this token")))]
pub async fn statement(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let statement = state
        .store
        .receipt_by_token(&token_sha256(&token))
        .await?
        .and_then(|page| page.statement);
    let Some(statement) = statement else {
        return Ok(not_found());
    };
    let mut response = (
        [
            (CONTENT_TYPE, HeaderValue::from_static("application/json")),
            (
                CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"receipt.json\""),
            ),
        ],
        statement,
    )
        .into_response();
    private(response.headers_mut());
    Ok(response)
}

/// The URL is the key: keep it out of caches and of the Referer of any link followed.
fn private(headers: &mut HeaderMap) {
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
}

/// The same plain 404 for every token that opens nothing.
fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        "not found\n",
    )
        .into_response()
}

/// The page template; `.html`, so minijinja escapes every value.
const TEMPLATE: &str = r#"<!DOCTYPE html>
<html lang="{{ receipt.language }}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>{{ title }}</title>
<style>body{font-family:sans-serif;max-width:40em;margin:2em auto;padding:0 1em;line-height:1.5}
li{margin:.5em 0}.delivered{color:#185c2b}.failed,.dead,.skipped,.cancelled{color:#8a1c1c}</style></head>
<body>
<h1>{{ title }}</h1>
<p>{{ receipt.subject }}</p>
<ul>
{% for line in receipt.lines %}<li class="{{ line.outcome }}"><strong>{{ line.office }}</strong>: {{ line.text }}</li>
{% endfor %}</ul>
{% if token %}<p><a href="{{ token }}/receipt.json" download>receipt.json</a>: this receipt, signed (see <code>hillpost receipts verify</code>)</p>{% endif %}
</body>
</html>
"#;

fn render_html(
    title: &str,
    view: &ReceiptView,
    token: Option<&str>,
) -> Result<String, minijinja::Error> {
    let mut env = minijinja::Environment::new();
    env.add_template("receipt.html", TEMPLATE)?;
    env.get_template("receipt.html")?
        .render(minijinja::context! {
            title => title, receipt => minijinja::value::Serde(view), token => token
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_escapes_what_it_shows() {
        let view = ReceiptView {
            language: "en".into(),
            subject: "Your letter: <b>Peace</b>".into(),
            lines: vec![ReceiptLineView {
                office: "<script>alert(1)</script>".into(),
                channel: "email".into(),
                at: None,
                outcome: "failed\" onclick=\"x".into(),
                text: "could not be delivered: 550 <no such user>".into(),
            }],
            created_at: Utc::now(),
        };
        let html = render_html("Your letter's receipt", &view, None).unwrap();
        assert!(
            !html.contains("receipt.json"),
            "unsigned: nothing to download"
        );
        assert!(!html.contains("<script>"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(!html.contains("\" onclick"), "{html}");
        assert!(html.contains("&lt;no such user&gt;"), "{html}");
        assert!(html.contains("<html lang=\"en\">"), "{html}");
        let signed = render_html("Your letter's receipt", &view, Some("ab12")).unwrap();
        assert!(
            signed.contains(r#"<a href="ab12/receipt.json" download>"#),
            "{signed}"
        );
    }
}
