//! Letters are templates (subject and Markdown body per language) filled once per message.
//!
//! Values that come from signers are Markdown-escaped before they enter the body, so a
//! signer named `[prize](https://evil.example)` shows as text, never as a link; the Markdown
//! the organizer wrote still renders. [`crate::text`] already guarantees that no value has a
//! line break, so a subject stays one header line.

use chrono::{Datelike, NaiveDate};
use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{Environment, UndefinedBehavior, Value};
use serde::Serialize;
use thiserror::Error;

use crate::campaign::{Campaign, Letter, Mode, Placeholder};
use crate::signer::{Language, NewSignature};

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RenderError {
    #[error("the {language} letter's {part} failed to render: {detail}")]
    Template {
        language: String,
        part: &'static str,
        detail: String,
    },
    #[error("the {language} letter's subject is empty once filled in")]
    EmptySubject { language: String },
    /// A letter that fills in larger than a letter may be (a template that multiplies
    /// strings or loops): refused before it takes the process's memory.
    #[error(
        "the {language} letter's {part} is larger than {limit} {unit} once filled in; that is the limit for a letter"
    )]
    TooLarge {
        language: String,
        part: &'static str,
        limit: usize,
        unit: &'static str,
    },
}

/// The values a letter's placeholders are filled with.
#[derive(Debug, Clone, Serialize)]
pub struct LetterContext {
    pub campaign: CampaignValues,
    pub recipient: RecipientValues,
    pub signature_count: u64,
    pub date: NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer: Option<SignerValues>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CampaignValues {
    pub title: String,
    pub organization: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RecipientValues {
    pub name: String,
}

/// Signer fields as text; a field the signer left blank is an empty string.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SignerValues {
    pub full_name: String,
    pub first_name: String,
    pub last_name: String,
    pub organization: String,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    pub country: String,
}

impl SignerValues {
    pub fn of(signature: &NewSignature) -> Self {
        let a = &signature.address;
        Self {
            full_name: signature.full_name(),
            first_name: signature
                .first_name
                .as_ref()
                .map(|n| n.to_string())
                .unwrap_or_default(),
            last_name: signature
                .last_name
                .as_ref()
                .map(|n| n.to_string())
                .unwrap_or_default(),
            organization: signature
                .organization
                .as_ref()
                .map(|n| n.to_string())
                .unwrap_or_default(),
            city: a.city.clone().unwrap_or_default(),
            state: a.state.map(|s| s.code().to_string()).unwrap_or_default(),
            postal_code: a
                .postal_code
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_default(),
            country: a.country.map(|c| c.name()).unwrap_or_default(),
        }
    }
}

impl LetterContext {
    pub fn new(
        campaign: &Campaign,
        recipient_name: &str,
        signature_count: u64,
        date: NaiveDate,
    ) -> Self {
        Self {
            campaign: CampaignValues {
                title: campaign.title.clone(),
                organization: campaign.organization.clone(),
            },
            recipient: RecipientValues {
                name: recipient_name.to_string(),
            },
            signature_count,
            date,
            signer: None,
        }
    }

    pub fn with_signer(mut self, signature: &NewSignature) -> Self {
        self.signer = Some(SignerValues::of(signature));
        self
    }
}

/// A filled-in letter: what is stored per message and handed to a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RenderedLetter {
    pub language: Language,
    pub subject: String,
    /// Markdown with signer values escaped; see [`crate::markdown`] for text and HTML.
    pub body_markdown: String,
}

/// A campaign's letters compiled once, rendered many times.
pub struct LetterTemplates {
    env: Environment<'static>,
}

/// Enough for any letter (a fuel unit pays for one instruction or 64 bytes of data made);
/// stops a template loop or a string multiplied by millions from running away before the
/// output caps below are reached.
const FUEL: u64 = 200_000;

/// A filled-in subject: the limit the campaign file has for its source (docs/campaigns.md).
pub const MAX_RENDERED_SUBJECT_CHARS: usize = Letter::MAX_SUBJECT_CHARS;
/// A filled-in body: the limit the campaign file has for its source.
pub const MAX_RENDERED_BODY_BYTES: usize = Letter::MAX_BODY_BYTES;

impl LetterTemplates {
    /// Compiles every letter. Call after [`check_letter`] has passed (a checked campaign).
    pub fn compile(campaign: &Campaign) -> Result<Self, RenderError> {
        let mut env = base_environment();
        for (language, letter) in &campaign.letters {
            for (part, source) in [("subject", &letter.subject), ("body", &letter.body)] {
                env.add_template_owned(format!("{language}/{part}"), source.clone())
                    .map_err(|e| RenderError::Template {
                        language: language.to_string(),
                        part,
                        detail: e.to_string(),
                    })?;
            }
        }
        Ok(Self { env })
    }

