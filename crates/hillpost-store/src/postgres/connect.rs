//! How the PostgreSQL pool reaches its server.

use std::net::IpAddr;
use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgSslMode};

use crate::StoreError;

/// The options `url` gives, except that a server on this machine (a loopback address,
/// `localhost` or a Unix socket) is spoken to without TLS unless the URL (`sslmode`) or the
/// environment (`PGSSLMODE`) chooses a mode.
///
/// Why: the default mode, `prefer` (libpq's, which sqlx follows), negotiates TLS wherever
/// the server offers it, as Debian's does out of the box with a self-signed certificate.
/// `prefer` checks no certificate, so it never protected against anyone in the middle;
/// on loopback nothing leaves the machine to be read. What it did cost: rustls was 7.7 %
/// of an email worker's CPU and OpenSSL another 1.5 % of the machine's in PostgreSQL
/// (`perf`, `hillpost-bench --only email`, issue 10). A URL that asks for TLS gets it.
pub(crate) fn connect_options(url: &str) -> Result<PgConnectOptions, StoreError> {
    options_for(url, std::env::var_os("PGSSLMODE").is_some())
}

fn options_for(url: &str, mode_in_environment: bool) -> Result<PgConnectOptions, StoreError> {
    let options = PgConnectOptions::from_str(url)?;
    if mode_in_environment || names_ssl_mode(url) || !on_this_machine(&options) {
        return Ok(options);
    }
    Ok(options.ssl_mode(PgSslMode::Disable))
}

/// Whether the URL's query chooses a TLS mode (sqlx reads `sslmode` and `ssl-mode`).
fn names_ssl_mode(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|url| {
        url.query_pairs()
            .any(|(key, _)| key == "sslmode" || key == "ssl-mode")
    })
}

fn on_this_machine(options: &PgConnectOptions) -> bool {
    let host = options.get_host();
    options.get_socket().is_some()
        || host.starts_with('/')
        || host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(url: &str) -> PgSslMode {
        options_for(url, false).expect("options").get_ssl_mode()
    }

    fn as_written(url: &str) -> PgSslMode {
        PgConnectOptions::from_str(url)
            .expect("options")
            .get_ssl_mode()
    }

    #[test]
    fn a_server_on_this_machine_is_spoken_to_without_tls() {
        for url in [
            "postgres://u@127.0.0.1:5432/db",
            "postgres://u@127.1.2.3/db",
            "postgres://u@localhost/db",
            "postgres://u@[::1]:5432/db",
            "postgres://u@localhost/db?host=/var/run/postgresql",
        ] {
            assert!(matches!(mode(url), PgSslMode::Disable), "{url}");
        }
    }

    #[test]
    fn a_mode_the_url_chooses_is_kept() {
        assert!(matches!(
            mode("postgres://u@127.0.0.1/db?sslmode=require"),
            PgSslMode::Require
        ));
        assert!(matches!(
            mode("postgres://u@localhost/db?ssl-mode=verify-full"),
            PgSslMode::VerifyFull
        ));
    }

    #[test]
    fn a_mode_the_environment_chooses_is_kept() {
        let url = "postgres://u@127.0.0.1/db";
        let options = options_for(url, true).expect("options");
        assert_eq!(
            format!("{:?}", options.get_ssl_mode()),
            format!("{:?}", as_written(url))
        );
    }

    #[test]
    fn a_server_elsewhere_keeps_the_default() {
        for url in [
            "postgres://u@db.example.org/db",
            "postgres://u@10.0.0.5:5432/db",
            "postgres://u@[2001:db8::1]/db",
        ] {
            assert_eq!(
                format!("{:?}", mode(url)),
                format!("{:?}", as_written(url)),
                "{url}"
            );
        }
    }
}
