//! Checking each step, field and success block of a form while building its typed form:
//! what cannot be followed is an error (the caller adds the line), the rest become warnings.

use serde_saphyr::Spanned;

use super::model::{
    ClickTarget, FieldOptions, FieldValue, FindTarget, FormField, FormWarning, OptionChoice,
    RecaptchaSpec, StepAction, SuccessCheck, WarningKind,
};
use super::parse::CWC_STUB;
use super::raw::{FieldStep, RawField, RawOptions, RawStep, RawSuccess};
use super::support::FormSupport;
use crate::yaml::line_of;

pub(super) struct Checker<'a> {
    pub support: &'a FormSupport,
    pub warnings: Vec<FormWarning>,
}

impl Checker<'_> {
    pub fn warn(&mut self, line: u32, kind: WarningKind) {
        self.warnings.push(FormWarning { line, kind });
    }

    pub fn step(&mut self, raw: RawStep) -> Result<StepAction, String> {
        Ok(match raw {
            RawStep::Visit(url) if url.trim() == CWC_STUB => StepAction::Visit {
                url: CWC_STUB.to_string(),
            },
            RawStep::Visit(url) => {
                let parsed = url::Url::parse(&url).map_err(|e| format!("visit `{url}`: {e}"))?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(format!("visit `{url}` is not an http(s) address"));
                }
                StepAction::Visit { url }
            }
            RawStep::Fields(kind, raw_fields) => {
                let fields = raw_fields
                    .into_iter()
                    .map(|f| self.field(kind, f))
                    .collect::<Result<Vec<_>, _>>()?;
                match kind {
                    FieldStep::FillIn => StepAction::FillIn { fields },
                    FieldStep::Select => StepAction::Select { fields },
                    FieldStep::Check => StepAction::Check { fields },
                    FieldStep::Uncheck => StepAction::Uncheck { fields },
                    FieldStep::Choose => StepAction::Choose { fields },
                }
            }
            RawStep::ClickOn(targets) => StepAction::ClickOn {
                targets: targets
                    .into_iter()
                    .map(|t| ClickTarget {
                        selector: t.selector,
                        value: t.value,
                        name: t.name,
                    })
                    .collect(),
            },
            RawStep::Find(targets) => StepAction::Find {
                targets: targets
                    .into_iter()
                    .map(|t| FindTarget {
                        selector: t.selector,
                        value: t.value,
                    })
                    .collect(),
            },
            RawStep::Wait(waits) => {
                let seconds: f64 = waits.iter().map(|w| w.value).sum();
                if !(0.0..=600.0).contains(&seconds) {
                    return Err(format!("wait of {seconds} seconds (0 to 600)"));
                }
                // Rounded to whole milliseconds: finer waits mean nothing to a web page.
                let millis = (seconds * 1000.0).round() as u64;
                StepAction::Wait { millis }
            }
            RawStep::Javascript(scripts) => StepAction::Javascript {
                scripts: scripts.into_iter().map(|s| s.value).collect(),
            },
            RawStep::Recaptcha(challenges) => StepAction::Recaptcha {
                challenges: challenges
                    .into_iter()
                    .map(|r| RecaptchaSpec {
                        version: r.version,
                        site_key: r.recaptcha_site_key,
                        response_selector: r.response_selector,
                        action: r.v3_action,
                    })
                    .collect(),
            },
        })
    }

    fn field(&mut self, kind: FieldStep, raw: Spanned<RawField>) -> Result<FormField, String> {
        let line = line_of(&raw);
        let raw = raw.value;
        let value = raw.value.map(|v| self.value(line, v));
        let mut max_length = raw.max_length;
        let options = match raw.options {
            None => None,
            // A text field's "options" are its limits (`options: {max_length: 2000}`).
            Some(RawOptions::Map(entries)) if matches!(kind, FieldStep::FillIn) => {
                for (key, value) in entries {
                    match key.as_str() {
                        "max_length" => {
                            let n = value.parse().map_err(|_| {
                                format!("max_length `{value}` is not a number (line {line})")
                            })?;
                            max_length = Some(n);
                        }
                        other => {
                            return Err(format!("unknown fill_in option `{other}` (line {line})"));
                        }
                    }
                }
                None
            }
            Some(RawOptions::Map(entries)) => Some(FieldOptions::Labelled(
                entries
                    .into_iter()
                    .map(|(label, value)| OptionChoice { label, value })
                    .collect(),
            )),
            Some(RawOptions::List(list)) => Some(FieldOptions::List(list)),
            Some(RawOptions::Constant(name)) => {
                let known =
                    self.support.constants.is_empty() || self.support.constants.contains_key(&name);
                if !known {
                    self.warn(line, WarningKind::UnknownConstant(name.clone()));
                }
                Some(FieldOptions::Constant(name))
            }
        };
        Ok(FormField {
            name: raw.name,
            selector: raw.selector,
            value,
            required: raw.required.unwrap_or(false),
            options,
            max_length,
            captcha_selector: raw.captcha_selector.or(raw.captcha_id_selector),
            line,
        })
    }

    /// `$UPPER_CASE` is a variable; anything else (including scripts that use jQuery's `$`)
    /// is a literal.
    fn value(&mut self, line: u32, value: String) -> FieldValue {
        let is_variable = value.strip_prefix('$').is_some_and(|name| {
            name.starts_with(|c: char| c.is_ascii_uppercase())
                && name
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        });
        if !is_variable {
            return FieldValue::Literal(value);
        }
        let known =
            self.support.variables.is_empty() || self.support.variables.contains_key(&value);
        if !known {
            self.warn(line, WarningKind::UnknownVariable(value.clone()));
        }
        FieldValue::Variable(value)
    }

    pub fn success(&mut self, raw: Spanned<RawSuccess>) -> SuccessCheck {
        let line = line_of(&raw);
        let raw = raw.value;
        let contains = raw.body.and_then(|b| b.contains);
        let body_contains = match contains {
            Some(text) if !text.trim().is_empty() => Some(text),
            _ => {
                self.warn(line, WarningKind::EmptySuccessText);
                None
            }
        };
        SuccessCheck {
            status: raw.headers.and_then(|h| h.status),
            body_contains,
        }
    }
}
