//! What a definition's `javascript` step does, read from its text, so the web-form channel
//! knows whether plain HTTP can stand in for a browser.
//!
//! The Senate definitions use a handful of shapes (counted over ../shared): cosmetic DOM
//! changes before a screenshot (removing stylesheets, headers, showing hidden blocks), a
//! field's value rewritten (`X.value = X.value.replace(/"/g, '')`, digits only, ZIP+4), a
//! button clicked (`X.click()`), a submit button enabled (`.disabled = false`). Those are
//! [`ScriptEffect::Cosmetic`], [`ScriptEffect::SetValue`], [`ScriptEffect::Click`] and
//! [`ScriptEffect::Enable`]; a form submitted by script (`form.submit()`, `requestSubmit()`,
//! jQuery's `submit()` / `trigger('submit')`) is [`ScriptEffect::Submit`]; anything else (replacing a page's HTML, `substr` arithmetic) is
//! [`ScriptEffect::Other`] and sends the whole definition to the browser path.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ScriptEffect {
    /// Changes only what the page looks like: a no-op over HTTP.
    Cosmetic,
    /// Sets a field's value.
    SetValue {
        selector: String,
        value: ValueSource,
    },
    /// Clicks an element (a submit button, a checkbox, a tab that reveals the form).
    /// `optional`: `X && X.click()` or `X?.click()`, nothing happens when X is missing.
    Click { selector: String, optional: bool },
    /// Submits the form `selector` names (or the form of the element it names), without a
    /// submit button: `form.submit()`, `form.requestSubmit()`, jQuery's `.submit()` or
    /// `.trigger('submit')`. This is the definition's submission as surely as a click on
    /// its button.
    Submit { selector: String, optional: bool },
    /// Re-enables a disabled control (so it is submitted / clickable).
    Enable { selector: String },
    /// Something the HTTP path cannot interpret.
    Other { why: String },
}

/// Where a set value comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ValueSource {
    Literal {
        text: String,
    },
    /// The field's own current value passed through `.replace(...)` calls, in order.
    Replaced {
        replacements: Vec<Replacement>,
    },
}

/// One `String.prototype.replace` with a regular expression, translated to the `regex`
/// crate's syntax (`$1` → `${1}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replacement {
    pub pattern: String,
    pub global: bool,
    pub replacement: String,
}

impl Replacement {
    /// Applies the replacement; the pattern was checked to compile when classified.
    pub fn apply(&self, text: &str) -> String {
        let Ok(re) = regex::Regex::new(&self.pattern) else {
            return text.to_string();
        };
        if self.global {
            re.replace_all(text, self.replacement.as_str()).into_owned()
        } else {
            re.replace(text, self.replacement.as_str()).into_owned()
        }
    }
}

impl ValueSource {
    /// The new value given the field's current one.
    pub fn evaluate(&self, current: &str) -> String {
        match self {
            ValueSource::Literal { text } => text.clone(),
            ValueSource::Replaced { replacements } => replacements
                .iter()
                .fold(current.to_string(), |value, r| r.apply(&value)),
        }
    }
}

/// Reads one script.
pub fn classify_script(script: &str) -> ScriptEffect {
    let statement = script.trim().trim_end_matches(';').trim();
    if let Some(effect) = precise(statement) {
        return effect;
    }
    if is_cosmetic(statement) {
        return ScriptEffect::Cosmetic;
    }
    let shown: String = statement.chars().take(60).collect();
    ScriptEffect::Other {
        why: format!("javascript the HTTP path cannot interpret: `{shown}…`"),
    }
}

