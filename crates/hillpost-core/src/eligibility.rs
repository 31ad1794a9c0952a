//! Whom an office accepts letters from. Member offices accept only constituents (the state
//! for a senator, the state and district for a representative); everyone else is planned as
//! `skipped` with the reason, never sent.
//!
//! ```text
//! NewSignature ──SignerLocation::locate(·, ZIP table)──▶ SignerLocation
//!                                                            │ Eligibility::check (per recipient)
//!                                                            ▼
//!                                   Ok(()) │ Err(SkipReason: "not a constituent", "no address",
//!                                          │      "outside the United States", "ambiguous district")
//! ```
//!
//! The signer is located once and checked against every recipient. Nothing is guessed: a ZIP
//! that spans several districts places the signer only when they gave a district of their own.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::signer::{Country, NewSignature, UsState};

/// Why a signer's letter does not go to a recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkipReason(pub String);

/// The reasons a member office does not accept a signer, worded as `batch status` shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ineligible {
    NotAConstituent,
    /// A US signer whose address does not say where they live (no state, no usable ZIP).
    NoAddress,
    OutsideUnitedStates,
    /// The ZIP spans several districts (or states) and the signer gave none of their own.
    AmbiguousDistrict,
}

impl Ineligible {
    pub fn as_str(self) -> &'static str {
        match self {
            Ineligible::NotAConstituent => "not a constituent",
            Ineligible::NoAddress => "no address",
            Ineligible::OutsideUnitedStates => "outside the United States",
            Ineligible::AmbiguousDistrict => "ambiguous district",
        }
    }
}

impl fmt::Display for Ineligible {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<Ineligible> for SkipReason {
    fn from(value: Ineligible) -> Self {
        SkipReason(value.as_str().to_string())
    }
}

/// A congressional district: the state and its number (0 = at large, as the Census and
/// congress-legislators write it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct District {
    pub state: UsState,
    pub number: u8,
}

impl fmt::Display for District {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.number == 0 {
            write!(f, "{}-AL", self.state)
        } else {
            write!(f, "{}-{:02}", self.state, self.number)
        }
    }
}

/// The ZIP → congressional district table, as the planner needs it. The directory's table
/// implements it; the planner only asks, so core stays free of files.
pub trait DistrictLookup {
    /// Every district the five-digit ZIP lies in (several when the ZIP spans districts);
    /// empty when the table does not know the ZIP.
    fn districts(&self, zip5: &str) -> &[District];
}

/// No table: signers are placed by their own state and district only.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoDistrictTable;

impl DistrictLookup for NoDistrictTable {
    fn districts(&self, _zip5: &str) -> &[District] {
        &[]
    }
}

/// Where a signer is, as far as a member office's constituency is concerned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SignerLocation {
    OutsideUnitedStates,
    /// In the United States (or not saying otherwise) with neither a state nor a ZIP we can
    /// place.
    NoAddress,
    /// No state given and the ZIP lies in more than one state.
    AmbiguousState {
        candidates: Vec<District>,
    },
    InState {
        state: UsState,
        district: DistrictPlace,
    },
}

/// What we know of the signer's district within their state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "number", rename_all = "snake_case")]
pub enum DistrictPlace {
    Known(u8),
    /// The ZIP spans these districts of the state.
    Ambiguous(Vec<u8>),
    /// No district column and no ZIP the table knows.
    Unknown,
}

/// Countries with their own ISO code that elect a delegate or resident commissioner: a signer
/// there is in the United States for our purposes, in that "state".
const TERRITORIES: &[&str] = &["PR", "GU", "VI", "AS", "MP"];

impl SignerLocation {
    /// Places a signer: their own state and `district` column win; the ZIP table fills in only
    /// what they did not give. Called once per signer when a batch is planned.
    pub fn locate(signature: &NewSignature, table: &dyn DistrictLookup) -> Self {
        let address = &signature.address;
        let territory = address
            .country
            .filter(|c| TERRITORIES.contains(&c.code()))
            .and_then(|c| UsState::parse(c.code()).ok());
        match address.country {
            Some(Country::US) | None => {}
            Some(_) if territory.is_some() => {}
            Some(_) => return SignerLocation::OutsideUnitedStates,
        }
        let zip_districts = address
            .postal_code
            .as_ref()
            .and_then(|p| p.zip5())
            .map(|zip| table.districts(zip))
            .unwrap_or(&[]);
        let state = match territory.or(address.state) {
            Some(state) => state,
            None => {
                let mut states: Vec<UsState> = zip_districts.iter().map(|d| d.state).collect();
                states.sort();
                states.dedup();
                match states.as_slice() {
                    [] => return SignerLocation::NoAddress,
                    [one] => *one,
                    _ => {
                        return SignerLocation::AmbiguousState {
                            candidates: zip_districts.to_vec(),
                        };
                    }
                }
            }
        };
        let district = match signature.district {
            Some(number) => DistrictPlace::Known(number),
            None => {
                let mut numbers: Vec<u8> = zip_districts
                    .iter()
                    .filter(|d| d.state == state)
                    .map(|d| d.number)
                    .collect();
                numbers.sort_unstable();
                numbers.dedup();
                match numbers.as_slice() {
                    [] => DistrictPlace::Unknown,
                    [one] => DistrictPlace::Known(*one),
                    _ => DistrictPlace::Ambiguous(numbers),
                }
            }
        };
        SignerLocation::InState { state, district }
    }
}

