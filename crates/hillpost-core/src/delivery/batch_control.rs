use super::BatchState;

/// What an organizer can do to a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchAction {
    Pause,
    Resume,
    Cancel,
}

impl BatchAction {
    pub fn verb(self) -> &'static str {
        match self {
            BatchAction::Pause => "paused",
            BatchAction::Resume => "resumed",
            BatchAction::Cancel => "cancelled",
        }
    }

    /// The state a batch in `current` moves to, or `None` when the action does not apply.
    /// Resuming goes back to `scheduled` when the batch's start time is still ahead.
    pub fn apply(self, current: BatchState, start_time_passed: bool) -> Option<BatchState> {
        use BatchState::*;
        match (self, current) {
            (BatchAction::Pause, Scheduled | Running) => Some(Paused),
            (BatchAction::Resume, Paused) => Some(if start_time_passed {
                Running
            } else {
                Scheduled
            }),
            (BatchAction::Cancel, Scheduled | Running | Paused) => Some(Cancelled),
            _ => None,
        }
    }
}

/// The state of a batch some of whose letters a person queued again (a resend, `batch
/// retry`): a completed batch runs again; a cancelled one takes no letters (`None`); any
/// other keeps its state (a paused batch stays paused).
pub fn reopened(current: BatchState) -> Option<BatchState> {
    match current {
        BatchState::Completed => Some(BatchState::Running),
        BatchState::Cancelled => None,
        other => Some(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions() {
        use BatchState::*;
        assert_eq!(BatchAction::Pause.apply(Running, true), Some(Paused));
        assert_eq!(BatchAction::Pause.apply(Completed, true), None);
        assert_eq!(BatchAction::Resume.apply(Paused, true), Some(Running));
        assert_eq!(BatchAction::Resume.apply(Paused, false), Some(Scheduled));
        assert_eq!(BatchAction::Resume.apply(Running, true), None);
        assert_eq!(BatchAction::Cancel.apply(Paused, true), Some(Cancelled));
        assert_eq!(BatchAction::Cancel.apply(Cancelled, true), None);
        assert_eq!(reopened(Completed), Some(Running));
        assert_eq!(reopened(Paused), Some(Paused));
        assert_eq!(reopened(Cancelled), None);
    }
}
