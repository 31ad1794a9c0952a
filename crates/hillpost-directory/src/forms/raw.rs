//! The YAML shapes of a contact-congress form file, as written. `deny_unknown_fields`
//! throughout: a key we do not know is a key the executor would silently ignore.

use std::fmt;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_saphyr::Spanned;

use crate::yaml::{Entries, single_key};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFormFile {
    pub bioguide: Option<Spanned<String>>,
    pub contact_form: Option<Spanned<RawContactForm>>,
    /// One Senate file puts `success` beside `contact_form`.
    pub success: Option<Spanned<RawSuccess>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawContactForm {
    pub method: Option<String>,
    pub action: Option<String>,
    pub steps: Option<Vec<Spanned<RawStep>>>,
    pub success: Option<Spanned<RawSuccess>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSuccess {
    pub headers: Option<RawHeaders>,
    pub body: Option<RawBody>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHeaders {
    pub status: Option<u16>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBody {
    pub contains: Option<String>,
}

/// One step: a mapping with exactly one key, the step's kind.
pub(super) enum RawStep {
    Visit(String),
    /// fill_in, select, check, uncheck, choose.
    Fields(FieldStep, Vec<Spanned<RawField>>),
    ClickOn(Vec<RawClick>),
    Find(Vec<RawFind>),
    Wait(Vec<RawWait>),
    Javascript(Vec<RawScript>),
    Recaptcha(Vec<RawRecaptcha>),
}

#[derive(Clone, Copy)]
pub(super) enum FieldStep {
    FillIn,
    Select,
    Check,
    Uncheck,
    Choose,
}

const STEP_KINDS: &str =
    "visit, fill_in, select, check, uncheck, choose, click_on, find, wait, javascript or recaptcha";

impl<'de> Deserialize<'de> for RawStep {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StepVisitor;

        impl<'de> Visitor<'de> for StepVisitor {
            type Value = RawStep;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a step: a mapping with one key, {STEP_KINDS}")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawStep, A::Error> {
                let kind = single_key(&mut map)?;
                let step = match kind.as_str() {
                    "visit" => RawStep::Visit(map.next_value()?),
                    "fill_in" => RawStep::Fields(FieldStep::FillIn, map.next_value()?),
                    "select" => RawStep::Fields(FieldStep::Select, map.next_value()?),
                    "check" => RawStep::Fields(FieldStep::Check, map.next_value()?),
                    "uncheck" => RawStep::Fields(FieldStep::Uncheck, map.next_value()?),
                    "choose" => RawStep::Fields(FieldStep::Choose, map.next_value()?),
                    "click_on" => RawStep::ClickOn(map.next_value()?),
                    "find" => RawStep::Find(map.next_value()?),
                    "wait" => RawStep::Wait(map.next_value()?),
                    "javascript" => RawStep::Javascript(map.next_value()?),
                    "recaptcha" => RawStep::Recaptcha(map.next_value()?),
                    other => {
                        return Err(de::Error::custom(format!(
                            "unknown step kind `{other}` (expected {STEP_KINDS})"
                        )));
                    }
                };
                if let Some(extra) = map.next_key::<String>()? {
                    return Err(de::Error::custom(format!(
                        "a step with two kinds, `{kind}` and `{extra}` (one per list item)"
                    )));
                }
                Ok(step)
            }
        }

        deserializer.deserialize_map(StepVisitor)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawField {
    pub name: Option<String>,
    pub selector: String,
    pub value: Option<String>,
    pub required: Option<bool>,
    pub options: Option<RawOptions>,
    pub max_length: Option<u32>,
    pub captcha_selector: Option<String>,
    pub captcha_id_selector: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawClick {
    pub selector: String,
    pub value: Option<String>,
    pub name: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFind {
    pub selector: String,
    pub value: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWait {
    pub value: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScript {
    pub value: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRecaptcha {
    /// Always `true` in the data: the key marks the step, its value carries nothing.
    #[serde(rename = "value")]
    pub _value: serde::de::IgnoredAny,
    pub version: Option<String>,
    pub recaptcha_site_key: Option<String>,
    pub response_selector: Option<String>,
    pub v3_action: Option<String>,
}

/// `options:` is a list, a label → value mapping, or the name of a constant list.
pub(super) enum RawOptions {
    List(Vec<String>),
    Map(Vec<(String, String)>),
    Constant(String),
}

impl<'de> Deserialize<'de> for RawOptions {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OptionsVisitor;

        impl<'de> Visitor<'de> for OptionsVisitor {
            type Value = RawOptions;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of options, a mapping of label to value, or a constant's name")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawOptions, E> {
                Ok(RawOptions::Constant(v.to_string()))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawOptions, A::Error> {
                let mut list = Vec::new();
                while let Some(item) = seq.next_element::<String>()? {
                    list.push(item);
                }
                Ok(RawOptions::List(list))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawOptions, A::Error> {
                let Entries(entries) =
                    Entries::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RawOptions::Map(entries))
            }
        }

        deserializer.deserialize_any(OptionsVisitor)
    }
}
