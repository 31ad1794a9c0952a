//! TXT lookups for `hillpost email check-dns`, with hickory's resolver: the system's
//! resolvers (`/etc/resolv.conf`), or one given server (`--dns-server`, and tests).

use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfigGroup, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;

/// What DNS answered for a TXT query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxtLookup {
    /// Each record's strings joined, as receivers read them.
    Values(Vec<String>),
    /// The name has no TXT record (or does not exist).
    NoRecord,
    /// No answer: unreachable, timed out, refused.
    Failed(String),
}

/// The TXT records of `name`, asking `server` (`ip:port`) or the system's resolvers.
pub async fn lookup_txt(name: &str, server: Option<&str>) -> TxtLookup {
    let mut options = ResolverOpts::default();
    options.timeout = Duration::from_secs(3);
    options.attempts = 1;
    let builder = match server {
        Some(server) => {
            let address: SocketAddr = match server.parse() {
                Ok(address) => address,
                Err(e) => return TxtLookup::Failed(format!("`{server}` is not ip:port ({e})")),
            };
            let servers =
                NameServerConfigGroup::from_ips_clear(&[address.ip()], address.port(), true);
            TokioResolver::builder_with_config(
                ResolverConfig::from_parts(None, vec![], servers),
                TokioConnectionProvider::default(),
            )
        }
        None => match TokioResolver::builder_tokio() {
            Ok(builder) => builder,
            Err(e) => return TxtLookup::Failed(format!("no resolver configured ({e})")),
        },
    };
    let resolver = builder.with_options(options).build();
    let fqdn = format!("{}.", name.trim_end_matches('.'));
    match resolver.txt_lookup(fqdn).await {
        Ok(lookup) => TxtLookup::Values(
            lookup
                .iter()
                .map(|txt| {
                    txt.txt_data()
                        .iter()
                        .map(|part| String::from_utf8_lossy(part).into_owned())
                        .collect::<String>()
                })
                .collect(),
        ),
        Err(e) if e.is_no_records_found() || e.is_nx_domain() => TxtLookup::NoRecord,
        Err(e) => TxtLookup::Failed(e.to_string()),
    }
}
