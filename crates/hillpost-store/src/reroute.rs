//! Moving a delivery to its recipient's next endpoint when the current one can never take
//! the letter ([`NextStep::NextEndpoint`]), the same way for both backends: each backend
//! reads the current route and the recipient's endpoints, this module decides, and the
//! backend's record statement applies the decision with the attempt row, in one transaction.

use std::collections::HashMap;

use hillpost_core::batch::{Endpoint, next_endpoint};
use hillpost_core::delivery::{Channel, NextStep};

use crate::AttemptRecord;

/// Where a delivery is routed now: its channel and endpoint, and its recipient's endpoints
/// as stored (JSON).
pub(crate) struct CurrentRoute {
    pub channel: Channel,
    pub endpoint: String,
    pub endpoints_json: String,
}

/// A delivery moving on: where to, what the attempt row's note says, and the line added to
/// the delivery's `route_note`.
pub(crate) struct Reroute {
    pub to: Endpoint,
    pub attempt_note: String,
    pub route_note: String,
}

/// The delivery ids whose records ask for the next endpoint.
pub(crate) fn wanted(records: &[AttemptRecord]) -> Vec<i64> {
    records
        .iter()
        .filter(|r| r.next == NextStep::NextEndpoint)
        .map(|r| r.delivery_id)
        .collect()
}

/// Decides, for every record asking for it, the endpoint its delivery moves to. A record
/// whose recipient has no endpoint after the current one is absent: its delivery fails.
pub(crate) fn decide(
    records: &[AttemptRecord],
    routes: &HashMap<i64, CurrentRoute>,
) -> HashMap<i64, Reroute> {
    let mut decided = HashMap::new();
    for record in records.iter().filter(|r| r.next == NextStep::NextEndpoint) {
        let Some(route) = routes.get(&record.delivery_id) else {
            continue;
        };
        // A recipient stored before endpoints were kept has `[]`: nothing to move on to.
        let endpoints: Vec<Endpoint> =
            serde_json::from_str(&route.endpoints_json).unwrap_or_default();
        let Some(next) = next_endpoint(&endpoints, route.channel, &route.endpoint) else {
            continue;
        };
        let reason = record
            .note
            .clone()
            .or_else(|| record.remote_text.clone())
            .unwrap_or_else(|| "the endpoint cannot take this letter".into());
        decided.insert(
            record.delivery_id,
            Reroute {
                attempt_note: format!("{reason}; moved on to {} {}", next.channel, next.address),
                route_note: format!(
                    "{} {} passed over for {} {}: {reason}",
                    route.channel, route.endpoint, next.channel, next.address
                ),
                to: next.clone(),
            },
        );
    }
    decided
}

/// The JSON kept in `recipients.endpoints`.
pub(crate) fn endpoints_json(endpoints: &[Endpoint]) -> String {
    serde_json::to_string(endpoints).unwrap_or_else(|_| "[]".into())
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use hillpost_core::AttemptOutcome;

    use super::*;

    fn record(delivery_id: i64, next: NextStep) -> AttemptRecord {
        AttemptRecord {
            delivery_id,
            attempt_no: 1,
            started_at: Utc::now(),
            finished_at: Utc::now(),
            outcome: AttemptOutcome::Permanent,
            endpoint: "S001181".into(),
            remote_code: None,
            remote_text: None,
            sent_sha256: None,
            note: Some("the form has a recaptcha step".into()),
            next,
        }
    }

    #[test]
    fn moves_on_in_the_recipients_order_and_says_why() {
        let endpoints = vec![
            Endpoint {
                channel: Channel::WebForm,
                address: "S001181".into(),
                rate_key: "www.shaheen.senate.gov".into(),
            },
            Endpoint {
                channel: Channel::Email,
                address: "staff@example.org".into(),
                rate_key: "example.org".into(),
            },
        ];
        let route = |channel, endpoint: &str| CurrentRoute {
            channel,
            endpoint: endpoint.into(),
            endpoints_json: endpoints_json(&endpoints),
        };
        let routes = HashMap::from([
            (1, route(Channel::WebForm, "S001181")),
            (2, route(Channel::Email, "staff@example.org")),
            (3, route(Channel::WebForm, "S001181")),
        ]);
        let records = [
            record(1, NextStep::NextEndpoint),
            record(2, NextStep::NextEndpoint),
            record(3, NextStep::Finish(hillpost_core::DeliveryState::Failed)),
        ];
        assert_eq!(wanted(&records), [1, 2]);
        let decided = decide(&records, &routes);
        assert_eq!(decided.len(), 1, "the last endpoint has nowhere to go");
        let moved = &decided[&1];
        assert_eq!(moved.to, endpoints[1]);
        assert_eq!(
            moved.attempt_note,
            "the form has a recaptcha step; moved on to email staff@example.org"
        );
        assert_eq!(
            moved.route_note,
            "web_form S001181 passed over for email staff@example.org: the form has a recaptcha step"
        );
    }
}
