//! The typed form definition: what the web-form channel executes.

use serde::{Deserialize, Serialize};

use crate::source::Provenance;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormDefinition {
    /// The bioguide id for a member's form, the file's stem otherwise
    /// (`whitehouse-president-2024`).
    pub id: String,
    pub bioguide: Option<String>,
    pub method: Option<FormMethod>,
    pub action: Option<String>,
    pub steps: Vec<FormStep>,
    pub success: Option<SuccessCheck>,
    /// Things the executor and the organizer should know (no success signal, a variable
    /// nobody defines…); the definition is still usable.
    pub warnings: Vec<FormWarning>,
    pub provenance: Provenance,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum FormMethod {
    Get,
    Post,
}

/// One step with the line it starts on (the executor reports failures by line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormStep {
    pub line: u32,
    pub action: StepAction,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepAction {
    /// An http(s) page, or `stubforcwc` (see [`FormDefinition::is_cwc_stub`]).
    Visit {
        url: String,
    },
    FillIn {
        fields: Vec<FormField>,
    },
    Select {
        fields: Vec<FormField>,
    },
    Check {
        fields: Vec<FormField>,
    },
    Uncheck {
        fields: Vec<FormField>,
    },
    Choose {
        fields: Vec<FormField>,
    },
    ClickOn {
        targets: Vec<ClickTarget>,
    },
    Find {
        targets: Vec<FindTarget>,
    },
    Wait {
        millis: u64,
    },
    /// Script the page runs; an executor without a browser cannot perform it.
    Javascript {
        scripts: Vec<String>,
    },
    /// A CAPTCHA a machine must not solve: the endpoint is unusable for automated delivery.
    Recaptcha {
        challenges: Vec<RecaptchaSpec>,
    },
}

impl StepAction {
    /// The step's name in the YAML format.
    pub fn kind(&self) -> &'static str {
        match self {
            StepAction::Visit { .. } => "visit",
            StepAction::FillIn { .. } => "fill_in",
            StepAction::Select { .. } => "select",
            StepAction::Check { .. } => "check",
            StepAction::Uncheck { .. } => "uncheck",
            StepAction::Choose { .. } => "choose",
            StepAction::ClickOn { .. } => "click_on",
            StepAction::Find { .. } => "find",
            StepAction::Wait { .. } => "wait",
            StepAction::Javascript { .. } => "javascript",
            StepAction::Recaptcha { .. } => "recaptcha",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormField {
    pub name: Option<String>,
    pub selector: String,
    pub value: Option<FieldValue>,
    pub required: bool,
    pub options: Option<FieldOptions>,
    pub max_length: Option<u32>,
    /// An image CAPTCHA's selectors (one old House form); such a field cannot be filled.
    pub captcha_selector: Option<String>,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum FieldValue {
    /// `$NAME_FIRST`: filled from the signer or the campaign (see support/variables.yaml).
    Variable(String),
    Literal(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum FieldOptions {
    /// The values the field accepts, shown as they are sent.
    List(Vec<String>),
    /// Label shown → value sent (`Agriculture: AGR`), in the form's order.
    Labelled(Vec<OptionChoice>),
    /// A list named in support/constants.yaml (`US_STATES`).
    Constant(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionChoice {
    pub label: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClickTarget {
    pub selector: String,
    pub value: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindTarget {
    pub selector: String,
    pub value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecaptchaSpec {
    pub version: Option<String>,
    pub site_key: Option<String>,
    pub response_selector: Option<String>,
    pub action: Option<String>,
}

/// How to tell that a submission was accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuccessCheck {
    pub status: Option<u16>,
    /// Text the thank-you page contains; `None` when the definition leaves it empty.
    pub body_contains: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormWarning {
    pub line: u32,
    pub kind: WarningKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum WarningKind {
    /// No `success` block: a submission cannot be confirmed.
    NoSuccessCheck,
    /// `contains: ""`: any page would count as success.
    EmptySuccessText,
    /// `success` written beside `contact_form` instead of inside it (used anyway).
    SuccessOutsideContactForm,
    UnknownVariable(String),
    UnknownConstant(String),
}

impl std::fmt::Display for FormWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: ", self.line)?;
        match &self.kind {
            WarningKind::NoSuccessCheck => f.write_str("no success check"),
            WarningKind::EmptySuccessText => f.write_str("empty success text"),
            WarningKind::SuccessOutsideContactForm => {
                f.write_str("success block outside contact_form")
            }
            WarningKind::UnknownVariable(name) => write!(f, "unknown variable {name}"),
            WarningKind::UnknownConstant(name) => write!(f, "unknown option list {name}"),
        }
    }
}

impl FormDefinition {
    /// The page the form starts on (the first `visit`); `None` for a CWC stub.
    pub fn visit_url(&self) -> Option<&str> {
        self.steps.iter().find_map(|s| match &s.action {
            StepAction::Visit { url } if url != super::parse::CWC_STUB => Some(url.as_str()),
            _ => None,
        })
    }

    /// contact-congress marks offices that take mail only through CWC with a form whose page
    /// is `stubforcwc`: there is nothing to fill in.
    pub fn is_cwc_stub(&self) -> bool {
        self.steps.iter().any(
            |s| matches!(&s.action, StepAction::Visit { url } if url == super::parse::CWC_STUB),
        )
    }

    pub fn needs_recaptcha(&self) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(s.action, StepAction::Recaptcha { .. }))
    }

    pub fn has_javascript(&self) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(s.action, StepAction::Javascript { .. }))
    }

    /// Whether a confirmation text exists to check after submitting.
    pub fn has_success_text(&self) -> bool {
        self.success
            .as_ref()
            .is_some_and(|s| s.body_contains.is_some())
    }
}
