//! The HTML side of a form run, without a browser: the page as parsed, the edits the steps
//! made to its controls, and the submission a click produces (the HTML form-submission
//! algorithm, for the controls the Senate's forms use).
//!
//! A parsed document (`scraper::Html`) cannot cross an `.await`, so the run keeps only the
//! page's text and the edits; each group of steps between requests parses the text once.
//! Re-parsing the same text gives the same node ids, which is what edits are keyed by.

use std::collections::{HashMap, HashSet};

use ego_tree::NodeId;
use scraper::{ElementRef, Html, Selector};
use url::Url;

use super::choose::{Choice, Matching, option_to_send};

/// A page as fetched.
#[derive(Debug, Clone)]
pub struct Page {
    pub url: Url,
    pub html: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Edit {
    Value(String),
    Checked(bool),
}

/// What the steps changed on the current page.
#[derive(Debug, Default)]
pub struct FormState {
    edits: HashMap<NodeId, Edit>,
    enabled: HashSet<NodeId>,
    /// The form of the last control edited: the one a click outside any form submits.
    last_form: Option<NodeId>,
    /// Controls that hold the letter itself ($MESSAGE): a submission with one of them
    /// carries the letter; one without (a ZIP lookup, a "next page") does not.
    letter_fields: HashSet<NodeId>,
}

/// The request a click produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    pub method: reqwest::Method,
    pub url: Url,
    pub fields: Vec<(String, String)>,
    pub multipart: bool,
    /// Whether a control holding the letter is among the fields.
    pub carries_letter: bool,
}

/// What a click does, as a browser would do it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clicked {
    /// A checkbox or radio button changed (clicked itself, or through its label); nothing
    /// was sent.
    Changed,
    /// The click submits a form: build the [`Submission`].
    Submits,
    /// A link to another page: the browser goes there (a GET that posts nothing).
    Follows(Url),
    /// Something that changes the page only (a tab or button that reveals the form, a link
    /// within the page, the label of a text field): nothing is sent. Says what, for the
    /// attempt's note.
    PageOnly(String),
}

/// The same text that [`super::run`] reports, naming the selector and step line.
pub type StepFailure = String;

pub fn selector(css: &str) -> Result<Selector, StepFailure> {
    Selector::parse(css).map_err(|e| format!("the selector `{css}` is not valid CSS: {e}"))
}

/// The first element `css` matches, or a failure naming it.
fn one<'a>(doc: &'a Html, css: &str) -> Result<ElementRef<'a>, StepFailure> {
    doc.select(&selector(css)?)
        .next()
        .ok_or_else(|| format!("`{css}` is not on the page"))
}

/// `find`: the selector must match, and when `text` is given, an element it matches must
/// contain it.
pub fn find(doc: &Html, css: &str, text: Option<&str>) -> Result<(), StepFailure> {
    let sel = selector(css)?;
    let mut matched = doc.select(&sel).peekable();
    if matched.peek().is_none() {
        return Err(format!("`{css}` is not on the page"));
    }
    match text {
        None => Ok(()),
        Some(wanted) => {
            let found = matched.any(|el| el.text().collect::<String>().contains(wanted));
            if found {
                Ok(())
            } else {
                Err(format!("`{css}` does not contain \"{wanted}\""))
            }
        }
    }
}

/// Whether `css` matches anything (for `forms check --live`).
pub fn matches(doc: &Html, css: &str) -> bool {
    selector(css).is_ok_and(|sel| doc.select(&sel).next().is_some())
}

impl FormState {
    /// `fill_in`: sets a text field (or hidden field, or textarea) to `value`.
    pub fn fill(&mut self, doc: &Html, css: &str, value: String) -> Result<(), StepFailure> {
        let el = one(doc, css)?;
        self.remember_form(el);
        self.edits.insert(el.id(), Edit::Value(value));
        Ok(())
    }

    /// The field's current value (after edits): for value-rewriting scripts.
    pub fn current_value(&self, doc: &Html, css: &str) -> Result<String, StepFailure> {
        let el = one(doc, css)?;
        Ok(match self.edits.get(&el.id()) {
            Some(Edit::Value(v)) => v.clone(),
            _ => initial_value(el),
        })
    }

