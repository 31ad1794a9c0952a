//! How a signature file's bytes reach the CSV parser: spreadsheets export in more than one
//! shape, and a broken or hostile file must not make the reader hold it all in memory.
//!
//! - [`Transcoded`]: a file starting with a UTF-16 byte order mark (Excel's "Unicode Text",
//!   some Google Sheets and LibreOffice exports) is read as UTF-8; anything else passes as it is
//!   (a UTF-8 byte order mark is the CSV parser's to skip).
//! - [`delimiter`]: the separator the header row uses: `,`, `;` (spreadsheets set to a
//!   language whose decimal mark is a comma) or a tab.
//! - [`RecordBudget`]: one row may take at most so many bytes. The CSV parser keeps a whole
//!   row in memory, and one unclosed quote makes the rest of a file one row.

use std::io::{self, Read};

use encoding_rs::{Decoder, DecoderResult, UTF_16BE, UTF_16LE};

/// Reads UTF-16 (with its byte order mark) as UTF-8; other bytes pass unchanged.
pub(crate) struct Transcoded<R> {
    inner: R,
    /// Bytes read before deciding (at most a byte order mark's), not yet passed on.
    head: Vec<u8>,
    state: State,
}

enum State {
    Unknown,
    Plain,
    Utf16 {
        decoder: Box<Decoder>,
        /// Raw bytes waiting to be decoded (an odd byte, half a surrogate pair).
        raw: Vec<u8>,
        decoded: Vec<u8>,
        served: usize,
        ended: bool,
    },
}

/// Raw bytes decoded at a time.
const DECODE_CHUNK: usize = 16 * 1024;

impl<R: Read> Transcoded<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self {
            inner,
            head: Vec::new(),
            state: State::Unknown,
        }
    }

    pub(crate) fn into_inner(self) -> R {
        self.inner
    }

    fn decide(&mut self) -> io::Result<()> {
        let mut mark = [0u8; 2];
        let mut filled = 0;
        while filled < mark.len() {
            match self.inner.read(&mut mark[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let encoding = match &mark[..filled] {
            [0xFF, 0xFE] => Some(UTF_16LE),
            [0xFE, 0xFF] => Some(UTF_16BE),
            other => {
                self.head = other.to_vec();
                None
            }
        };
        self.state = match encoding {
            None => State::Plain,
            Some(encoding) => State::Utf16 {
                decoder: Box::new(encoding.new_decoder_without_bom_handling()),
                raw: Vec::new(),
                decoded: Vec::new(),
                served: 0,
                ended: false,
            },
        };
        Ok(())
    }
}

impl<R: Read> Read for Transcoded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if matches!(self.state, State::Unknown) {
            self.decide()?;
        }
        match &mut self.state {
            State::Unknown => unreachable!("decided above"),
            State::Plain if !self.head.is_empty() => {
                let n = self.head.len().min(buf.len());
                buf[..n].copy_from_slice(&self.head[..n]);
                self.head.drain(..n);
                Ok(n)
            }
            State::Plain => self.inner.read(buf),
            State::Utf16 {
                decoder,
                raw,
                decoded,
                served,
                ended,
            } => loop {
                if *served < decoded.len() {
                    let n = (decoded.len() - *served).min(buf.len());
                    buf[..n].copy_from_slice(&decoded[*served..*served + n]);
                    *served += n;
                    return Ok(n);
                }
                if *ended {
                    return Ok(0);
                }
                let start = raw.len();
                raw.resize(start + DECODE_CHUNK, 0);
                let n = match self.inner.read(&mut raw[start..]) {
                    Ok(n) => n,
                    Err(e) => {
                        raw.truncate(start);
                        return Err(e);
                    }
                };
                raw.truncate(start + n);
                let last = n == 0;
                decoded.clear();
                *served = 0;
                let room = decoder
                    .max_utf8_buffer_length_without_replacement(raw.len())
                    .unwrap_or(raw.len() * 3 / 2 + 16);
                decoded.resize(room, 0);
                let (result, read, written) =
                    decoder.decode_to_utf8_without_replacement(raw, decoded, last);
                decoded.truncate(written);
                raw.drain(..read);
                if let DecoderResult::Malformed(..) = result {
                    *ended = true;
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "the file starts as UTF-16 text but is not valid UTF-16 further on",
                    ));
                }
                *ended = last;
            },
        }
    }
}

/// The separator of a header row: whichever of `,` `;` and tab occurs most outside
/// double quotes, a comma when none does (a file of one column) or on a tie.
pub(crate) fn delimiter(header: &[u8]) -> u8 {
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for &byte in header {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => break,
            _ if quoted => {}
            _ => {
                if let Some((_, n)) = counts.iter_mut().find(|(d, _)| *d == byte) {
                    *n += 1;
                }
            }
        }
    }
    // The first of the most frequent: a comma wins ties.
    counts
        .iter()
        .fold(
            (b',', 0),
            |best, &(d, n)| if n > best.1 { (d, n) } else { best },
        )
        .0
}

