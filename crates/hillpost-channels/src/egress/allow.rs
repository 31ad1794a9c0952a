//! Which hosts outbound HTTP may reach: exact names (`www.whitehouse.gov`) and suffix patterns
//! (`*.senate.gov`, which matches `risch.senate.gov` and `www.risch.senate.gov` but not
//! `senate.gov` itself nor `evilsenate.gov`). Pure: checked before every request and on
//! every redirect.

use url::Url;

use super::EgressError;

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Exact(String),
    /// The part after `*.`, with its leading dot: `.senate.gov`.
    Suffix(String),
}

/// The parsed allow-list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowList {
    patterns: Vec<HostPattern>,
}

impl AllowList {
    /// Parses `patterns`; a pattern with a `*` anywhere but a leading `*.`, or a blank one,
    /// is refused by name.
    pub fn parse<S: AsRef<str>>(patterns: &[S]) -> Result<Self, EgressError> {
        let mut parsed = Vec::with_capacity(patterns.len());
        for raw in patterns {
            let raw = raw.as_ref().trim().to_ascii_lowercase();
            let bad = || EgressError::BadHostPattern(raw.clone());
            let pattern = match raw.strip_prefix("*.") {
                Some(rest) if !rest.is_empty() && !rest.contains('*') => {
                    HostPattern::Suffix(format!(".{rest}"))
                }
                Some(_) => return Err(bad()),
                None if raw.is_empty() || raw.contains('*') || raw.contains('/') => {
                    return Err(bad());
                }
                None => HostPattern::Exact(raw.trim_end_matches('.').to_string()),
            };
            parsed.push(pattern);
        }
        Ok(Self { patterns: parsed })
    }

    /// Whether `host` (a name or an IP literal, as in a URL) may be contacted.
    pub fn permits_host(&self, host: &str) -> bool {
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .trim_end_matches('.')
            .to_ascii_lowercase();
        self.patterns.iter().any(|p| match p {
            HostPattern::Exact(name) => *name == host,
            HostPattern::Suffix(suffix) => host.ends_with(suffix.as_str()),
        })
    }

    /// Checks a URL: http(s) only, and its host on the list.
    pub fn check(&self, url: &Url) -> Result<(), EgressError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(EgressError::SchemeNotAllowed(url.scheme().to_string()));
        }
        let host = url.host_str().unwrap_or_default();
        if self.permits_host(host) {
            Ok(())
        } else {
            Err(EgressError::HostNotAllowed(host.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffix_patterns_match_subdomains_only() {
        let list = AllowList::parse(&["*.senate.gov", "www.whitehouse.gov"]).unwrap();
        assert!(list.permits_host("risch.senate.gov"));
        assert!(list.permits_host("WWW.Risch.Senate.gov."));
        assert!(!list.permits_host("senate.gov"));
        assert!(!list.permits_host("evilsenate.gov"));
        assert!(!list.permits_host("senate.gov.example.com"));
        assert!(list.permits_host("www.whitehouse.gov"));
        assert!(!list.permits_host("x.www.whitehouse.gov"));
    }

    #[test]
    fn urls_need_http_and_a_listed_host() {
        let list = AllowList::parse(&["*.house.gov"]).unwrap();
        assert!(
            list.check(&Url::parse("https://a.house.gov/x").unwrap())
                .is_ok()
        );
        assert!(matches!(
            list.check(&Url::parse("ftp://a.house.gov/x").unwrap()),
            Err(EgressError::SchemeNotAllowed(_))
        ));
        assert!(matches!(
            list.check(&Url::parse("https://127.0.0.1/").unwrap()),
            Err(EgressError::HostNotAllowed(h)) if h == "127.0.0.1"
        ));
    }

    #[test]
    fn malformed_patterns_are_refused_by_name() {
        for bad in ["*", "*.", "a.*.gov", "", "http://x.gov"] {
            let err = AllowList::parse(&[bad]).unwrap_err();
            assert!(matches!(err, EgressError::BadHostPattern(_)), "{bad}");
        }
    }
}