    /// `select`: picks the option for `wanted` among those the page offers (matched on the
    /// option's text or value). `allowed` are the definition's own options (label → value);
    /// when given, `wanted` is first mapped through them.
    pub fn select(
        &mut self,
        doc: &Html,
        css: &str,
        wanted: &str,
        allowed: &[Choice],
        matching: Matching,
        fallback: Option<&str>,
    ) -> Result<String, StepFailure> {
        let el = one(doc, css)?;
        let offered = if el.value().name() == "select" {
            options_of(el)
        } else {
            Vec::new()
        };
        let value = option_to_send(css, wanted, allowed, &offered, matching, fallback)?;
        self.remember_form(el);
        self.edits.insert(el.id(), Edit::Value(value.clone()));
        Ok(value)
    }

    /// `check` / `uncheck`: a checkbox (or radio) by selector.
    pub fn set_checked(&mut self, doc: &Html, css: &str, checked: bool) -> Result<(), StepFailure> {
        let el = one(doc, css)?;
        self.set_checked_element(doc, el, checked);
        Ok(())
    }

    fn set_checked_element(&mut self, doc: &Html, el: ElementRef, checked: bool) {
        self.remember_form(el);
        if checked
            && el
                .attr("type")
                .is_some_and(|t| t.eq_ignore_ascii_case("radio"))
        {
            self.clear_radio_group(doc, el);
        }
        self.edits.insert(el.id(), Edit::Checked(checked));
    }

    /// `choose`: the radio button `css` matches, or, when several do, the one whose value is
    /// `value`.
    pub fn choose_radio(
        &mut self,
        doc: &Html,
        css: &str,
        value: Option<&str>,
    ) -> Result<(), StepFailure> {
        let sel = selector(css)?;
        let candidates: Vec<ElementRef> = doc.select(&sel).collect();
        let el = match value {
            Some(v) if candidates.len() > 1 => candidates
                .iter()
                .find(|el| el.attr("value") == Some(v))
                .copied()
                .ok_or_else(|| format!("no `{css}` has the value \"{v}\""))?,
            _ => *candidates
                .first()
                .ok_or_else(|| format!("`{css}` is not on the page"))?,
        };
        self.remember_form(el);
        self.clear_radio_group(doc, el);
        self.edits.insert(el.id(), Edit::Checked(true));
        Ok(())
    }

    /// A click, as a browser does it: a checkbox toggles, a radio button is chosen, a label
    /// does to its control what a click on the control would; a submit button submits its
    /// form; a link to another page is followed. Anything else (a tab, a `<div
    /// class=btn>`, a link within the page) changes the page only — unless it is the
    /// definition's `last` click, which stands for its submit button (styled links and
    /// buttons a script wires to the form) and submits the form the fields belong to.
    pub fn click(
        &mut self,
        doc: &Html,
        css: &str,
        page_url: &Url,
        last: bool,
    ) -> Result<Clicked, StepFailure> {
        let el = one(doc, css)?;
        let el = match labelled_control(doc, el) {
            Some(control) => control,
            None if el.value().name() == "label" => {
                return Ok(Clicked::PageOnly(format!(
                    "clicked the label `{css}`, which labels no control that a click changes"
                )));
            }
            None => el,
        };
        let kind = el.attr("type").map(str::to_ascii_lowercase);
        match (el.value().name(), kind.as_deref()) {
            ("input", Some("checkbox")) => {
                let checked = match self.edits.get(&el.id()) {
                    Some(Edit::Checked(c)) => *c,
                    _ => el.attr("checked").is_some(),
                };
                self.set_checked_element(doc, el, !checked);
                return Ok(Clicked::Changed);
            }
            ("input", Some("radio")) => {
                self.set_checked_element(doc, el, true);
                return Ok(Clicked::Changed);
            }
            _ => {}
        }
        if is_submit_control(el) && form_of(doc, el).is_some() {
            return Ok(Clicked::Submits);
        }
        if last {
            return Ok(Clicked::Submits);
        }
        if el.value().name() == "a"
            && let Some(target) = link_target(el, page_url)
        {
            return Ok(Clicked::Follows(target));
        }
        Ok(Clicked::PageOnly(format!(
            "clicked `{css}` ({}), which is not a submit control: it changes the page only",
            describe(el)
        )))
    }

    /// Marks the control `css` as holding the letter (see [`Submission::carries_letter`]).
    pub fn mark_letter(&mut self, doc: &Html, css: &str) {
        if let Ok(el) = one(doc, css) {
            self.letter_fields.insert(el.id());
        }
    }

    /// `X.disabled = false`.
    pub fn enable(&mut self, doc: &Html, css: &str) -> Result<(), StepFailure> {
        let el = one(doc, css)?;
        self.enabled.insert(el.id());
        Ok(())
    }

