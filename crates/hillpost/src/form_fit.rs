//! The pre-flight words `targets preview` (and the dashboard's preview) say about an office
//! reached through its web form: whether the form can be used at all (and where its letters
//! go if not), whether the letters will be cut by the form's message field, and which
//! required fields ask for what some signers did not give — and where those letters go.
//!
//! ```text
//!  office ── chosen endpoint web_form F ──▶ F's execution path (unsupported / browser off ▶ next)
//!  planned letters to F (message, signer) ──FormFit::of──▶ cut? missing phone / ZIP+4 / street?
//! ```

use std::collections::BTreeSet;

use hillpost_core::batch::Endpoint;
use hillpost_core::delivery::{Channel, OutgoingLetter};
use hillpost_core::markdown::to_plain_text;
use hillpost_directory::forms::{
    ExecutionPath, FormDefinition, FormFit, LetterFacts, variable_words,
};
use hillpost_directory::{Directory, ResolvedRecipient};

use crate::config::Settings;

/// What the preview says about one office's form, line by line.
pub fn office_fit(
    settings: &Settings,
    directory: Option<&Directory>,
    office: &ResolvedRecipient,
    sendable: &[Channel],
    letters: Option<&[OutgoingLetter]>,
) -> Vec<String> {
    let usable: Vec<&Endpoint> = office
        .recipient
        .endpoints
        .iter()
        .filter(|e| sendable.contains(&e.channel))
        .collect();
    let Some(first) = usable.first() else {
        return Vec::new();
    };
    if first.channel != Channel::WebForm {
        return Vec::new();
    }
    let next = match usable.get(1) {
        Some(e) => format!("{} {}", e.channel.as_str(), e.address),
        None => "nothing: no other endpoint, they fail".into(),
    };
    let Some(form) = directory.and_then(|d| d.form(&first.address)) else {
        return vec![format!(
            "form: no definition `{}` is stored → letters go to {next}",
            first.address
        )];
    };
    let mut lines = Vec::new();
    match form.execution_path() {
        ExecutionPath::Unsupported { why } => {
            lines.push(format!(
                "form: cannot be used ({why}) → letters go to {next}"
            ));
            return lines;
        }
        ExecutionPath::Browser { why } if !settings.web_forms.browser.enabled => {
            lines.push(format!(
                "form: needs a browser ({why}) and [web_forms.browser] is off → letters go to {next}"
            ));
            return lines;
        }
        ExecutionPath::Browser { why } => {
            lines.push(format!("form: filled in headless Chromium ({why})"))
        }
        ExecutionPath::Http => lines.push("form: filled over HTTP".into()),
    }
    if !form.has_success_text() {
        lines.push(
            "form: no confirmation text to check the answer against: its letters end \
             unconfirmed until someone looks at the page kept"
                .into(),
        );
    }
    let Some(letters) = letters else {
        return lines;
    };
    lines.extend(fit_lines(settings, form, letters, &next));
    lines
}

fn fit_lines(
    settings: &Settings,
    form: &FormDefinition,
    letters: &[OutgoingLetter],
    next: &str,
) -> Vec<String> {
    let defaults = crate::channels::form_defaults(&settings.web_forms);
    let petition_sender = crate::channels::petition_sender(&settings.web_forms.petition_sender)
        .ok()
        .flatten();
    let mine: Vec<&OutgoingLetter> = letters
        .iter()
        .filter(|l| l.channel == Channel::WebForm && l.endpoint == form.id)
        .collect();
    let mut facts = Vec::with_capacity(mine.len());
    let mut no_sender = 0;
    for letter in &mine {
        let Some(signer) = letter.signer.clone().or_else(|| petition_sender.clone()) else {
            no_sender += 1;
            continue;
        };
        let mut variables: BTreeSet<&'static str> =
            hillpost_channels::web_form::sender_variables(&signer, &defaults)
                .into_keys()
                .collect();
        variables.extend(["$SUBJECT", "$MESSAGE", "$TOPIC"]);
        let message = hillpost_channels::web_form::normalise(&to_plain_text(&letter.body_markdown));
        facts.push((message, variables));
    }
    let fit = FormFit::of(
        form,
        facts
            .iter()
            .map(|(message, variables)| LetterFacts { message, variables }),
    );
    let mut lines = vec![format!("letters: {}", mine.len())];
    if no_sender > 0 {
        lines.push(format!(
            "sender: {no_sender} petition letter(s) have no signer and no \
             [web_forms.petition_sender] is set → they go to {next}"
        ));
    }
    if let Some(cut) = &fit.cut {
        lines.push(format!(
            "letter cut: {} of {} letters are longer than the form's {}-character message \
             field (line {}); the longest ({} characters) is cut after \"…{}\"",
            cut.letters, fit.letters, cut.max_length, cut.line, cut.longest, cut.cut_after
        ));
    }
    for missing in &fit.missing {
        lines.push(format!(
            "missing: {} of {} signers have no {} ({} is required at line {}) → those go to {next}",
            missing.letters,
            fit.letters,
            variable_words(&missing.variable),
            missing.variable,
            missing.line
        ));
    }
    lines
}
