//! A CWC gateway (the House's, or the Senate's SOAPBox): its base URL and the three
//! addresses hillpost uses under it. The API key travels as the `apikey` query parameter
//! and is added at the last moment, so no URL held here contains it.

use hillpost_core::campaign::Chamber;
use secrecy::{ExposeSecret, SecretString};
use thiserror::Error;
use url::Url;

#[derive(Debug, Error)]
#[error("the CWC {which} base URL `{url}` is not an http(s) URL: {detail}")]
pub struct GatewayUrlError {
    which: &'static str,
    url: String,
    detail: String,
}

#[derive(Debug, Clone)]
pub(super) struct Gateway {
    pub chamber: Chamber,
    base: String,
}

impl Gateway {
    pub fn new(chamber: Chamber, base: &str) -> Result<Self, GatewayUrlError> {
        let which = match chamber {
            Chamber::House => "House",
            Chamber::Senate => "Senate",
        };
        let fail = |detail: String| GatewayUrlError {
            which,
            url: base.to_string(),
            detail,
        };
        let parsed = Url::parse(base).map_err(|e| fail(e.to_string()))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(fail("expected http:// or https:// and a host".into()));
        }
        if parsed.query().is_some() {
            return Err(fail(
                "must not carry a query (the API key is set with HILLPOST__CWC__API_KEY)".into(),
            ));
        }
        Ok(Self {
            chamber,
            base: base.trim_end_matches('/').to_string(),
        })
    }

    /// The base URL, for the egress policy's check when the channel is built.
    pub fn base_url(&self) -> Url {
        Url::parse(&self.base).expect("checked in Gateway::new")
    }

    /// `POST` here delivers (or, validating only, checks without delivering).
    pub fn message_url(&self, validate_only: bool) -> String {
        let path = if validate_only { "validate" } else { "message" };
        format!("{}/v2/{path}", self.base)
    }

    /// `GET` here lists the active office codes.
    pub fn offices_url(&self) -> String {
        format!("{}/v2/offices", self.base)
    }

    /// `url` with the API key added: built for one request and dropped with it.
    pub fn keyed(url: &str, api_key: &SecretString) -> Url {
        let mut url = Url::parse(url).expect("gateway URLs are checked when the channel is built");
        url.query_pairs_mut()
            .append_pair("apikey", api_key.expose_secret());
        url
    }

    pub fn name(&self) -> &'static str {
        match self.chamber {
            Chamber::House => "House",
            Chamber::Senate => "Senate",
        }
    }
}
