//! Dashboard sessions.
//!
//! The cookie holds an opaque random id (256 bits); the server maps it to the SHA-256 of the
//! API token that signed in (what the store keeps of tokens anyway) and a CSRF token. The
//! token itself is never in the cookie, so a cookie that leaks (a shared computer, a log)
//! is worthless once its session ends, and revoking the token ends every session made with
//! it: each request checks that the token is still active.
//!
//! Sessions are kept in memory: they end when the server restarts, and several servers
//! behind one address need sticky sessions. Both are acceptable for a handful of organizers.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::header::{COOKIE, HeaderMap};
use axum::http::request::Parts;
use cookie::{Cookie, SameSite};
use sha2::{Digest, Sha256};

use super::DashboardState;
use super::page::PageError;
use crate::server::auth::Caller;
use hillpost_store::TokenRole;

pub const SESSION_COOKIE: &str = "hillpost_session";
/// Set by the sign-in page, whose form carries its keyed hash (double submit, bound to this
/// server): a sign-in form posted from another site carries no such cookie
/// (SameSite=Strict), and a cookie planted by a neighbouring host does not match a form
/// field it can compute, so nobody can sign a visitor into someone else's account.
pub const LOGIN_COOKIE: &str = "hillpost_login";
/// A session unused this long ends.
const IDLE: Duration = Duration::from_secs(12 * 60 * 60);

struct Session {
    token_sha256: String,
    csrf: String,
    last_seen: Instant,
}

pub struct Sessions {
    by_id: Mutex<HashMap<String, Session>>,
    /// Binds the sign-in form's field to its cookie; new with every process, like sessions.
    login_key: [u8; 32],
}

impl Default for Sessions {
    fn default() -> Self {
        Self {
            by_id: Mutex::default(),
            login_key: rand::random(),
        }
    }
}

impl Sessions {
    /// What the sign-in form must carry for the login cookie `nonce`: SHA-256 of this
    /// process's key and the nonce, so only this server can make a matching pair.
    pub fn login_check(&self, nonce: &str) -> String {
        let mut hash = Sha256::new();
        hash.update(self.login_key);
        hash.update(nonce.as_bytes());
        hex::encode(hash.finalize())
    }

    /// Starts a session for the token with this hash; returns the id for the cookie.
    pub fn start(&self, token_sha256: String) -> String {
        let id = random_hex();
        let mut sessions = self.lock();
        sessions.retain(|_, s| s.last_seen.elapsed() < IDLE);
        sessions.insert(
            id.clone(),
            Session {
                token_sha256,
                csrf: random_hex(),
                last_seen: Instant::now(),
            },
        );
        id
    }

    /// The token hash and CSRF token of a live session, marking it used.
    fn touch(&self, id: &str) -> Option<(String, String)> {
        let mut sessions = self.lock();
        let session = sessions.get_mut(id)?;
        if session.last_seen.elapsed() >= IDLE {
            sessions.remove(id);
            return None;
        }
        session.last_seen = Instant::now();
        Some((session.token_sha256.clone(), session.csrf.clone()))
    }

