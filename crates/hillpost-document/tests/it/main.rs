//! The petition PDF read back with a PDF parser (pdf-extract), as an office's software would.

mod petition;
mod support;
