//! Which letter a message is about. Every letter leaves with the envelope sender
//! `bounces+<delivery key>@<bounce domain>` (VERP), so a bounce comes back to an address that
//! names its delivery; failing that, the notice may quote the letter's Message-ID,
//! `<delivery key@message-id domain>`.
//!
//! In order of trust: the envelope recipient the MTA hands us (`--recipient`), the headers
//! MTAs add with it (`Delivered-To`, `X-Original-To`, `Envelope-To`), then `To`; then the
//! Message-ID of the returned letter, `In-Reply-To`/`References` of an auto-reply, or a
//! `Message-ID:` line quoted in a plain-text bounce.

use mailparse::{MailHeaderMap, ParsedMail};

/// The local part before `+` in every VERP address.
pub const VERP_LOCAL_PART: &str = "bounces";

/// Where hillpost's bounces come back, and how its Message-IDs end.
#[derive(Debug, Clone)]
pub struct BounceAddresses {
    /// The domain of `bounces+<key>@…`; `None` when VERP is not configured.
    pub bounce_domain: Option<String>,
    pub message_id_domain: String,
}

impl BounceAddresses {
    /// `bounces+<key>@<bounce domain>`, when a bounce domain is configured.
    pub fn verp_address(&self, key: &str) -> Option<String> {
        self.bounce_domain
            .as_ref()
            .map(|domain| format!("{VERP_LOCAL_PART}+{key}@{domain}"))
    }

    /// The key in a VERP address (`bounces+KEY@domain`, any case, with or without `<>`).
    pub fn key_in_address(&self, address: &str) -> Option<String> {
        let domain = self.bounce_domain.as_deref()?;
        let address = address.trim().trim_start_matches('<').trim_end_matches('>');
        let (local, at) = address.rsplit_once('@')?;
        if !at.eq_ignore_ascii_case(domain) {
            return None;
        }
        let (prefix, key) = local.split_once('+')?;
        (prefix.eq_ignore_ascii_case(VERP_LOCAL_PART) && is_key(key)).then(|| key.to_string())
    }

    /// The key in a Message-ID of ours (`<KEY@message-id domain>`).
    pub fn key_in_message_id(&self, id: &str) -> Option<String> {
        let id = id.trim().strip_prefix('<')?.strip_suffix('>')?;
        let (key, domain) = id.rsplit_once('@')?;
        (domain.eq_ignore_ascii_case(&self.message_id_domain) && is_key(key))
            .then(|| key.to_string())
    }

    /// The first key named by any address in a header value (address lists included).
    fn key_in_addresses(&self, value: &str) -> Option<String> {
        value
            .split([',', ' ', '\t'])
            .find_map(|word| self.key_in_address(word))
    }

    /// The first Message-ID of ours among the ids in a header value (`References` holds
    /// several).
    fn key_in_ids(&self, value: &str) -> Option<String> {
        value
            .split_inclusive('>')
            .find_map(|id| self.key_in_message_id(id))
    }
}

/// The same alphabet as delivery idempotency keys.
fn is_key(key: &str) -> bool {
    (1..=64).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The delivery key a message names, by the order of trust above.
pub(super) fn find_key(
    mail: &ParsedMail<'_>,
    addresses: &BounceAddresses,
    envelope_recipient: Option<&str>,
    returned_ids: &[String],
    quoted_text: &str,
) -> Option<String> {
    if let Some(key) = envelope_recipient.and_then(|r| addresses.key_in_address(r)) {
        return Some(key);
    }
    for name in [
        "Delivered-To",
        "X-Original-To",
        "Envelope-To",
        "X-Envelope-To",
        "To",
    ] {
        for value in mail.headers.get_all_values(name) {
            if let Some(key) = addresses.key_in_addresses(&value) {
                return Some(key);
            }
        }
    }
    let replied_to = ["In-Reply-To", "References"]
        .into_iter()
        .flat_map(|name| mail.headers.get_all_values(name));
    for id in returned_ids.iter().cloned().chain(replied_to) {
        if let Some(key) = addresses.key_in_ids(&id) {
            return Some(key);
        }
    }
    quoted_text.lines().find_map(|line| {
        let (name, value) = line.trim().split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("Message-ID")
            .then(|| addresses.key_in_ids(value))
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addresses() -> BounceAddresses {
        BounceAddresses {
            bounce_domain: Some("bounce.example.org".into()),
            message_id_domain: "mail.example.org".into(),
        }
    }

    #[test]
    fn verp_addresses_round_trip() {
        let a = addresses();
        let address = a.verp_address("0123abcd").unwrap();
        assert_eq!(address, "bounces+0123abcd@bounce.example.org");
        assert_eq!(a.key_in_address(&address).as_deref(), Some("0123abcd"));
        assert_eq!(
            a.key_in_address("<Bounces+0123abcd@BOUNCE.example.org>")
                .as_deref(),
            Some("0123abcd")
        );
        for other in [
            "bounces+0123abcd@elsewhere.org",
            "letters+0123abcd@bounce.example.org",
            "bounces@bounce.example.org",
            "bounces+a b@bounce.example.org",
            "bounces+@bounce.example.org",
        ] {
            assert_eq!(a.key_in_address(other), None, "{other}");
        }
        let no_verp = BounceAddresses {
            bounce_domain: None,
            ..a
        };
        assert_eq!(no_verp.verp_address("k"), None);
        assert_eq!(no_verp.key_in_address("bounces+k@bounce.example.org"), None);
    }

    #[test]
    fn message_ids_of_ours_name_their_key() {
        let a = addresses();
        assert_eq!(
            a.key_in_message_id("<feed42@mail.example.org>").as_deref(),
            Some("feed42")
        );
        assert_eq!(a.key_in_message_id("<feed42@other.org>"), None);
        assert_eq!(
            a.key_in_ids("<x@y.org> <feed42@mail.example.org>")
                .as_deref(),
            Some("feed42")
        );
    }
}