    pub fn end(&self, id: &str) {
        self.lock().remove(id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        // A panic while holding the lock leaves a map that is still consistent.
        self.by_id
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// 256 random bits in hex: session ids, CSRF tokens.
pub fn random_hex() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

/// A dashboard cookie: HttpOnly (no script reads it), SameSite=Strict (no other site's
/// page sends it), scoped to `/dashboard`, and Secure when `secure` (the server's public
/// address is https: see [`secure_cookies`]; never a request header a client controls).
pub fn dashboard_cookie(name: &str, value: String, secure: bool) -> String {
    Cookie::build((name.to_string(), value))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/dashboard")
        .secure(secure)
        .build()
        .to_string()
}

/// Whether cookies are `Secure`: when `server.public_url` is an https address (hillpost
/// itself serves plain HTTP behind a TLS proxy).
pub fn secure_cookies(public_url: &str) -> bool {
    public_url
        .trim()
        .get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
}

/// The same cookie, expired: what signing out sends.
pub fn expired_cookie(name: &str) -> String {
    let mut cookie = Cookie::build((name.to_string(), ""))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/dashboard")
        .build();
    cookie.make_removal();
    cookie.to_string()
}

/// Whether two secrets are equal, compared through their hashes so the time taken says
/// nothing about how much of a guess was right.
pub fn same_secret(a: &str, b: &str) -> bool {
    Sha256::digest(a.as_bytes()) == Sha256::digest(b.as_bytes())
}

/// The visitor of a page that needs a session: who they are (as the API sees a token) and
/// the CSRF token their forms carry. Without a live session the page answers with a
/// redirect to the sign-in page.
pub struct SignedIn {
    pub caller: Caller,
    pub session_id: String,
    pub csrf: String,
}

impl FromRequestParts<DashboardState> for SignedIn {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &DashboardState,
    ) -> Result<Self, PageError> {
        let id = cookie_value(&parts.headers, SESSION_COOKIE).ok_or(PageError::SignIn)?;
        let (token_sha256, csrf) = state.sessions.touch(&id).ok_or(PageError::SignIn)?;
        let Some(token) = state.app.store.active_token(&token_sha256).await? else {
            // Revoked since signing in: the session goes with it.
            state.sessions.end(&id);
            return Err(PageError::SignIn);
        };
        Ok(SignedIn {
            caller: Caller {
                token_id: token.id,
                role: token.role,
                organization: token.organization,
                label: token.label,
            },
            session_id: id,
            csrf,
        })
    }
}

impl SignedIn {
    /// Refuses a form whose CSRF field is not this session's.
    pub fn check_csrf(&self, sent: Option<&str>) -> Result<(), PageError> {
        match sent {
            Some(sent) if same_secret(sent, &self.csrf) => Ok(()),
            _ => Err(PageError::Forbidden(
                "This form is out of date or did not come from this dashboard. Reload the page \
                 and try again."
                    .into(),
            )),
        }
    }

    /// Only organizers change anything; auditors see the same pages without the buttons.
    pub fn must_be_organizer(&self) -> Result<(), PageError> {
        match self.caller.role {
            TokenRole::Organizer => Ok(()),
            TokenRole::Auditor => Err(PageError::Forbidden(
                "You are signed in as an auditor, who can look but not change anything.".into(),
            )),
        }
    }

    pub fn can_act(&self) -> bool {
        self.caller.role == TokenRole::Organizer
    }

    /// Who the audit trail names for what this visitor does.
    pub fn actor(&self) -> String {
        format!("dashboard:{}#{}", self.caller.label, self.caller.token_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secure_is_decided_by_the_public_url_not_by_the_request() {
        assert!(secure_cookies("https://letters.example.org"));
        assert!(secure_cookies("HTTPS://letters.example.org/"));
        assert!(!secure_cookies("http://127.0.0.1:8080"));
        assert!(!secure_cookies(""));
    }

    #[test]
    fn the_login_check_is_bound_to_this_server() {
        let (ours, theirs) = (Sessions::default(), Sessions::default());
        let nonce = random_hex();
        assert_eq!(ours.login_check(&nonce), ours.login_check(&nonce));
        assert_ne!(ours.login_check(&nonce), theirs.login_check(&nonce));
        assert_ne!(
            ours.login_check(&nonce),
            nonce,
            "a planted cookie is not its own check"
        );
    }

    #[test]
    fn sessions_map_random_ids_to_token_hashes() {
        let sessions = Sessions::default();
        let a = sessions.start("hash-a".into());
        let b = sessions.start("hash-a".into());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        let (hash, csrf) = sessions.touch(&a).expect("live");
        assert_eq!(hash, "hash-a");
        assert_ne!(csrf, sessions.touch(&b).expect("live").1);
        sessions.end(&a);
        assert!(sessions.touch(&a).is_none());
        assert!(sessions.touch("made-up").is_none());
    }

    #[test]
    fn cookies_are_http_only_strict_and_scoped() {
        let mut headers = HeaderMap::new();
        let plain = dashboard_cookie(SESSION_COOKIE, "abc".into(), false);
        assert!(plain.contains("HttpOnly"), "{plain}");
        assert!(plain.contains("SameSite=Strict"), "{plain}");
        assert!(plain.contains("Path=/dashboard"), "{plain}");
        assert!(!plain.contains("Secure"), "{plain}");
        assert!(dashboard_cookie(SESSION_COOKIE, "abc".into(), true).contains("Secure"));
        assert!(expired_cookie(SESSION_COOKIE).contains("Max-Age=0"));

        headers.insert(COOKIE, "a=1; hillpost_session=xyz; b=2".parse().unwrap());
        assert_eq!(
            cookie_value(&headers, SESSION_COOKIE).as_deref(),
            Some("xyz")
        );
        assert_eq!(cookie_value(&headers, LOGIN_COOKIE), None);
    }
}
