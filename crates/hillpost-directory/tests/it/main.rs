//! One integration-test binary for the directory (link once, run everything).

mod diff;
mod eligibility;
mod fixture;
mod malformed;
mod resolve;
mod shared_data;
mod stored;
mod support;
