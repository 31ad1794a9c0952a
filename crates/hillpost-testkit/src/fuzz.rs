//! Settings for the property tests that feed the parsers hostile input (the signature CSV
//! importer, campaign files and letter templates, form definitions, CWC answers).
//!
//! In `cargo test` each runs a fixed number of cases from a fixed seed, so CI is repeatable
//! and takes seconds. To search longer, or elsewhere:
//!
//! ```text
//! HILLPOST_FUZZ_CASES=200000 HILLPOST_FUZZ_SEED=$RANDOM cargo test -p hillpost-core fuzz
//! ```
//!
//! A failure prints the seed and the smallest input proptest could shrink it to.

use proptest::test_runner::{Config, RngSeed};

/// The seed used unless `HILLPOST_FUZZ_SEED` says otherwise.
const SEED: u64 = 0x6869_6c6c_706f_7374; // "hillpost"

/// `cases` cases (or `HILLPOST_FUZZ_CASES`), from a fixed seed (or `HILLPOST_FUZZ_SEED`),
/// with no failure files written into the source tree.
pub fn config(cases: u32) -> Config {
    let number = |name: &str| std::env::var(name).ok().and_then(|v| v.trim().parse().ok());
    Config {
        cases: number("HILLPOST_FUZZ_CASES")
            .and_then(|n: u64| u32::try_from(n).ok())
            .unwrap_or(cases),
        rng_seed: RngSeed::Fixed(number("HILLPOST_FUZZ_SEED").unwrap_or(SEED)),
        failure_persistence: None,
        ..Config::default()
    }
}
