//! The worker end to end against real parts: SQLite and PostgreSQL stores, a real SMTP
//! server (aiosmtpd) on loopback, the outbox.

#[macro_use]
mod support;

mod batches;
mod cwc;
mod disk_full;
mod faults;
mod rate_limits;
mod receipts;
mod signed_receipts;
mod web_forms;
