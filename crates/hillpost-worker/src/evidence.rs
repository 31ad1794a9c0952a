//! An attempt's record travels to the recorder with the evidence its channel kept (the
//! answer page, screenshots); the recorder stores the evidence just before the records of
//! the same group (see [`crate::stages::Shared::record`]).

use hillpost_core::delivery::{Evidence, SendReport};
use hillpost_store::{AttemptRecord, ClaimedDelivery, NewEvidence};

/// An attempt record and its evidence.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub attempt: AttemptRecord,
    pub evidence: Vec<Evidence>,
}

/// Takes the evidence out of `report`, before the report becomes a record.
pub(crate) fn take(report: &mut SendReport) -> Vec<Evidence> {
    std::mem::take(&mut report.evidence)
}

/// The evidence of a group of records, keyed by (delivery, attempt number).
pub(crate) fn of_group(sent: &[(ClaimedDelivery, Recorded)]) -> Vec<NewEvidence<'_>> {
    sent.iter()
        .flat_map(|(_, recorded)| {
            recorded.evidence.iter().map(|evidence| NewEvidence {
                delivery_id: recorded.attempt.delivery_id,
                attempt_no: recorded.attempt.attempt_no,
                evidence,
            })
        })
        .collect()
}
