//! What a definition's `javascript` step does, read from its text, so the web-form channel
//! knows whether plain HTTP can stand in for a browser.
//!
//! The Senate definitions use a handful of shapes (counted over ../shared): cosmetic DOM
//! changes before a screenshot (removing stylesheets, headers, showing hidden blocks), a
//! field's value rewritten (`X.value = X.value.replace(/"/g, '')`, digits only, ZIP+4), a
//! button clicked (`X.click()`), a submit button enabled (`.disabled = false`). Those are
//! [`ScriptEffect::Cosmetic`], [`ScriptEffect::SetValue`], [`ScriptEffect::Click`] and
//! [`ScriptEffect::Enable`]; anything else (replacing a page's HTML, `substr` arithmetic) is
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
    /// Clicks an element (usually the submit button). `optional`: `X && X.click()`, nothing
    /// happens when X is missing.
    Click { selector: String, optional: bool },
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

/// Statements with an exact shape: click, set value, enable.
fn precise(statement: &str) -> Option<ScriptEffect> {
    let mut cursor = Cursor::new(statement);
    // `X && X.click()`
    let selector = cursor.element()?;
    if cursor.eat("&&") {
        let again = cursor.element()?;
        if again == selector && cursor.eat(".click()") && cursor.at_end() {
            return Some(ScriptEffect::Click {
                selector,
                optional: true,
            });
        }
        return None;
    }
    if cursor.eat(".click()") {
        return cursor.at_end().then_some(ScriptEffect::Click {
            selector,
            optional: false,
        });
    }
    if cursor.eat(".disabled") && cursor.eat("=") && cursor.eat("false") {
        return cursor.at_end().then_some(ScriptEffect::Enable { selector });
    }
    let mut cursor = Cursor::new(statement);
    cursor.element()?;
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

    /// `document.querySelector(STR)` or `document.getElementById(STR)` → a CSS selector.
    fn element(&mut self) -> Option<String> {
        if self.eat("document.querySelector(") {
            let selector = self.string_literal()?;
            self.eat(")").then_some(selector)
        } else if self.eat("document.getElementById(") {
            let id = self.string_literal()?;
            self.eat(")").then(|| format!("[id=\"{id}\"]"))
        } else {
            None
        }
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