/// Whom a recipient accepts letters from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Eligibility {
    Anyone,
    /// A senator's office: residents of the state.
    State {
        state: UsState,
    },
    /// A representative's office: residents of the district (the whole state when at large).
    District {
        district: District,
    },
}

impl Eligibility {
    pub fn check(&self, location: &SignerLocation) -> Result<(), SkipReason> {
        self.decide(location).map_err(SkipReason::from)
    }

    /// The rule itself, with the reason as a value (tests and previews match on it).
    pub fn decide(&self, location: &SignerLocation) -> Result<(), Ineligible> {
        let wanted_state = match self {
            Eligibility::Anyone => return Ok(()),
            Eligibility::State { state } => *state,
            Eligibility::District { district } => district.state,
        };
        let (state, place) = match location {
            SignerLocation::OutsideUnitedStates => return Err(Ineligible::OutsideUnitedStates),
            SignerLocation::NoAddress => return Err(Ineligible::NoAddress),
            SignerLocation::AmbiguousState { candidates } => {
                // A ZIP across a state line: only "ambiguous" when one side could be ours.
                return match candidates.iter().any(|d| d.state == wanted_state) {
                    true => Err(Ineligible::AmbiguousDistrict),
                    false => Err(Ineligible::NotAConstituent),
                };
            }
            SignerLocation::InState { state, district } => (*state, district),
        };
        if state != wanted_state {
            return Err(Ineligible::NotAConstituent);
        }
        let Eligibility::District { district } = self else {
            return Ok(());
        };
        // An at-large member represents the whole state: the state alone decides.
        if district.number == 0 {
            return Ok(());
        }
        match place {
            DistrictPlace::Known(number) if *number == district.number => Ok(()),
            DistrictPlace::Known(_) => Err(Ineligible::NotAConstituent),
            DistrictPlace::Ambiguous(numbers) if numbers.contains(&district.number) => {
                Err(Ineligible::AmbiguousDistrict)
            }
            DistrictPlace::Ambiguous(_) => Err(Ineligible::NotAConstituent),
            // A state but nothing to place them within it: their address is not enough.
            DistrictPlace::Unknown => Err(Ineligible::NoAddress),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signer::{Email, PostalAddress, PostalCode};

    struct Table(Vec<(&'static str, Vec<District>)>);

    impl DistrictLookup for Table {
        fn districts(&self, zip5: &str) -> &[District] {
            self.0
                .iter()
                .find(|(zip, _)| *zip == zip5)
                .map(|(_, d)| d.as_slice())
                .unwrap_or(&[])
        }
    }

    fn st(code: &str) -> UsState {
        UsState::parse(code).unwrap()
    }

    fn d(state: &str, number: u8) -> District {
        District {
            state: st(state),
            number,
        }
    }

    fn table() -> Table {
        Table(vec![
            ("22204", vec![d("VA", 8)]),
            ("22030", vec![d("VA", 8), d("VA", 11)]),
            ("82001", vec![d("WY", 0)]),
            // A ZIP across a state line (as some ZCTAs are).
            ("42223", vec![d("KY", 1), d("TN", 7)]),
        ])
    }

    fn signer(
        country: Option<&str>,
        state: Option<&str>,
        zip: Option<&str>,
        district: Option<u8>,
    ) -> NewSignature {
        let country = country.map(|c| Country::parse(c).unwrap());
        NewSignature {
            email: Email::parse("a@example.org").unwrap(),
            first_name: None,
            last_name: None,
            organization: None,
            address: PostalAddress {
                state: state.map(st),
                postal_code: zip.and_then(|z| PostalCode::parse_optional(z, country).unwrap()),
                country,
                ..Default::default()
            },
            district,
            language: None,
            phone: None,
            receipt_consent: false,
            signed_at: None,
            source: None,
        }
    }

    fn decide(rule: &Eligibility, s: &NewSignature) -> Result<(), Ineligible> {
        rule.decide(&SignerLocation::locate(s, &table()))
    }

    fn senate(state: &str) -> Eligibility {
        Eligibility::State { state: st(state) }
    }

    fn house(state: &str, number: u8) -> Eligibility {
        Eligibility::District {
            district: d(state, number),
        }
    }

    #[test]
    fn anyone_accepts_everyone() {
        for s in [
            signer(Some("PE"), None, None, None),
            signer(None, None, None, None),
        ] {
            assert_eq!(
                Eligibility::Anyone.check(&SignerLocation::locate(&s, &table())),
                Ok(())
            );
        }
    }

    #[test]
    fn senators_accept_their_state() {
        let va = signer(Some("US"), Some("VA"), None, None);
        assert_eq!(decide(&senate("VA"), &va), Ok(()));
        let md = signer(Some("US"), Some("MD"), Some("20815"), None);
        assert_eq!(decide(&senate("VA"), &md), Err(Ineligible::NotAConstituent));
        // No state, but the ZIP lies in Virginia only (even across two districts).
        let zip_only = signer(Some("US"), None, Some("22030"), None);
        assert_eq!(decide(&senate("VA"), &zip_only), Ok(()));
    }

    #[test]
    fn representatives_accept_their_district() {
        let arlington = signer(Some("US"), Some("VA"), Some("22204"), None);
        assert_eq!(decide(&house("VA", 8), &arlington), Ok(()));
        assert_eq!(
            decide(&house("VA", 11), &arlington),
            Err(Ineligible::NotAConstituent)
        );
        assert_eq!(
            decide(&house("MD", 8), &arlington),
            Err(Ineligible::NotAConstituent)
        );
    }

    #[test]
    fn an_ambiguous_zip_is_never_guessed() {
        let fairfax = signer(Some("US"), Some("VA"), Some("22030"), None);
        assert_eq!(
            decide(&house("VA", 11), &fairfax),
            Err(Ineligible::AmbiguousDistrict)
        );
        assert_eq!(
            decide(&house("VA", 8), &fairfax),
            Err(Ineligible::AmbiguousDistrict)
        );
        // Neither candidate: certainly not a constituent.
        assert_eq!(
            decide(&house("VA", 1), &fairfax),
            Err(Ineligible::NotAConstituent)
        );
        // The senator does not care which district.
        assert_eq!(decide(&senate("VA"), &fairfax), Ok(()));
    }

    #[test]
    fn the_signers_own_district_wins_over_the_zip_table() {
        let fairfax_11 = signer(Some("US"), Some("VA"), Some("22030"), Some(11));
        assert_eq!(decide(&house("VA", 11), &fairfax_11), Ok(()));
        assert_eq!(
            decide(&house("VA", 8), &fairfax_11),
            Err(Ineligible::NotAConstituent)
        );
        // Even where the table says otherwise (the signer may know better: a new map).
        let arlington_11 = signer(Some("US"), Some("VA"), Some("22204"), Some(11));
        assert_eq!(decide(&house("VA", 11), &arlington_11), Ok(()));
    }

    #[test]
    fn at_large_members_accept_the_whole_state() {
        let wy = signer(Some("US"), Some("WY"), None, None);
        assert_eq!(decide(&house("WY", 0), &wy), Ok(()));
        let wy_zip = signer(None, None, Some("82001"), None);
        assert_eq!(decide(&house("WY", 0), &wy_zip), Ok(()));
    }

    #[test]
    fn missing_addresses_and_signers_abroad() {
        let lima = signer(Some("PE"), None, Some("15001"), None);
        assert_eq!(
            decide(&house("VA", 8), &lima),
            Err(Ineligible::OutsideUnitedStates)
        );
        assert_eq!(
            decide(&senate("VA"), &lima),
            Err(Ineligible::OutsideUnitedStates)
        );
        let nothing = signer(Some("US"), None, None, None);
        assert_eq!(decide(&senate("VA"), &nothing), Err(Ineligible::NoAddress));
        let no_country = signer(None, None, None, None);
        assert_eq!(
            decide(&senate("VA"), &no_country),
            Err(Ineligible::NoAddress)
        );
        // A state but no ZIP or district: enough for a senator, not for a representative.
        let va = signer(Some("US"), Some("VA"), None, None);
        assert_eq!(decide(&house("VA", 8), &va), Err(Ineligible::NoAddress));
        // A ZIP the table does not know, without a state.
        let unknown = signer(Some("US"), None, Some("99999"), None);
        assert_eq!(decide(&senate("VA"), &unknown), Err(Ineligible::NoAddress));
    }

    #[test]
    fn zips_across_state_lines() {
        let border = signer(Some("US"), None, Some("42223"), None);
        assert_eq!(
            decide(&house("KY", 1), &border),
            Err(Ineligible::AmbiguousDistrict)
        );
        assert_eq!(
            decide(&senate("VA"), &border),
            Err(Ineligible::NotAConstituent)
        );
        // Their own state settles it.
        let ky = signer(Some("US"), Some("KY"), Some("42223"), None);
        assert_eq!(decide(&house("KY", 1), &ky), Ok(()));
    }

    #[test]
    fn territories_are_represented() {
        let pr = signer(Some("PR"), None, Some("00901"), None);
        assert_eq!(decide(&house("PR", 0), &pr), Ok(()));
        assert_eq!(decide(&senate("VA"), &pr), Err(Ineligible::NotAConstituent));
    }

    #[test]
    fn reasons_read_as_batch_status_shows_them() {
        let lima = signer(Some("PE"), None, None, None);
        assert_eq!(
            senate("VA").check(&SignerLocation::locate(&lima, &NoDistrictTable)),
            Err(SkipReason("outside the United States".into()))
        );
        assert_eq!(d("VA", 8).to_string(), "VA-08");
        assert_eq!(d("WY", 0).to_string(), "WY-AL");
    }
}
