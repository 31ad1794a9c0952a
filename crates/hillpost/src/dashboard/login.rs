//! Signing in with an API token (`hillpost tokens create`), and signing out.

use axum::Form;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{AppendHeaders, Html, IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::DashboardState;
use super::page::PageError;
use super::session::{
    LOGIN_COOKIE, SESSION_COOKIE, SignedIn, cookie_value, dashboard_cookie, expired_cookie,
    random_hex, same_secret,
};
use super::templates;
use crate::tokens::secret_sha256;

#[derive(Serialize)]
struct LoginPage<'a> {
    login_check: &'a str,
    error: Option<&'a str>,
}

/// The sign-in form, with a fresh double-submit value in a cookie and its keyed hash in
/// the form.
pub async fn form(State(state): State<DashboardState>) -> Result<Response, PageError> {
    login_page(&state, None, StatusCode::OK)
}

fn login_page(
    state: &DashboardState,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let nonce = random_hex();
    let check = state.sessions.login_check(&nonce);
    let html = templates::render(
        "login.html",
        None,
        &LoginPage {
            login_check: &check,
            error,
        },
    )?;
    Ok((
        status,
        AppendHeaders([(
            SET_COOKIE,
            dashboard_cookie(LOGIN_COOKIE, nonce, state.secure_cookies()),
        )]),
        Html(html),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    login_check: String,
}

pub async fn submit(
    State(state): State<DashboardState>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let cookie = cookie_value(&headers, LOGIN_COOKIE).unwrap_or_default();
    if cookie.is_empty() || !same_secret(&state.sessions.login_check(&cookie), &form.login_check) {
        return login_page(
            &state,
            Some("This sign-in form is out of date. Paste your token again."),
            StatusCode::FORBIDDEN,
        );
    }
    let secret = form.token.trim();
    if secret.is_empty() {
        return login_page(
            &state,
            Some("Paste your access token into the box."),
            StatusCode::UNAUTHORIZED,
        );
    }
    let hash = secret_sha256(secret);
    let Some(token) = state.app.store.active_token(&hash).await? else {
        return login_page(
            &state,
            Some(
                "That token is not valid: it is unknown or was revoked. Check that you copied \
                 all of it (it starts with hp_).",
            ),
            StatusCode::UNAUTHORIZED,
        );
    };
    let session = state.sessions.start(hash);
    tracing::info!(token = token.id.get(), "dashboard sign-in");
    Ok((
        AppendHeaders([
            (
                SET_COOKIE,
                dashboard_cookie(SESSION_COOKIE, session, state.secure_cookies()),
            ),
            (SET_COOKIE, expired_cookie(LOGIN_COOKIE)),
        ]),
        Redirect::to("/dashboard/campaigns"),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct LogoutForm {
    csrf: Option<String>,
}

pub async fn logout(
    State(state): State<DashboardState>,
    visitor: SignedIn,
    Form(form): Form<LogoutForm>,
) -> Result<Response, PageError> {
    visitor.check_csrf(form.csrf.as_deref())?;
    state.sessions.end(&visitor.session_id);
    Ok((
        AppendHeaders([(SET_COOKIE, expired_cookie(SESSION_COOKIE))]),
        Redirect::to("/dashboard/login"),
    )
        .into_response())
}
