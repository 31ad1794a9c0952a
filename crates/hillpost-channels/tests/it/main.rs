//! hillpost-channels against real parts: the test SMTP server (Debian's python3-aiosmtpd,
//! see `tests/support/smtp_server.py`) and real directories. One test binary, one module
//! per concern.

mod cwc;
mod dkim;
mod egress;
mod egress_proxy;
mod outbox;
mod router;
mod smtp_delivery;
mod smtp_failures;
mod smtp_pipelining;
mod smtp_pool;
mod smtp_turns;
mod support;
mod web_form;
