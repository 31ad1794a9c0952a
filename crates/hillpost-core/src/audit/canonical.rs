//! Canonical JSON: the one byte sequence an audit event hashes to.
//!
//! - object keys sorted by their UTF-8 bytes (every key we write is ASCII, so this is also
//!   the order of RFC 8785), each key once;
//! - no whitespace anywhere;
//! - strings escaped as `serde_json` writes them: `"` `\` and control characters only,
//!   everything else as raw UTF-8;
//! - numbers as `serde_json` writes them; event payloads hold integers only, never floats,
//!   so no number has two spellings;
//! - `null`, `true`, `false` as such.
//!
//! The same value always gives the same text, whatever order its keys were built in.

use serde_json::Value;

/// `value` as canonical JSON text.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write(value, &mut out);
    out
}

fn write(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            // Sorted here rather than trusting the map's order: serde_json keeps insertion
            // order when any crate in the build enables its `preserve_order` feature.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write(item, out);
            }
            out.push('}');
        }
    }
}

pub(super) fn write_string(s: &str, out: &mut String) {
    // serde_json's string escaping is minimal and fixed; serialising a &str cannot fail.
    out.push_str(&serde_json::to_string(s).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::canonical_json;

    #[test]
    fn keys_are_sorted_at_every_depth_and_there_is_no_whitespace() {
        let value = json!({"b": 1, "a": {"z": [1, {"y": null, "x": true}], "c": "é\"\n"}});
        assert_eq!(
            canonical_json(&value),
            r#"{"a":{"c":"é\"\n","z":[1,{"x":true,"y":null}]},"b":1}"#
        );
    }

    #[test]
    fn the_same_value_built_in_another_order_gives_the_same_text() {
        let mut one = serde_json::Map::new();
        one.insert("kind".into(), json!("x"));
        one.insert("at".into(), json!(-3));
        let mut two = serde_json::Map::new();
        two.insert("at".into(), json!(-3));
        two.insert("kind".into(), json!("x"));
        assert_eq!(canonical_json(&one.into()), canonical_json(&two.into()));
    }
}
