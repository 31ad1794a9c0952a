//! End-to-end suites across crates: the `hillpost` binary as users run it, against real
//! SQLite and PostgreSQL databases and a real SMTP server. Built as the `hillpost` package's
//! `e2e` test so `CARGO_BIN_EXE_hillpost` points at the binary under test.

mod audit;
mod bad_input;
mod bounces;
mod checkpoints;
mod cli;
mod dashboard;
mod delivery;
mod demo;
mod directory;
mod directory_delivery;
mod erasure;
mod logs;
mod never_twice;
mod serve;
mod shutdown;
mod signed_receipts;
mod support;
mod web_forms;
