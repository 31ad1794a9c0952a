//! CWC office codes: which member office a message is for.

use std::fmt;

use thiserror::Error;

use crate::campaign::Chamber;
use crate::signer::UsState;

/// A member office as CWC names it: House `H` + state + two-digit district (`00` at large),
/// e.g. `HVA04`; Senate `S` + state + seat class `01`–`03`, e.g. `SID02`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OfficeCode {
    code: String,
    chamber: Chamber,
    state: UsState,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error(
    "`{0}` is not a CWC office code (House: H, state, two-digit district, e.g. HVA04; \
     Senate: S, state, 01 to 03, e.g. SID02)"
)]
pub struct OfficeCodeError(pub String);

impl OfficeCode {
    pub fn parse(raw: &str) -> Result<Self, OfficeCodeError> {
        let code = raw.trim().to_ascii_uppercase();
        let fail = || OfficeCodeError(raw.trim().to_string());
        if code.len() != 5 || !code.is_ascii() {
            return Err(fail());
        }
        let (kind, state, number) = (&code[..1], &code[1..3], &code[3..]);
        if !state.chars().all(|c| c.is_ascii_uppercase())
            || !number.chars().all(|c| c.is_ascii_digit())
        {
            return Err(fail());
        }
        let state = UsState::parse(state).map_err(|_| fail())?;
        let chamber = match kind {
            "H" => Chamber::House,
            "S" if matches!(number, "01" | "02" | "03") => Chamber::Senate,
            _ => return Err(fail()),
        };
        Ok(Self {
            code,
            chamber,
            state,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.code
    }

    pub fn chamber(&self) -> Chamber {
        self.chamber
    }

    /// The state the office serves: CWC delivers only constituents' messages.
    pub fn state(&self) -> UsState {
        self.state
    }
}

impl fmt::Display for OfficeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn house_and_senate_codes() {
        let house = OfficeCode::parse("hva04").unwrap();
        assert_eq!(
            (house.as_str(), house.chamber(), house.state().code()),
            ("HVA04", Chamber::House, "VA")
        );
        assert_eq!(
            OfficeCode::parse("HWY00").unwrap().chamber(),
            Chamber::House
        );
        let senate = OfficeCode::parse("SID02").unwrap();
        assert_eq!(senate.chamber(), Chamber::Senate);
        for bad in [
            "SID04", "SID00", "HXX01", "XVA01", "HVA4", "HVA044", "H VA4", "",
        ] {
            assert!(OfficeCode::parse(bad).is_err(), "{bad}");
        }
    }
}
