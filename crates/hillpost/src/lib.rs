//! hillpost's application layer: configuration, planning, the CLI's commands and the HTTP
//! server. A library so that `hillpost serve` and the commands share one set of functions
//! (the API calls what the CLI calls), and so tests can start the server in-process.

pub mod app;
pub mod audit_export;
pub mod bounces;
pub mod channels;
pub mod cli;
pub mod commands;
pub mod config;
pub mod dashboard;
pub mod directory;
pub mod dns;
pub mod form_fit;
pub mod key_arg;
pub mod logging;
pub mod petition;
pub mod planning;
pub mod server;
pub mod targets;
pub mod text_file;
pub mod time;
pub mod tokens;
