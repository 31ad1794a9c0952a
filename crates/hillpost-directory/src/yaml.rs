//! Reading YAML with line numbers.
//!
//! **Why serde-saphyr.** `serde_yaml` is archived and unmaintained, and its forks
//! (`serde_yaml_ng`, `yaml_serde`) keep its design: positions are known while parsing but
//! dropped afterwards, so "duplicate bioguide id at line 1234" or "membership for a committee
//! that does not exist, line 56" cannot be said. `serde-saphyr` (2.x, actively released) is
//! pure Rust with `unsafe` forbidden, fuzzed and panic-free on malformed input, rejects
//! duplicate mapping keys by default, reports every syntax error with line and column, and its
//! [`Spanned<T>`](serde_saphyr::Spanned) keeps the line of any value we deserialize, so checks
//! made after parsing still name the line. We use only its deserializer.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::error::{Problem, SourceError};
use crate::source::SourceFile;

/// Parses a whole file into `T`; a syntax or shape error names the file and line.
pub(crate) fn parse<T: DeserializeOwned>(source: &SourceFile) -> Result<T, SourceError> {
    let text = source.text()?;
    serde_saphyr::from_str(text).map_err(|e| {
        let line = e.location().map_or(0, |l| l.line());
        source.error(
            u32::try_from(line).unwrap_or(u32::MAX),
            Problem::Yaml {
                message: reason(&e),
            },
        )
    })
}

/// The parser's message without the code snippet and without the "at line L, column C" tail
/// (our error puts the line in front, like a compiler).
fn reason(error: &serde_saphyr::Error) -> String {
    let message = error.without_snippet().to_string();
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message,
    }
}

/// The line a spanned value starts on.
pub(crate) fn line_of<T>(spanned: &serde_saphyr::Spanned<T>) -> u32 {
    u32::try_from(spanned.referenced.line()).unwrap_or(u32::MAX)
}

/// A YAML mapping with its entries in file order (committee membership is read top to bottom,
/// and option lists keep the order a form shows).
#[derive(Debug)]
pub(crate) struct Entries<K, V>(pub Vec<(K, V)>);

impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Deserialize<'de> for Entries<K, V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<K, V>(PhantomData<(K, V)>);

        impl<'de, K: Deserialize<'de>, V: Deserialize<'de>> Visitor<'de> for EntriesVisitor<K, V> {
            type Value = Entries<K, V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }

        deserializer.deserialize_map(EntriesVisitor(PhantomData))
    }
}

/// Rejects anything but a mapping with one key, for shapes like `- fill_in: [...]`.
pub(crate) fn single_key<'de, A: MapAccess<'de>>(map: &mut A) -> Result<String, A::Error> {
    map.next_key::<String>()?
        .ok_or_else(|| de::Error::custom("an empty mapping where one key was expected"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_saphyr::Spanned;

    #[test]
    fn errors_name_file_line_and_reason() {
        let file = SourceFile::new("x.yaml", "a: 1\nb: [2\n");
        let error = parse::<Entries<String, String>>(&file).unwrap_err();
        assert_eq!(error.file, "x.yaml");
        assert_eq!(error.line, 2, "{error}");
        assert!(matches!(error.problem, Problem::Yaml { .. }), "{error}");
        assert!(error.to_string().starts_with("x.yaml:2: "), "{error}");
        assert!(!error.to_string().contains("at line"), "{error}");
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let file = SourceFile::new("x.yaml", "a: 1\na: 2\n");
        let error = parse::<Entries<String, String>>(&file).unwrap_err();
        assert_eq!(error.line, 2);
        assert!(
            error.to_string().contains("duplicate mapping key"),
            "{error}"
        );
    }

    #[test]
    fn entries_keep_file_order_and_spans_keep_lines() {
        let file = SourceFile::new("x.yaml", "z: 1\na: 2\nm: 3\n");
        let Entries(entries) = parse::<Entries<Spanned<String>, String>>(&file).unwrap();
        let keys: Vec<_> = entries
            .iter()
            .map(|(k, _)| (k.value.as_str(), line_of(k)))
            .collect();
        assert_eq!(keys, [("z", 1), ("a", 2), ("m", 3)]);
    }
}
