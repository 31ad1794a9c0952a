//! CWC office codes: how the House's (and some Senate offices') delivery gateway names a
//! member office. House: `H` + state + two-digit district (`00` at large), e.g. `HVA04`;
//! Senate: `S` + state + `01`..`03` (the seat's class), e.g. `SID02`.

use std::fmt;

use hillpost_core::signer::UsState;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OfficeCode(String);

impl OfficeCode {
    pub fn house(state: UsState, district: u8) -> Self {
        Self(format!("H{}{district:02}", state.code()))
    }

    pub fn senate(state: UsState, class: u8) -> Self {
        Self(format!("S{}{class:02}", state.code()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OfficeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        let va = UsState::parse("VA").unwrap();
        assert_eq!(OfficeCode::house(va, 4).as_str(), "HVA04");
        assert_eq!(
            OfficeCode::house(UsState::parse("WY").unwrap(), 0).as_str(),
            "HWY00"
        );
        assert_eq!(
            OfficeCode::senate(UsState::parse("ID").unwrap(), 2).as_str(),
            "SID02"
        );
    }
}
