//! The store's behaviour, on SQLite and on PostgreSQL: every test here runs once per backend
//! (see [`both_backends!`]); the PostgreSQL half says loudly when it was skipped.

#[macro_use]
mod support;

mod audit;
mod batches;
mod campaigns;
mod checkpoints;
mod directory;
mod erasure;
mod evidence;
mod import;
mod metrics;
mod migrations;
mod queue;
mod receipts;
mod routes;
mod signatures;
mod throughput;
mod tokens;
