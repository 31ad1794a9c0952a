//! Typed ids: one newtype per kind of row, so a batch id cannot be passed where a delivery
//! id is meant.
//!
//! Every id is the store's `bigint` key wrapped as it is. It is written out exactly as the
//! bare number: `Display` prints it, `FromStr` parses it and serde reads and writes it as a
//! plain JSON number (`#[serde(transparent)]`), so URLs, CLI output, JSON and signed receipts
//! stay byte-identical to the time ids were bare `i64`s. The store converts at its SQL
//! boundary ([`DeliveryId::get`] to bind, `From<i64>` to read); this crate knows no database.
//! `Default` is 0, which names no stored row: it only fills reports built field by field.

use std::fmt;
use std::num::ParseIntError;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Declares one id newtype over `$inner` with its conversions, `Display` and `FromStr`.
macro_rules! ids {
    ($inner:ty => $($(#[$doc:meta])* $name:ident),+ $(,)?) => {$(
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize,
            Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name($inner);

        impl $name {
            pub const fn new(value: $inner) -> Self {
                Self(value)
            }

            /// The bare number, as stored and as written out.
            pub const fn get(self) -> $inner {
                self.0
            }
        }

        impl From<$inner> for $name {
            fn from(value: $inner) -> Self {
                Self(value)
            }
        }

        impl From<$name> for $inner {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = ParseIntError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                text.parse().map(Self)
            }
        }
    )+};
}

ids! { i64 =>
    /// A batch: one send of a campaign's letters.
    BatchId,
    /// One letter to one office within a batch.
    DeliveryId,
    /// One recorded try of a delivery (a row never updated).
    AttemptId,
    /// A signature (a signer of a campaign); receipts name signers by it.
    SignatureId,
    /// An office a batch writes to.
    RecipientId,
    /// A batch's letter text (shared by a petition's deliveries).
    MessageId,
    /// A bounce or complaint notice received about a delivery.
    NoticeId,
    /// A signature import (one CSV upload).
    ImportId,
    /// A delivery's event row.
    EventId,
    /// An API token.
    TokenId,
}

ids! { u32 =>
    /// The 1-based number of an attempt of one delivery.
    AttemptNo,
}

/// An attempt number as the store binds every integer.
impl From<AttemptNo> for i64 {
    fn from(n: AttemptNo) -> i64 {
        i64::from(n.get())
    }
}

/// The bare numbers of `ids`, for a statement that binds a list.
pub fn numbers<T: Copy + Into<i64>>(ids: &[T]) -> Vec<i64> {
    ids.iter().map(|&id| id.into()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_the_bare_number() {
        assert_eq!(DeliveryId::new(42).to_string(), "42");
        assert_eq!(BatchId::new(-7).to_string(), "-7");
        assert_eq!(AttemptNo::new(3).to_string(), "3");
        assert_eq!(format!("/batches/{}", BatchId::new(12)), "/batches/12");
    }

    #[test]
    fn from_str_reads_the_bare_number() {
        assert_eq!("42".parse::<DeliveryId>(), Ok(DeliveryId::new(42)));
        assert_eq!("3".parse::<AttemptNo>(), Ok(AttemptNo::new(3)));
        assert!("4x".parse::<BatchId>().is_err());
        assert!("".parse::<NoticeId>().is_err());
        assert!("-1".parse::<AttemptNo>().is_err());
    }

    #[test]
    fn serde_round_trips_as_the_bare_number() {
        let id = SignatureId::new(1234);
        assert_eq!(serde_json::to_string(&id).unwrap(), "1234");
        assert_eq!(serde_json::from_str::<SignatureId>("1234").unwrap(), id);
        assert_eq!(
            serde_json::to_string(&vec![AttemptId::new(1), AttemptId::new(2)]).unwrap(),
            "[1,2]"
        );
        assert_eq!(
            serde_json::from_str::<Option<ImportId>>("null").unwrap(),
            None
        );
        assert!(serde_json::from_str::<DeliveryId>("\"1\"").is_err());
        assert_eq!(serde_json::to_string(&AttemptNo::new(2)).unwrap(), "2");
    }

    #[test]
    fn conversions_keep_the_number() {
        let id: MessageId = 9.into();
        assert_eq!(id.get(), 9);
        assert_eq!(i64::from(id), 9);
        assert_eq!(
            numbers(&[RecipientId::new(1), RecipientId::new(5)]),
            vec![1, 5]
        );
        assert!(EventId::new(1) < EventId::new(2));
        assert_eq!(TokenId::from(4), TokenId::new(4));
    }
}