    pub fn render(
        &self,
        language: &Language,
        context: &LetterContext,
    ) -> Result<RenderedLetter, RenderError> {
        let fail = |part: &'static str| {
            move |e: minijinja::Error| RenderError::Template {
                language: language.to_string(),
                part,
                detail: e.to_string(),
            }
        };
        let too_large =
            |part: &'static str, limit: usize, unit: &'static str| RenderError::TooLarge {
                language: language.to_string(),
                part,
                limit,
                unit,
            };
        let values = Value::from(Serde(context));
        let subject = self
            .env
            .get_template(&format!("{language}/subject"))
            .map_err(fail("subject"))?;
        // Capped in bytes as it is written (a character is at most 4), then in characters.
        let subject =
            render_capped(&subject, &values, MAX_RENDERED_SUBJECT_CHARS * 4).map_err(|e| {
                e.into_render_error(
                    || too_large("subject", MAX_RENDERED_SUBJECT_CHARS, "characters"),
                    fail("subject"),
                )
            })?;
        let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
        if subject.is_empty() {
            return Err(RenderError::EmptySubject {
                language: language.to_string(),
            });
        }
        if subject.chars().count() > MAX_RENDERED_SUBJECT_CHARS {
            return Err(too_large(
                "subject",
                MAX_RENDERED_SUBJECT_CHARS,
                "characters",
            ));
        }
        let escaped = Value::from(Serde(EscapedContext::of(context)));
        let body = self
            .env
            .get_template(&format!("{language}/body"))
            .map_err(fail("body"))?;
        let body_markdown =
            render_capped(&body, &escaped, MAX_RENDERED_BODY_BYTES).map_err(|e| {
                e.into_render_error(
                    || too_large("body", MAX_RENDERED_BODY_BYTES, "bytes"),
                    fail("body"),
                )
            })?;
        Ok(RenderedLetter {
            language: language.clone(),
            subject,
            body_markdown,
        })
    }
}

/// Why a capped render failed.
enum CappedError {
    /// The output passed the cap.
    Overflow,
    Template(minijinja::Error),
}

impl CappedError {
    fn into_render_error(
        self,
        overflow: impl FnOnce() -> RenderError,
        template: impl FnOnce(minijinja::Error) -> RenderError,
    ) -> RenderError {
        match self {
            CappedError::Overflow => overflow(),
            CappedError::Template(e) => template(e),
        }
    }
}

/// Renders into a buffer that refuses to grow past `cap` bytes: the render stops at the
/// first write beyond it instead of building the whole output first.
fn render_capped(
    template: &minijinja::Template<'_, '_>,
    values: &Value,
    cap: usize,
) -> Result<String, CappedError> {
    struct Capped {
        bytes: Vec<u8>,
        cap: usize,
        overflowed: bool,
    }
    impl std::io::Write for Capped {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.bytes.len() + buf.len() > self.cap {
                self.overflowed = true;
                return Err(std::io::Error::other("letter too large"));
            }
            self.bytes.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut out = Capped {
        bytes: Vec::new(),
        cap,
        overflowed: false,
    };
    match template.render_captured_to(values, &mut out) {
        Ok(_) => Ok(String::from_utf8(out.bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())),
        Err(_) if out.overflowed => Err(CappedError::Overflow),
        Err(e) => Err(CappedError::Template(e)),
    }
}

/// The same context with every string Markdown-escaped, for the body.
#[derive(Serialize)]
struct EscapedContext {
    campaign: CampaignValues,
    recipient: RecipientValues,
    signature_count: u64,
    date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    signer: Option<SignerValues>,
}

impl EscapedContext {
    fn of(c: &LetterContext) -> Self {
        let e = crate::markdown::escape;
        Self {
            campaign: CampaignValues {
                title: e(&c.campaign.title),
                organization: e(&c.campaign.organization),
            },
            recipient: RecipientValues {
                name: e(&c.recipient.name),
            },
            signature_count: c.signature_count,
            date: c.date.to_string(),
            signer: c.signer.as_ref().map(|s| SignerValues {
                full_name: e(&s.full_name),
                first_name: e(&s.first_name),
                last_name: e(&s.last_name),
                organization: e(&s.organization),
                city: e(&s.city),
                state: e(&s.state),
                postal_code: e(&s.postal_code),
                country: e(&s.country),
            }),
        }
    }
}

fn base_environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    if let Ok(syntax) = SyntaxConfig::builder().keep_trailing_newline(true).build() {
        env.set_syntax(syntax);
    }
    env.add_filter("long_date", long_date);
    env
}

