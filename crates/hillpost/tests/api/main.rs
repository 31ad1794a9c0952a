//! The HTTP API on a real server on 127.0.0.1 (a random port), called with reqwest, on
//! SQLite and on PostgreSQL (see [`both_backends!`]).

#[macro_use]
mod support;

mod access;
mod bodies;
mod bounces;
mod checkpoints;
mod dashboard;
mod delivery;
mod erasure;
mod evidence;
mod hardening;
mod receipts;
mod use_cases;