/// Statements with an exact shape: click, submit, set value, enable.
fn precise(statement: &str) -> Option<ScriptEffect> {
    let mut cursor = Cursor::new(statement);
    let selector = cursor.element()?;
    // `X && X.click()` / `X && X.submit()`
    if cursor.eat("&&") {
        let again = cursor.element()?;
        if again != selector {
            return None;
        }
        return cursor.action(selector, true);
    }
    // `X?.click()`
    let optional = cursor.eat("?");
    if let Some(effect) = cursor.clone_action(&selector, optional) {
        return Some(effect);
    }
    if optional {
        return None;
    }
    if cursor.eat(".disabled") && cursor.eat("=") && cursor.eat("false") {
        return cursor.at_end().then_some(ScriptEffect::Enable { selector });
    }
    let mut cursor = Cursor::new(statement);
    cursor.element()?;
    if cursor.eat(".val(") {
        let text = cursor.string_literal()?;
        return (cursor.eat(")") && cursor.at_end()).then_some(ScriptEffect::SetValue {
            selector,
            value: ValueSource::Literal { text },
        });
    }
    if !(cursor.eat(".value") && cursor.eat("=")) || cursor.peek_eq("=") {
        return None;
    }
    if let Some(text) = cursor.string_literal() {
        return cursor.at_end().then_some(ScriptEffect::SetValue {
            selector,
            value: ValueSource::Literal { text },
        });
    }
    let source = cursor.element()?;
    if source != selector || !cursor.eat(".value") {
        return None;
    }
    let mut replacements = Vec::new();
    while cursor.eat(".replace(") {
        let (pattern, flags) = cursor.regex_literal()?;
        if !cursor.eat(",") {
            return None;
        }
        let replacement = cursor.string_literal()?;
        if !cursor.eat(")") {
            return None;
        }
        let pattern = if flags.contains('i') {
            format!("(?i){pattern}")
        } else {
            pattern
        };
        regex::Regex::new(&pattern).ok()?;
        replacements.push(Replacement {
            pattern,
            global: flags.contains('g'),
            replacement: js_replacement_to_regex(&replacement),
        });
    }
    if replacements.is_empty() || !cursor.at_end() {
        return None;
    }
    Some(ScriptEffect::SetValue {
        selector,
        value: ValueSource::Replaced { replacements },
    })
}

/// No reading or writing of values, no clicks or submits, no new markup: only removals,
/// styles, classes and visibility attributes.
fn is_cosmetic(statement: &str) -> bool {
    const FORBIDDEN: [&str; 12] = [
        ".value",
        ".click",
        "submit",
        "innerHTML",
        "outerHTML",
        "insertAdjacent",
        "createElement",
        "appendChild",
        ".checked",
        ".disabled",
        "fetch(",
        "window.location",
    ];
    const COSMETIC: [&str; 7] = [
        ".remove()",
        "removeChild(",
        ".style.",
        ".style =",
        "removeAttribute(",
        "removeClass(",
        "classList.",
    ];
    !FORBIDDEN.iter().any(|f| statement.contains(f))
        && COSMETIC.iter().any(|c| statement.contains(c))
}

/// `$1` → `${1}`, `$&` → `${0}`, `$$` → `$$` (both mean a literal `$`).
fn js_replacement_to_regex(js: &str) -> String {
    let mut out = String::with_capacity(js.len());
    let mut chars = js.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        match chars.peek().copied() {
            Some('$') => {
                chars.next();
                out.push_str("$$");
            }
            Some('&') => {
                chars.next();
                out.push_str("${0}");
            }
            Some(d) if d.is_ascii_digit() => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                    digits.push(d);
                    chars.next();
                }
                out.push_str(&format!("${{{digits}}}"));
            }
            _ => out.push_str("$$"),
        }
    }
    out
}