    fn clear_radio_group(&mut self, doc: &Html, radio: ElementRef) {
        let Some(name) = radio.attr("name") else {
            return;
        };
        let form = form_of(doc, radio).map(|f| f.id());
        let Ok(all) = selector("input[type=radio]") else {
            return;
        };
        for other in doc.select(&all) {
            if other.attr("name") == Some(name) && form_of(doc, other).map(|f| f.id()) == form {
                self.edits.insert(other.id(), Edit::Checked(false));
            }
        }
    }

    fn remember_form(&mut self, el: ElementRef) {
        if let Some(form) = ancestor_form(el) {
            self.last_form = Some(form.id());
        }
    }

    /// The submission clicking `css` makes (or, when `css` names a form or a control of
    /// one, submitting it by script: no submit button is sent). A click on something that is
    /// not a submit control inside a form (a styled link, a `<div class=btn>`) submits the
    /// form the edited fields belong to.
    pub fn submission(
        &self,
        doc: &Html,
        page_url: &Url,
        css: &str,
        default_method: Option<&str>,
        default_action: Option<&str>,
    ) -> Result<Submission, StepFailure> {
        let clicked = one(doc, css)?;
        let form = form_of(doc, clicked)
            .or_else(|| {
                self.last_form
                    .and_then(|id| doc.tree.get(id).and_then(ElementRef::wrap))
            })
            .ok_or_else(|| format!("`{css}` is not inside a form, and no field was filled"))?;
        let is_submitter = is_submit_control(clicked) && form_of(doc, clicked) == Some(form);
        let method = clicked
            .attr("formmethod")
            .filter(|_| is_submitter)
            .or(form.attr("method"))
            .or(default_method)
            .unwrap_or("get");
        let method = if method.eq_ignore_ascii_case("post") {
            reqwest::Method::POST
        } else {
            reqwest::Method::GET
        };
        let action = clicked
            .attr("formaction")
            .filter(|_| is_submitter)
            .or(form.attr("action"))
            // The page's own form is authoritative (`action=""` is the page itself); the
            // definition's action only stands in when the form names none.
            .or(default_action)
            .filter(|a| !a.trim().is_empty());
        let url = match action {
            Some(action) => page_url
                .join(action.trim())
                .map_err(|e| format!("the form's action `{action}` is not a URL: {e}"))?,
            None => page_url.clone(),
        };
        let multipart = form
            .attr("enctype")
            .is_some_and(|e| e.eq_ignore_ascii_case("multipart/form-data"));
        let fields = self.form_data(doc, form, is_submitter.then_some(clicked));
        let carries_letter = selector("input, select, textarea").is_ok_and(|controls| {
            doc.select(&controls)
                .any(|c| self.letter_fields.contains(&c.id()) && form_of(doc, c) == Some(form))
        });
        Ok(Submission {
            method,
            url,
            fields,
            multipart,
            carries_letter,
        })
    }

    /// The form's controls in document order with their current values.
    fn form_data(
        &self,
        doc: &Html,
        form: ElementRef,
        submitter: Option<ElementRef>,
    ) -> Vec<(String, String)> {
        let mut fields = Vec::new();
        let Ok(controls) = selector("input, select, textarea, button") else {
            return fields;
        };
        for control in doc.select(&controls) {
            if form_of(doc, control) != Some(form) {
                continue;
            }
            let Some(name) = control.attr("name").filter(|n| !n.is_empty()) else {
                continue;
            };
            let disabled =
                control.attr("disabled").is_some() && !self.enabled.contains(&control.id());
            if disabled {
                continue;
            }
            let tag = control.value().name();
            let kind = control
                .attr("type")
                .unwrap_or(if tag == "button" { "submit" } else { "text" })
                .to_ascii_lowercase();
            let edit = self.edits.get(&control.id());
            match (tag, kind.as_str()) {
                ("input" | "button", "submit" | "image" | "button" | "reset") => {
                    if submitter.is_some_and(|s| s.id() == control.id()) {
                        fields.push((name.into(), control.attr("value").unwrap_or("").into()));
                    }
                }
                ("input", "file") => {}
                ("input", "checkbox" | "radio") => {
                    let checked = match edit {
                        Some(Edit::Checked(c)) => *c,
                        _ => control.attr("checked").is_some(),
                    };
                    if checked {
                        fields.push((name.into(), control.attr("value").unwrap_or("on").into()));
                    }
                }
                _ => {
                    let value = match edit {
                        Some(Edit::Value(v)) => v.clone(),
                        _ => initial_value(control),
                    };
                    if tag == "select" && value.is_empty() && options_of(control).is_empty() {
                        continue;
                    }
                    fields.push((name.into(), value));
                }
            }
        }
        fields
    }
}

