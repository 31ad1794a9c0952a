//! `zccd.csv` (`state_fips,state_abbr,zcta,cd`): the 2020 Census ZIP areas (ZCTAs) and the
//! congressional districts they lie in. A ZIP may lie in several districts; such a ZIP alone
//! never places a signer (see `hillpost_core::eligibility`).

use std::collections::BTreeMap;

use hillpost_core::eligibility::{District, DistrictLookup};
use hillpost_core::signer::UsState;
use serde::{Deserialize, Serialize};

use crate::error::{Problem, SourceError};
use crate::source::{Provenance, SourceFile};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZipDistricts {
    by_zip: BTreeMap<String, Vec<District>>,
    /// The file the table was read from; `None` for an empty table.
    pub provenance: Option<Provenance>,
}

const HEADER: [&str; 4] = ["state_fips", "state_abbr", "zcta", "cd"];

impl ZipDistricts {
    /// Parses the table; a malformed row is an error naming its line.
    pub fn parse(source: &SourceFile) -> Result<Self, SourceError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(source.bytes());
        let line_of = |position: Option<&csv::Position>| {
            position.map_or(0, |p| u32::try_from(p.line()).unwrap_or(u32::MAX))
        };
        let header = reader.headers().map_err(|e| {
            source.error(
                line_of(e.position()),
                Problem::Csv {
                    message: e.to_string(),
                },
            )
        })?;
        let columns: Vec<&str> = header.iter().map(str::trim).collect();
        if columns != HEADER {
            return Err(source.error(
                1,
                Problem::Csv {
                    message: format!(
                        "header `{}` (expected `{}`)",
                        columns.join(","),
                        HEADER.join(",")
                    ),
                },
            ));
        }
        let mut by_zip: BTreeMap<String, Vec<District>> = BTreeMap::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                source.error(
                    line_of(e.position()),
                    Problem::Csv {
                        message: e.to_string(),
                    },
                )
            })?;
            let line = line_of(record.position());
            let bad = |reason: String| source.error(line, Problem::BadZipRow { reason });
            let (Some(state), Some(zip), Some(cd)) = (record.get(1), record.get(2), record.get(3))
            else {
                return Err(bad("fewer than four columns".into()));
            };
            let state = UsState::parse(state).map_err(|e| bad(e.to_string()))?;
            if zip.len() != 5 || !zip.chars().all(|c| c.is_ascii_digit()) {
                return Err(bad(format!("`{zip}` is not a five-digit ZIP")));
            }
            let number: u8 = cd
                .trim()
                .parse()
                .ok()
                .filter(|n| *n <= 99)
                .ok_or_else(|| bad(format!("`{cd}` is not a district number")))?;
            let districts = by_zip.entry(zip.to_string()).or_default();
            let district = District { state, number };
            if districts.contains(&district) {
                return Err(bad(format!("{zip} in {district} is listed twice")));
            }
            districts.push(district);
        }
        for districts in by_zip.values_mut() {
            districts.sort();
        }
        Ok(Self {
            by_zip,
            provenance: Some(source.provenance(1)),
        })
    }

    /// A table from stored rows (already checked when they were imported).
    pub fn from_rows(
        rows: impl IntoIterator<Item = (String, District)>,
        provenance: Provenance,
    ) -> Self {
        let mut by_zip: BTreeMap<String, Vec<District>> = BTreeMap::new();
        for (zip, district) in rows {
            by_zip.entry(zip).or_default().push(district);
        }
        for districts in by_zip.values_mut() {
            districts.sort();
            districts.dedup();
        }
        Self {
            by_zip,
            provenance: Some(provenance),
        }
    }

    /// Each ZIP with its districts, by ZIP.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &[District])> + '_ {
        self.by_zip.iter().map(|(z, d)| (z.as_str(), d.as_slice()))
    }

    /// Districts of a five-digit ZIP; empty when unknown.
    pub fn get(&self, zip5: &str) -> &[District] {
        self.by_zip.get(zip5).map_or(&[], Vec::as_slice)
    }

    /// The number of ZIP areas.
    pub fn len(&self) -> usize {
        self.by_zip.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_zip.is_empty()
    }

    /// ZIP areas that lie in more than one district.
    pub fn ambiguous(&self) -> usize {
        self.by_zip.values().filter(|d| d.len() > 1).count()
    }
}

impl DistrictLookup for ZipDistricts {
    fn districts(&self, zip5: &str) -> &[District] {
        self.get(zip5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_districts_per_zip() {
        let file = SourceFile::new(
            "zccd.csv",
            "state_fips,state_abbr,zcta,cd\n51,VA,22030,11\n51,VA,22030,8\n56,WY,82001,0\n",
        );
        let table = ZipDistricts::parse(&file).unwrap();
        assert_eq!(table.len(), 2);
        assert_eq!(table.ambiguous(), 1);
        let numbers: Vec<u8> = table.get("22030").iter().map(|d| d.number).collect();
        assert_eq!(numbers, [8, 11]);
        assert!(table.get("99999").is_empty());
    }

    #[test]
    fn bad_rows_name_their_line() {
        let file = SourceFile::new(
            "zccd.csv",
            "state_fips,state_abbr,zcta,cd\n51,VA,22030,11\n51,VA,2203,8\n",
        );
        let error = ZipDistricts::parse(&file).unwrap_err();
        assert_eq!(
            error.to_string(),
            "zccd.csv:3: `2203` is not a five-digit ZIP"
        );
        let file = SourceFile::new("zccd.csv", "zip,cd\n22030,11\n");
        assert_eq!(ZipDistricts::parse(&file).unwrap_err().line, 1);
    }
}