/// A small reader over a statement, skipping whitespace between tokens.
struct Cursor<'a> {
    rest: &'a str,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Self {
        Self { rest: text }
    }

    fn skip_space(&mut self) {
        self.rest = self.rest.trim_start();
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_space();
        // `.click()` written with spaces inside the parentheses is not worth supporting.
        match self.rest.strip_prefix(token) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    fn peek_eq(&mut self, token: &str) -> bool {
        self.skip_space();
        self.rest.starts_with(token)
    }

    fn at_end(&mut self) -> bool {
        self.skip_space();
        self.rest.trim_end_matches(';').trim().is_empty()
    }

    /// An element expression → a CSS selector: `document.querySelector(STR)`,
    /// `document.querySelectorAll(STR)[0]`, `document.getElementById(STR)`,
    /// `document.forms[N]` / `document.forms[STR]`, and jQuery's `jQuery(STR)` / `$(STR)`
    /// (optionally `.first()` or `.eq(0)`, which name the same first element).
    fn element(&mut self) -> Option<String> {
        if self.eat("document.querySelector(") {
            let selector = self.string_literal()?;
            self.eat(")").then_some(selector)
        } else if self.eat("document.querySelectorAll(") {
            let selector = self.string_literal()?;
            (self.eat(")") && self.eat("[") && self.eat("0") && self.eat("]")).then_some(selector)
        } else if self.eat("document.getElementById(") {
            let id = self.string_literal()?;
            self.eat(")").then(|| format!("[id=\"{id}\"]"))
        } else if self.eat("document.forms[") {
            let selector = match self.string_literal() {
                Some(name) => format!("form[name=\"{name}\"], form[id=\"{name}\"]"),
                None => {
                    self.skip_space();
                    let digits: String =
                        self.rest.chars().take_while(char::is_ascii_digit).collect();
                    let index: usize = digits.parse().ok()?;
                    self.rest = &self.rest[digits.len()..];
                    format!("form:nth-of-type({})", index + 1)
                }
            };
            self.eat("]").then_some(selector)
        } else if self.eat("jQuery(") || self.eat("$(") {
            let selector = self.string_literal()?;
            if !self.eat(")") {
                return None;
            }
            if !self.eat(".first()") && self.eat(".eq(") && !(self.eat("0") && self.eat(")")) {
                return None;
            }
            Some(selector)
        } else {
            None
        }
    }

    /// What is done to the element: a click or a submit, then the end of the statement.
    fn action(&mut self, selector: String, optional: bool) -> Option<ScriptEffect> {
        let click = || ScriptEffect::Click {
            selector: selector.clone(),
            optional,
        };
        let submit = || ScriptEffect::Submit {
            selector: selector.clone(),
            optional,
        };
        let effect = if self.eat(".click()") {
            click()
        } else if self.eat(".submit()") || self.eat(".requestSubmit()") {
            submit()
        } else if self.eat(".trigger(") || self.eat(".triggerHandler(") {
            let event = self.string_literal()?;
            // jQuery passes extra arguments to the handlers (`trigger('submit', [true])`).
            self.skip_to_closing_paren()?;
            match event.as_str() {
                "submit" => submit(),
                "click" => click(),
                _ => return None,
            }
        } else {
            return None;
        };
        self.at_end().then_some(effect)
    }

    /// [`Self::action`] on a copy, leaving this cursor where it was when there is none.
    fn clone_action(&mut self, selector: &str, optional: bool) -> Option<ScriptEffect> {
        let mut copy = Cursor { rest: self.rest };
        let effect = copy.action(selector.to_string(), optional)?;
        self.rest = copy.rest;
        Some(effect)
    }

    /// Skips the rest of an argument list up to and including its `)`, outside strings.
    fn skip_to_closing_paren(&mut self) -> Option<()> {
        let mut depth = 0usize;
        let mut quote: Option<char> = None;
        let mut escaped = false;
        for (i, c) in self.rest.char_indices() {
            match (quote, c) {
                (Some(_), _) if escaped => escaped = false,
                (Some(_), '\\') => escaped = true,
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"' | '`') => quote = Some(c),
                (None, '(' | '[' | '{') => depth += 1,
                (None, ']' | '}') => depth = depth.checked_sub(1)?,
                (None, ')') if depth == 0 => {
                    self.rest = &self.rest[i + 1..];
                    return Some(());
                }
                (None, ')') => depth -= 1,
                _ => {}
            }
        }
        None
    }

    /// A JavaScript string in single or double quotes, with its escapes undone.
    fn string_literal(&mut self) -> Option<String> {
        self.skip_space();
        let quote = self
            .rest
            .chars()
            .next()
            .filter(|c| *c == '"' || *c == '\'')?;
        let mut out = String::new();
        let mut chars = self.rest[1..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => out.push(chars.next()?.1),
                c if c == quote => {
                    self.rest = &self.rest[1 + i + 1..];
                    return Some(out);
                }
                c => out.push(c),
            }
        }
        None
    }

    /// `/pattern/flags` → (pattern, flags).
    fn regex_literal(&mut self) -> Option<(String, String)> {
        self.skip_space();
        let body = self.rest.strip_prefix('/')?;
        let mut in_class = false;
        let mut escaped = false;
        for (i, c) in body.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '[' => in_class = true,
                ']' => in_class = false,
                '/' if !in_class => {
                    let pattern = body[..i].to_string();
                    let after = &body[i + 1..];
                    let flags_len = after
                        .find(|c: char| !c.is_ascii_alphabetic())
                        .unwrap_or(after.len());
                    let flags = after[..flags_len].to_string();
                    self.rest = &after[flags_len..];
                    return Some((pattern, flags));
                }
                _ => {}
            }
        }
        None
    }
}

#[cfg(test)]
mod tests;