/// `{{ date | long_date("es") }}` → "19 de julio de 2023"; English by default.
fn long_date(value: String, language: Option<String>) -> String {
    let Ok(date) = NaiveDate::parse_from_str(&value, "%Y-%m-%d") else {
        return value;
    };
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const ES: [&str; 12] = [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ];
    let month = date.month0() as usize;
    match language.as_deref() {
        Some("es") => format!("{} de {} de {}", date.day(), ES[month], date.year()),
        _ => format!("{} {}, {}", EN[month], date.day(), date.year()),
    }
}

/// Every problem with one language's letter: template syntax, unknown placeholders, signer
/// placeholders in a petition (which has no single signer), size and shape limits.
pub fn check_letter(language: &Language, letter: &Letter, mode: Mode) -> Vec<String> {
    let mut problems = Vec::new();
    let subject_chars = letter.subject.chars().count();
    if letter.subject.contains(['\r', '\n']) {
        problems.push(format!("letters.{language}.subject: must be one line"));
    }
    if letter.subject.trim().is_empty() {
        problems.push(format!("letters.{language}.subject: is empty"));
    }
    if subject_chars > Letter::MAX_SUBJECT_CHARS {
        problems.push(format!(
            "letters.{language}.subject: is {subject_chars} characters long; at most {} are allowed",
            Letter::MAX_SUBJECT_CHARS
        ));
    }
    if letter.body.len() > Letter::MAX_BODY_BYTES {
        problems.push(format!(
            "letters.{language}.body: is {} bytes long; at most {} are allowed",
            letter.body.len(),
            Letter::MAX_BODY_BYTES
        ));
        return problems; // don't parse a 10 MB template
    }
    if letter.body.trim().is_empty() {
        problems.push(format!("letters.{language}.body: is empty"));
    }
    let env = base_environment();
    for (part, source) in [("subject", &letter.subject), ("body", &letter.body)] {
        match env.template_from_str(source) {
            Err(e) => problems.push(format!(
                "letters.{language}.{part}: {}",
                e.display_debug_info_or_self()
            )),
            Ok(template) => {
                let mut names: Vec<String> =
                    template.undeclared_variables(true).into_iter().collect();
                names.sort();
                for name in names {
                    match Placeholder::from_name(&name) {
                        None => problems.push(format!(
                            "letters.{language}.{part}: unknown placeholder `{{{{{name}}}}}` (known: {})",
                            Placeholder::ALL.iter().map(|p| p.name()).collect::<Vec<_>>().join(", ")
                        )),
                        Some(p) if p.is_per_signer() && mode == Mode::Petition => problems.push(format!(
                            "letters.{language}.{part}: `{{{{{name}}}}}` names one signer, but a petition letter carries all of them"
                        )),
                        Some(_) => {}
                    }
                }
            }
        }
    }
    problems
}

trait DebugInfo {
    fn display_debug_info_or_self(&self) -> String;
}

impl DebugInfo for minijinja::Error {
    fn display_debug_info_or_self(&self) -> String {
        match self.line() {
            Some(line) => format!(
                "line {line}: {}",
                self.detail().unwrap_or(&self.to_string())
            ),
            None => self.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render_body(body: &str) -> Result<RenderedLetter, RenderError> {
        let toml = format!(
            "id = \"big\"\ntitle = \"Big\"\norganization = \"Org\"\nmode = \"individual\"\n\
             default_language = \"en\"\n\n[letters.en]\nsubject = \"Hello\"\nbody = {}\n\n\
             [[targets]]\ntarget = \"custom\"\nname = \"Staff\"\nemail = \"staff@example.org\"\n",
            toml::Value::String(body.to_string())
        );
        let campaign = Campaign::from_toml(&toml).expect("a campaign that checks");
        let templates = LetterTemplates::compile(&campaign).unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let context = LetterContext::new(&campaign, "Staff", 1, date);
        templates.render(&Language::parse("en").unwrap(), &context)
    }

    #[test]
    fn a_template_that_multiplies_a_string_by_millions_is_refused_not_rendered() {
        for body in [
            r#"{% set s = "x" * 40000000 %}{{ s }}"#,
            r#"{% set s = "x" * 99999999 %}ok"#,
            r#"{% for c in "y" * 100000 %}{{ "y" * 1000 }}{% endfor %}"#,
            r#"{{ "z" * 100001 }}"#,
        ] {
            let message = render_body(body).unwrap_err().to_string();
            assert!(
                message.contains("larger than 100000 bytes") || message.contains("fuel"),
                "{body}: {message}"
            );
        }
    }

    #[test]
    fn a_letter_at_the_limit_still_renders() {
        let letter = render_body(r#"{{ "a" * 99000 }}"#).unwrap();
        assert_eq!(letter.body_markdown.len(), 99000);
    }

    #[test]
    fn long_dates() {
        assert_eq!(long_date("2023-07-19".into(), None), "July 19, 2023");
        assert_eq!(
            long_date("2023-07-19".into(), Some("es".into())),
            "19 de julio de 2023"
        );
    }
}
