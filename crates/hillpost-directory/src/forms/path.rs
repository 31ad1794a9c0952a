//! Which executor can run a definition: plain HTTP, a headless browser, or nothing (a
//! CAPTCHA a machine must not solve, a CWC-only stub). Decided once, from the steps alone, so
//! a definition is never half-run by the wrong executor.

use serde::{Deserialize, Serialize};

use super::javascript::{ScriptEffect, classify_script};
use super::model::{FieldValue, FormDefinition, StepAction};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "path", rename_all = "snake_case")]
pub enum ExecutionPath {
    /// Every step can be carried out with HTTP requests and an HTML parser.
    Http,
    /// A `javascript` step does something only a browser can do.
    Browser { why: String },
    /// No automated sender may use this form.
    Unsupported { why: String },
}

impl ExecutionPath {
    pub fn name(&self) -> &'static str {
        match self {
            ExecutionPath::Http => "http",
            ExecutionPath::Browser { .. } => "browser",
            ExecutionPath::Unsupported { .. } => "unsupported",
        }
    }

    pub fn why(&self) -> Option<&str> {
        match self {
            ExecutionPath::Http => None,
            ExecutionPath::Browser { why } | ExecutionPath::Unsupported { why } => Some(why),
        }
    }
}

impl FormDefinition {
    /// The executor this definition needs; see [`ExecutionPath`].
    pub fn execution_path(&self) -> ExecutionPath {
        if self.is_cwc_stub() {
            return ExecutionPath::Unsupported {
                why: "the office takes messages only through CWC (contact-congress stub)".into(),
            };
        }
        if self.needs_recaptcha() {
            return ExecutionPath::Unsupported {
                why: "the form has a recaptcha step".into(),
            };
        }
        let fields = self.steps.iter().flat_map(|s| match &s.action {
            StepAction::FillIn { fields }
            | StepAction::Select { fields }
            | StepAction::Check { fields }
            | StepAction::Uncheck { fields }
            | StepAction::Choose { fields } => fields.as_slice(),
            _ => &[],
        });
        for field in fields {
            let solves_captcha = matches!(&field.value,
                Some(FieldValue::Variable(v)) if v == "$CAPTCHA_SOLUTION");
            if field.captcha_selector.is_some() || solves_captcha {
                return ExecutionPath::Unsupported {
                    why: format!("the form has an image CAPTCHA (line {})", field.line),
                };
            }
        }
        for step in &self.steps {
            let StepAction::Javascript { scripts } = &step.action else {
                continue;
            };
            for script in scripts {
                if let ScriptEffect::Other { why } = classify_script(script) {
                    return ExecutionPath::Browser {
                        why: format!("line {}: {why}", step.line),
                    };
                }
            }
        }
        ExecutionPath::Http
    }
}
