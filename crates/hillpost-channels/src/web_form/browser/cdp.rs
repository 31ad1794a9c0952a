//! Chrome DevTools commands through chromedriver (`POST /session/{id}/goog/cdp/execute`),
//! for what WebDriver has no command for: clearing every cookie, the cache and an origin's
//! storage when a browser session passes from one delivery to the next.

use fantoccini::wd::WebDriverCompatibleCommand;
use serde_json::{Value, json};
use url::{ParseError, Url};

/// One DevTools command on the current window's page.
#[derive(Debug)]
pub struct CdpCommand {
    pub method: &'static str,
    pub params: Value,
}

impl WebDriverCompatibleCommand for CdpCommand {
    fn endpoint(&self, base_url: &Url, session_id: Option<&str>) -> Result<Url, ParseError> {
        let session = session_id.unwrap_or_default();
        base_url.join(&format!("session/{session}/goog/cdp/execute"))
    }

    fn method_and_body(&self, _request_url: &Url) -> (reqwest::Method, Option<String>) {
        let body = json!({ "cmd": self.method, "params": self.params });
        (reqwest::Method::POST, Some(body.to_string()))
    }
}

/// Runs `method` with `params`.
pub async fn run(
    client: &fantoccini::Client,
    method: &'static str,
    params: Value,
) -> Result<Value, fantoccini::error::CmdError> {
    client.issue_cmd(CdpCommand { method, params }).await
}
