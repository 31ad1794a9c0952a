//! The `Content-Language` header (RFC 3282), which lettre does not define: it tells the
//! receiving office which language the letter is written in.

use lettre::message::header::{Header, HeaderName, HeaderValue};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContentLanguage(pub String);

impl Header for ContentLanguage {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Content-Language")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.trim().to_string()))
    }

    /// Encoded like any text header, so even a malformed tag cannot break the header block.
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}