/// A reader that gives at most `limit` bytes between two calls of [`RecordBudget::renew`],
/// then fails (once) and ends: the parser reads one row between two renewals, so no row
/// can take more than `limit` bytes (plus the parser's own buffer).
pub(crate) struct RecordBudget<R> {
    inner: R,
    limit: u64,
    used: u64,
    exceeded: bool,
}

impl<R: Read> RecordBudget<R> {
    pub(crate) fn new(inner: R, limit: u64) -> Self {
        Self {
            inner,
            limit,
            used: 0,
            exceeded: false,
        }
    }

    /// A new row begins.
    pub(crate) fn renew(&mut self) {
        self.used = 0;
    }

    pub(crate) fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read> Read for RecordBudget<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.exceeded {
            return Ok(0);
        }
        if self.used >= self.limit {
            self.exceeded = true;
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "a row longer than {} bytes (an unclosed quote, or not a CSV file): reading stopped here",
                    self.limit
                ),
            ));
        }
        let room = usize::try_from(self.limit - self.used).unwrap_or(usize::MAX);
        let wanted = buf.len().min(room);
        let n = self.inner.read(&mut buf[..wanted])?;
        self.used += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(reader: impl Read) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut reader = reader;
        reader.read_to_end(&mut out)?;
        Ok(out)
    }

    /// A reader handing out one byte per call: decoding must not depend on how reads split.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match (self.0.split_first(), buf.first_mut()) {
                (Some((&byte, rest)), Some(slot)) => {
                    *slot = byte;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    fn utf16le(text: &str) -> Vec<u8> {
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        bytes
    }

    #[test]
    fn utf16_with_its_mark_is_read_as_utf8_however_the_reads_split() {
        let text = "email\tname\nana@example.org\tAna López 😀\n";
        let le = utf16le(text);
        assert_eq!(
            read_all(Transcoded::new(le.as_slice())).unwrap(),
            text.as_bytes()
        );
        assert_eq!(
            read_all(Transcoded::new(Trickle(&le))).unwrap(),
            text.as_bytes()
        );
        let mut be = vec![0xFE, 0xFF];
        be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(
            read_all(Transcoded::new(Trickle(&be))).unwrap(),
            text.as_bytes()
        );
    }

    #[test]
    fn other_bytes_pass_unchanged() {
        for bytes in [
            &b""[..],
            b"e",
            b"email,name\n",
            b"\xEF\xBB\xBFemail\n",
            b"Jos\xE9\n",
        ] {
            assert_eq!(read_all(Transcoded::new(Trickle(bytes))).unwrap(), bytes);
        }
    }

    #[test]
    fn broken_utf16_is_an_error_not_replacement_characters() {
        let mut bytes = utf16le("email\n");
        bytes.extend([0x00, 0xD8, b'a', 0x00]); // a lone high surrogate, then "a"
        let error = read_all(Transcoded::new(bytes.as_slice())).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert!(error.to_string().contains("UTF-16"), "{error}");
    }

    #[test]
    fn the_header_names_its_separator() {
        assert_eq!(delimiter(b"email,first_name,last_name\n"), b',');
        assert_eq!(delimiter(b"email;first_name;last_name\r\nx"), b';');
        assert_eq!(delimiter(b"email\tfirst_name\tlast_name"), b'\t');
        assert_eq!(delimiter(b"\"name; full\",email\n"), b',');
        assert_eq!(delimiter(b"email\n;;;;\n"), b',');
        assert_eq!(delimiter(b"a;b,c\n"), b',');
    }

    #[test]
    fn a_row_may_not_outgrow_its_budget() {
        let endless = io::repeat(b'x').take(64 << 20);
        let mut budget = RecordBudget::new(endless, 1000);
        let mut buf = [0u8; 300];
        let mut total = 0;
        let error = loop {
            match budget.read(&mut buf) {
                Ok(n) => total += n,
                Err(e) => break e,
            }
        };
        assert_eq!(total, 1000);
        assert!(
            error.to_string().contains("longer than 1000 bytes"),
            "{error}"
        );
        assert_eq!(budget.read(&mut buf).unwrap(), 0, "ends after failing once");
        let mut renewed = RecordBudget::new(io::repeat(b'x').take(5000), 1000);
        let mut read = 0;
        for _ in 0..4 {
            renewed.renew();
            read += renewed.read(&mut [0u8; 1000]).unwrap();
        }
        assert_eq!(read, 4000, "each row has its own budget");
    }
}
