//! What a person may do to a delivery that ended without certainty or without success. These
//! are transitions too, so they are decided here, beside [`super::transition`]: the stores
//! only apply them, and only to deliveries in the states named here.

use super::DeliveryState;

/// An operator's action on one delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorAction {
    /// "It arrived": an `unconfirmed` delivery becomes `delivered` (on a person's word,
    /// recorded as theirs; the attempts still say what the office answered).
    Confirm,
    /// "Send it again": an `unconfirmed` delivery is queued again on the same endpoint, with
    /// the same idempotency key and a fresh budget.
    Resend,
    /// `batch retry`: a `failed`, `dead` or `unconfirmed` letter is planned again on the
    /// current directory (its office's endpoints as they are now) and queued.
    Replan,
}

/// Which letters `batch retry` takes up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetrySelection {
    /// Letters that ended `failed` or `dead`: nothing arrived, so sending again is safe.
    Failed,
    /// Letters that ended `unconfirmed`: they may have arrived; a person chose to send them
    /// again anyway.
    Unconfirmed,
}

impl RetrySelection {
    /// The states of the deliveries this selection takes up. Never `delivered`.
    pub fn states(self) -> &'static [DeliveryState] {
        match self {
            RetrySelection::Failed => &[DeliveryState::Failed, DeliveryState::Dead],
            RetrySelection::Unconfirmed => &[DeliveryState::Unconfirmed],
        }
    }
}

impl OperatorAction {
    pub fn verb(self) -> &'static str {
        match self {
            OperatorAction::Confirm => "confirmed",
            OperatorAction::Resend => "sent again",
            OperatorAction::Replan => "planned again",
        }
    }

    /// The states a delivery may be in for this action.
    pub fn applies_to(self) -> &'static [DeliveryState] {
        match self {
            OperatorAction::Confirm | OperatorAction::Resend => &[DeliveryState::Unconfirmed],
            OperatorAction::Replan => &[
                DeliveryState::Failed,
                DeliveryState::Dead,
                DeliveryState::Unconfirmed,
            ],
        }
    }

    /// The state a delivery in `current` moves to, or `None` when the action does not apply
    /// (a delivered letter is never sent again).
    pub fn apply(self, current: DeliveryState) -> Option<DeliveryState> {
        if !self.applies_to().contains(&current) {
            return None;
        }
        Some(match self {
            OperatorAction::Confirm => DeliveryState::Delivered,
            OperatorAction::Resend | OperatorAction::Replan => DeliveryState::Queued,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_uncertain_or_failed_letters_can_be_acted_on() {
        use DeliveryState::*;
        for state in DeliveryState::ALL {
            let confirm = OperatorAction::Confirm.apply(*state);
            let resend = OperatorAction::Resend.apply(*state);
            let replan = OperatorAction::Replan.apply(*state);
            match state {
                Unconfirmed => {
                    assert_eq!(confirm, Some(Delivered));
                    assert_eq!(resend, Some(Queued));
                    assert_eq!(replan, Some(Queued));
                }
                Failed | Dead => {
                    assert_eq!((confirm, resend), (None, None));
                    assert_eq!(replan, Some(Queued));
                }
                _ => assert_eq!((confirm, resend, replan), (None, None, None), "{state}"),
            }
        }
        for selection in [RetrySelection::Failed, RetrySelection::Unconfirmed] {
            assert!(!selection.states().contains(&Delivered));
            assert!(
                selection
                    .states()
                    .iter()
                    .all(|s| OperatorAction::Replan.apply(*s).is_some())
            );
        }
    }
}
