//! Reading signatures from CSV files: Action Network exports and our own column names.

mod columns;
mod reading;
mod row;
mod signatures_csv;

pub use columns::{Column, ColumnMap, HeaderError};
pub use row::RowError;
pub use signatures_csv::{CsvRow, SignatureCsv};
