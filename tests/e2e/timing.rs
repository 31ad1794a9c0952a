//! End-to-end suites that judge time from the outside (receive times at a real SMTP server).
//! They run as a test binary of their own: cargo runs test binaries one after another, so no
//! other suite competes for the machine's cores while these measure.

mod rate_limits;
// The timing suites use only part of the shared workspace helpers.
#[allow(dead_code)]
mod support;