fn is_submit_control(el: ElementRef) -> bool {
    let kind = el.attr("type").map(str::to_ascii_lowercase);
    match el.value().name() {
        "button" => kind.is_none_or(|k| k == "submit"),
        "input" => matches!(kind.as_deref(), Some("submit" | "image")),
        _ => false,
    }
}

/// The control a `<label>` labels (`for="id"`, else the control inside it), when `el` is a
/// label.
fn labelled_control<'a>(doc: &'a Html, el: ElementRef<'a>) -> Option<ElementRef<'a>> {
    if el.value().name() != "label" {
        return None;
    }
    let control = match el.attr("for") {
        Some(id) => {
            let sel = Selector::parse(&format!("[id=\"{}\"]", id.replace('"', "\\\""))).ok()?;
            doc.select(&sel).next()?
        }
        None => {
            let sel = Selector::parse("input, select, textarea, button").ok()?;
            el.select(&sel).next()?
        }
    };
    // Clicking the label of a text field only focuses it.
    let kind = control.attr("type").map(str::to_ascii_lowercase);
    let clickable = matches!(
        (control.value().name(), kind.as_deref()),
        ("input", Some("checkbox" | "radio" | "submit" | "image")) | ("button", _)
    );
    clickable.then_some(control)
}

/// The page a link leads to, when it leads to another page (not `#part`, not
/// `javascript:`, not the same page).
fn link_target(el: ElementRef, page_url: &Url) -> Option<Url> {
    let href = el.attr("href")?.trim();
    if href.is_empty()
        || href.starts_with('#')
        || href.to_ascii_lowercase().starts_with("javascript:")
    {
        return None;
    }
    let target = page_url.join(href).ok()?;
    let mut without_fragment = target.clone();
    without_fragment.set_fragment(None);
    let mut page = page_url.clone();
    page.set_fragment(None);
    (matches!(target.scheme(), "http" | "https") && without_fragment != page).then_some(target)
}

/// `a`, `button type=button`, `div.tab` — for notes.
fn describe(el: ElementRef) -> String {
    let mut text = el.value().name().to_string();
    if let Some(kind) = el.attr("type") {
        text.push_str(&format!(" type={kind}"));
    }
    text
}

fn ancestor_form(el: ElementRef<'_>) -> Option<ElementRef<'_>> {
    el.ancestors()
        .filter_map(ElementRef::wrap)
        .find(|a| a.value().name() == "form")
}

/// The control's form owner: its `form="id"` attribute, else the enclosing `<form>`.
fn form_of<'a>(doc: &'a Html, el: ElementRef<'a>) -> Option<ElementRef<'a>> {
    if el.value().name() == "form" {
        return Some(el);
    }
    if let Some(id) = el.attr("form") {
        let sel = Selector::parse(&format!("form[id=\"{}\"]", id.replace('"', "\\\""))).ok()?;
        return doc.select(&sel).next();
    }
    ancestor_form(el)
}

/// A control's value before any step touched it, as a browser would submit it.
fn initial_value(el: ElementRef) -> String {
    match el.value().name() {
        "textarea" => el.text().collect(),
        "select" => {
            let Ok(options) = Selector::parse("option") else {
                return String::new();
            };
            let all: Vec<ElementRef> = el.select(&options).collect();
            let chosen = all
                .iter()
                .find(|o| o.attr("selected").is_some())
                .or(all.first());
            chosen.map(|o| option_value(*o)).unwrap_or_default()
        }
        _ => el.attr("value").unwrap_or("").to_string(),
    }
}

fn option_value(option: ElementRef) -> String {
    match option.attr("value") {
        Some(v) => v.to_string(),
        None => option.text().collect::<String>().trim().to_string(),
    }
}

fn options_of(el: ElementRef) -> Vec<Choice> {
    let Ok(options) = Selector::parse("option") else {
        return Vec::new();
    };
    el.select(&options)
        .map(|o| Choice {
            label: o.text().collect::<String>().trim().to_string(),
            value: option_value(o),
        })
        .collect()
}

#[cfg(test)]
mod tests;
