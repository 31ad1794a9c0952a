//! Rows for `COPY … FROM STDIN` in PostgreSQL's text format: columns separated by tabs, rows
//! ended by newlines, `\N` for NULL, and backslash escapes for the characters that would
//! otherwise end a column or a row. COPY is the fastest way into a table: no statement per
//! chunk, no arrays to build and unpack, one stream.

use std::fmt::Write;
use std::ops::DerefMut;

use sqlx::PgConnection;
use sqlx::postgres::PgCopyIn;

/// One row being written into a COPY buffer.
pub(super) struct CopyRow<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> CopyRow<'a> {
    pub fn new(out: &'a mut String) -> Self {
        Self { out, first: true }
    }

    fn separator(&mut self) {
        if !self.first {
            self.out.push('\t');
        }
        self.first = false;
    }

    pub fn text(&mut self, value: &str) -> &mut Self {
        self.separator();
        for c in value.chars() {
            match c {
                '\\' => self.out.push_str("\\\\"),
                '\t' => self.out.push_str("\\t"),
                '\n' => self.out.push_str("\\n"),
                '\r' => self.out.push_str("\\r"),
                c => self.out.push(c),
            }
        }
        self
    }

    pub fn number(&mut self, value: i64) -> &mut Self {
        self.separator();
        let _ = write!(self.out, "{value}");
        self
    }

    pub fn null(&mut self) -> &mut Self {
        self.separator();
        self.out.push_str("\\N");
        self
    }

    pub fn opt_text(&mut self, value: Option<&str>) -> &mut Self {
        match value {
            Some(v) => self.text(v),
            None => self.null(),
        }
    }

    pub fn opt_number(&mut self, value: Option<i64>) -> &mut Self {
        match value {
            Some(v) => self.number(v),
            None => self.null(),
        }
    }

    pub fn end(&mut self) {
        self.out.push('\n');
    }
}

/// Buffers of about this many bytes are sent at a time.
pub(super) const COPY_BUFFER: usize = 1 << 20;

/// Rows written into one buffer, sent to the server a buffer at a time.
pub(super) struct CopyBuffer {
    rows: String,
}

impl CopyBuffer {
    pub fn new() -> Self {
        Self {
            rows: String::with_capacity(COPY_BUFFER + 64 * 1024),
        }
    }

    pub fn row(&mut self) -> CopyRow<'_> {
        CopyRow::new(&mut self.rows)
    }

    /// Sends the rows written so far once they fill a buffer.
    pub async fn send_when_full<C>(&mut self, copy: &mut PgCopyIn<C>) -> Result<(), sqlx::Error>
    where
        C: DerefMut<Target = PgConnection>,
    {
        if self.rows.len() >= COPY_BUFFER {
            copy.send(std::mem::take(&mut self.rows).into_bytes())
                .await?;
            self.rows.reserve(COPY_BUFFER + 64 * 1024);
        }
        Ok(())
    }

    /// Sends what is left and ends the COPY.
    pub async fn finish<C>(self, mut copy: PgCopyIn<C>) -> Result<u64, sqlx::Error>
    where
        C: DerefMut<Target = PgConnection>,
    {
        if !self.rows.is_empty() {
            copy.send(self.rows.into_bytes()).await?;
        }
        copy.finish().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_that_would_break_a_row_are_escaped() {
        let mut out = String::new();
        CopyRow::new(&mut out)
            .number(7)
            .text("a\tb\nc\\d\re")
            .null()
            .opt_text(Some("x"))
            .opt_number(None)
            .end();
        assert_eq!(out, "7\ta\\tb\\nc\\\\d\\re\t\\N\tx\t\\N\n");
    }
}
