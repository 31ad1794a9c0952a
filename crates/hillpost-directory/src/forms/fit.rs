//! How a campaign's letters fit an office's form, before any batch: whether the letter will
//! be cut by the message field's `max_length` (and where), and which required fields ask
//! for what some signers did not give (a phone, a ZIP+4, a street). Pure: the caller gives
//! each letter's message and the variables its sender has.
//!
//! ```text
//!  FormDefinition ──needs()──▶ required variables (with lines), message max_length
//!  letters (message, sender's variables) ──FormFit::of──▶ cut: n letters at N chars, after "…"
//!                                                        missing: $PHONE (line L): n of m
//! ```

use std::collections::BTreeSet;

use super::model::{FieldValue, FormDefinition, StepAction};

/// The variable a letter's text fills.
pub const MESSAGE: &str = "$MESSAGE";

/// One letter as the form would receive it.
pub struct LetterFacts<'a> {
    /// The letter as plain text (what `$MESSAGE` fills).
    pub message: &'a str,
    /// The variables this letter's sender has a value for.
    pub variables: &'a BTreeSet<&'static str>,
}

/// The letters cut by the message field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cut {
    pub max_length: u32,
    pub line: u32,
    pub letters: usize,
    /// The longest letter's length, in characters.
    pub longest: usize,
    /// The last words kept of the longest letter.
    pub cut_after: String,
}

/// A required field some senders cannot fill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    pub variable: String,
    pub line: u32,
    /// Letters whose sender lacks it.
    pub letters: usize,
}

/// How the letters fit the form.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FormFit {
    pub letters: usize,
    pub cut: Option<Cut>,
    pub missing: Vec<Missing>,
}

impl FormDefinition {
    /// The message field's `max_length` and line, when it has one.
    pub fn message_limit(&self) -> Option<(u32, u32)> {
        self.fields()
            .filter(|f| matches!(&f.value, Some(FieldValue::Variable(v)) if v == MESSAGE))
            .find_map(|f| f.max_length.map(|max| (max, f.line)))
    }

    /// Required fields filled from a variable, with their lines, in step order.
    pub fn required_variables(&self) -> Vec<(String, u32)> {
        let mut seen = BTreeSet::new();
        self.fields()
            .filter(|f| f.required)
            .filter_map(|f| match &f.value {
                Some(FieldValue::Variable(v)) => Some((v.clone(), f.line)),
                _ => None,
            })
            .filter(|(v, _)| seen.insert(v.clone()))
            .collect()
    }

    fn fields(&self) -> impl Iterator<Item = &super::model::FormField> {
        self.steps.iter().flat_map(|s| match &s.action {
            StepAction::FillIn { fields }
            | StepAction::Select { fields }
            | StepAction::Check { fields }
            | StepAction::Uncheck { fields }
            | StepAction::Choose { fields } => fields.as_slice(),
            _ => &[],
        })
    }
}

impl FormFit {
    /// How `letters` fit `form`.
    pub fn of<'a>(
        form: &FormDefinition,
        letters: impl IntoIterator<Item = LetterFacts<'a>>,
    ) -> Self {
        let limit = form.message_limit();
        let required = form.required_variables();
        let mut fit = FormFit {
            missing: required
                .iter()
                .map(|(variable, line)| Missing {
                    variable: variable.clone(),
                    line: *line,
                    letters: 0,
                })
                .collect(),
            ..FormFit::default()
        };
        let mut longest: Option<&str> = None;
        let mut cut_letters = 0;
        for letter in letters {
            fit.letters += 1;
            for missing in &mut fit.missing {
                if !letter.variables.contains(missing.variable.as_str()) {
                    missing.letters += 1;
                }
            }
            if let Some((max, _)) = limit
                && letter.message.chars().count() > max as usize
            {
                cut_letters += 1;
                if longest.is_none_or(|l| l.chars().count() < letter.message.chars().count()) {
                    longest = Some(letter.message);
                }
            }
        }
        fit.missing.retain(|m| m.letters > 0);
        if let (Some((max_length, line)), Some(text)) = (limit, longest) {
            let kept: String = text.chars().take(max_length as usize).collect();
            // The cut falls on a word boundary (see the channel's truncate_on_word).
            let kept = match kept.rfind(char::is_whitespace) {
                Some(at) if at > 0 => kept[..at].trim_end().to_string(),
                _ => kept,
            };
            let tail: Vec<&str> = kept.split_whitespace().rev().take(6).collect();
            let cut_after = tail.into_iter().rev().collect::<Vec<_>>().join(" ");
            fit.cut = Some(Cut {
                max_length,
                line,
                letters: cut_letters,
                longest: text.chars().count(),
                cut_after,
            });
        }
        fit
    }
}

/// What each variable is, for people ("412 signers have no phone number").
pub fn variable_words(variable: &str) -> &'static str {
    match variable {
        "$PHONE" | "$PHONE_PARENTHESES" => "phone number",
        "$ADDRESS_ZIP4" | "$ADDRESS_ZIP_PLUS_4" => "ZIP+4",
        "$ADDRESS_ZIP5" => "ZIP code",
        "$ADDRESS_STREET" => "street address",
        "$ADDRESS_CITY" => "city",
        "$ADDRESS_STATE_POSTAL_ABBREV" | "$ADDRESS_STATE_FULL" => "state",
        "$NAME_FIRST" | "$NAME_LAST" | "$NAME_FULL" => "name",
        "$EMAIL" => "email",
        _ => "value for it",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SourceFile;
    use crate::forms::{FormKind, FormSupport, parse_form};

    #[test]
    fn cut_letters_and_missing_phones_are_counted() {
        let yaml = r##"bioguide: X000001
contact_form:
  steps:
    - visit: "https://www.x.senate.gov/contact"
    - fill_in:
        - name: phone
          selector: "#phone"
          value: $PHONE
          required: true
        - name: msg
          selector: "#msg"
          value: $MESSAGE
          required: true
          max_length: 20
    - click_on:
        - selector: "#send"
"##;
        let form = parse_form(
            &SourceFile::new("X000001.yaml", yaml.as_bytes().to_vec()),
            FormKind::Member,
            &FormSupport::default(),
        )
        .unwrap();
        let with_phone: BTreeSet<&'static str> = ["$PHONE", "$MESSAGE"].into();
        let without: BTreeSet<&'static str> = ["$MESSAGE"].into();
        let letters = [
            LetterFacts {
                message: "short",
                variables: &with_phone,
            },
            LetterFacts {
                message: "one two three four five six seven",
                variables: &without,
            },
            LetterFacts {
                message: "one two three",
                variables: &without,
            },
        ];
        let fit = FormFit::of(&form, letters);
        assert_eq!(fit.letters, 3);
        assert_eq!(
            fit.missing,
            [Missing {
                variable: "$PHONE".into(),
                line: 6,
                letters: 2
            }]
        );
        let cut = fit.cut.unwrap();
        assert_eq!((cut.max_length, cut.letters, cut.longest), (20, 1, 33));
        assert_eq!(cut.cut_after, "one two three four");
    }
}
