//! Web-contact-form definitions in the contact-congress step format: a `visit`, then steps
//! that fill in, select, check and click, with `$VARIABLES` standing for the signer's data,
//! and a `success` check. They are parsed into typed steps here and executed by the web-form
//! channel.
//!
//! ```text
//! members/A000055.yaml ─raw::RawFormFile─▶ parse::parse_form ─▶ FormDefinition { steps, success, warnings }
//!                                                  │ (a file that is not valid YAML, has an unknown
//!                                                  ▼  step kind or no visit step)
//!                                            SourceError: file, line, reason (reported, not fatal)
//! ```

mod check;
mod fit;
#[cfg(test)]
mod fuzz;
mod javascript;
mod model;
mod parse;
mod path;
mod raw;
mod support;

pub use fit::{Cut, FormFit, LetterFacts, Missing, variable_words};
pub use javascript::{Replacement, ScriptEffect, ValueSource, classify_script};
pub use model::{
    ClickTarget, FieldOptions, FieldValue, FindTarget, FormDefinition, FormField, FormMethod,
    FormStep, FormWarning, OptionChoice, RecaptchaSpec, StepAction, SuccessCheck, WarningKind,
};
pub use parse::{FormKind, parse_form};
pub use path::ExecutionPath;
pub use support::{FormConstant, FormSupport, parse_constants, parse_variables};
