//! What a definition's field steps put into a form: the text for each field (a literal or a
//! `$VARIABLE`, normalised and cut to `max_length`), and the options a `select` may choose
//! from. Shared by the HTTP and browser executors, so both fill a form alike.

use std::collections::BTreeMap;

use hillpost_directory::forms::{FieldOptions, FieldValue, FormField, FormSupport};

use super::choose::{Choice, Matching};
use super::text::{normalise, truncate_on_word};

/// The values one letter fills forms with.
pub struct FieldValues<'a> {
    pub support: &'a FormSupport,
    pub variables: &'a BTreeMap<&'static str, String>,
    /// `$TOPIC`'s option when the subject matches none.
    pub topic_fallback: &'a str,
}

/// A required field whose variable has no value: the delivery falls back with this reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingValue(pub String);

impl FieldValues<'_> {
    /// The text a field is filled with: a literal, or a variable's value, normalised. `None`
    /// when a variable has no value and the field is optional.
    pub fn value_of(&self, field: &FormField) -> Result<Option<String>, MissingValue> {
        let raw = match &field.value {
            None => return Ok(None),
            Some(FieldValue::Literal(text)) => Some(text.clone()),
            Some(FieldValue::Variable(name)) => self.variables.get(name.as_str()).cloned(),
        };
        match raw {
            Some(text) => Ok(Some(normalise(&text))),
            None if field.required => {
                let name = match &field.value {
                    Some(FieldValue::Variable(name)) => name.as_str(),
                    _ => "a value",
                };
                Err(MissingValue(format!(
                    "the form requires {name} (line {}), which the sender did not give",
                    field.line
                )))
            }
            None => Ok(None),
        }
    }

    /// [`Self::value_of`], cut on a word boundary to the field's `max_length`: what a
    /// `fill_in` step types.
    pub fn fill_value(&self, field: &FormField) -> Result<Option<String>, MissingValue> {
        Ok(self.value_of(field)?.map(|value| match field.max_length {
            Some(max) => truncate_on_word(&value, max as usize),
            None => value,
        }))
    }

    /// The definition's own options for a select (label → value).
    pub fn choices(&self, field: &FormField) -> Vec<Choice> {
        let same = |v: &String| Choice {
            label: v.clone(),
            value: v.clone(),
        };
        match &field.options {
            None => Vec::new(),
            Some(FieldOptions::List(values)) => values.iter().map(same).collect(),
            Some(FieldOptions::Labelled(choices)) => choices
                .iter()
                .map(|c| Choice {
                    label: c.label.clone(),
                    value: c.value.clone(),
                })
                .collect(),
            Some(FieldOptions::Constant(name)) => self
                .support
                .constants
                .get(name)
                .map(|c| c.values.iter().map(same).collect())
                .unwrap_or_default(),
        }
    }

    /// How closely a select's value must match an option: `$TOPIC` and `$NAME_PREFIX` take
    /// the closest (the topic with the configured fallback), everything else exactly.
    pub fn matching(&self, field: &FormField) -> (Matching, Option<&str>) {
        match &field.value {
            Some(FieldValue::Variable(v)) if v == "$TOPIC" => {
                (Matching::Closest, Some(self.topic_fallback))
            }
            Some(FieldValue::Variable(v)) if v == "$NAME_PREFIX" => (Matching::Closest, None),
            _ => (Matching::Exact, None),
        }
    }
}
