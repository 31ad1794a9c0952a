//! [`SmtpSettings`]: where the SMTP server is and how hillpost talks to it.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use secrecy::SecretString;

use super::EmailSetupError;

/// How the connection to the SMTP server is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text: a relay on the same machine, tests.
    None,
    /// Plain connect, then STARTTLS before anything else; a server without it is an error.
    Starttls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
}

/// Everything the SMTP channel needs. Its `Debug` never shows the password.
#[derive(Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    /// Log in when both are set (an empty username counts as unset).
    pub username: Option<String>,
    pub password: Option<SecretString>,
    /// The name hillpost gives in EHLO.
    pub hello_name: String,
    /// Bounds opening a session: TCP connect, and on top of it one `command_timeout` for
    /// the greeting, EHLO, STARTTLS and login together.
    pub connect_timeout: Duration,
    /// Bounds each reply; for the message itself, sending it and the final reply.
    pub command_timeout: Duration,
    /// Open connections at most, and sends in progress at most; more sends wait their turn.
    pub max_connections: usize,
    /// The envelope sender and `From` address.
    pub from_address: String,
    /// Message-IDs are `<idempotency_key@message_id_domain>`.
    pub message_id_domain: String,
}

impl SmtpSettings {
    /// Settings with the documented defaults (STARTTLS, no login, 10 s to connect, 60 s per
    /// reply, 4 connections) for a server at `host:port`.
    pub fn new(host: &str, port: u16, from_address: &str, message_id_domain: &str) -> Self {
        Self {
            host: host.to_string(),
            port,
            tls: SmtpTls::Starttls,
            username: None,
            password: None,
            hello_name: "localhost".to_string(),
            connect_timeout: Duration::from_secs(10),
            command_timeout: Duration::from_secs(60),
            max_connections: 4,
            from_address: from_address.to_string(),
            message_id_domain: message_id_domain.to_string(),
        }
    }

    /// The username and password to log in with, if any.
    pub(crate) fn credentials(&self) -> Option<(&str, &SecretString)> {
        let username = self.username.as_deref().filter(|u| !u.is_empty())?;
        Some((username, self.password.as_ref()?))
    }

    /// Checks what the types cannot; called once when the channel is built.
    pub(crate) fn validate(&self) -> Result<(), EmailSetupError> {
        if self.host.trim().is_empty() {
            return Err(EmailSetupError::EmptyHost);
        }
        if self.hello_name.trim().is_empty() {
            return Err(EmailSetupError::EmptyHelloName);
        }
        if self.max_connections == 0 {
            return Err(EmailSetupError::NoConnections);
        }
        let has_username = self.username.as_deref().is_some_and(|u| !u.is_empty());
        if has_username != self.password.is_some() {
            return Err(EmailSetupError::HalfCredentials);
        }
        if has_username && self.tls == SmtpTls::None && !is_loopback(&self.host) {
            return Err(EmailSetupError::PasswordInClear(self.host.clone()));
        }
        Ok(())
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_matches(['[', ']'])
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("hello_name", &self.hello_name)
            .field("connect_timeout", &self.connect_timeout)
            .field("command_timeout", &self.command_timeout)
            .field("max_connections", &self.max_connections)
            .field("from_address", &self.from_address)
            .field("message_id_domain", &self.message_id_domain)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> SmtpSettings {
        SmtpSettings::new(
            "mail.example.org",
            587,
            "letters@example.org",
            "example.org",
        )
    }

    #[test]
    fn debug_never_shows_the_password() {
        let mut s = settings();
        s.username = Some("hillpost".into());
        s.password = Some(SecretString::from("hunter2-very-secret"));
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("[redacted]"), "{shown}");
        assert!(shown.contains("mail.example.org"), "{shown}");
    }

    #[test]
    fn credentials_come_in_pairs_and_never_in_clear_over_the_network() {
        let mut s = settings();
        s.username = Some("hillpost".into());
        assert!(matches!(
            s.validate(),
            Err(EmailSetupError::HalfCredentials)
        ));
        s.password = Some(SecretString::from("pw"));
        assert!(s.validate().is_ok());
        assert!(s.credentials().is_some());
        s.tls = SmtpTls::None;
        assert!(matches!(
            s.validate(),
            Err(EmailSetupError::PasswordInClear(_))
        ));
        s.host = "127.0.0.1".into();
        assert!(s.validate().is_ok());
        s.username = Some(String::new());
        assert!(matches!(
            s.validate(),
            Err(EmailSetupError::HalfCredentials)
        ));
    }

    #[test]
    fn obvious_mistakes_are_refused() {
        let mut s = settings();
        s.max_connections = 0;
        assert!(matches!(s.validate(), Err(EmailSetupError::NoConnections)));
        let mut s = settings();
        s.host = " ".into();
        assert!(matches!(s.validate(), Err(EmailSetupError::EmptyHost)));
    }
}
