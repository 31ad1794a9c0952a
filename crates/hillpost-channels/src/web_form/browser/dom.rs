//! The page-side half of each browser step: small scripts run with WebDriver's Execute
//! Script. Each returns `{ok: …}` or `{error: "…"}` with the same wording as the HTTP
//! executor's step failures, so reports read alike whichever path ran.

use serde_json::Value;

/// Helpers every script starts with: `one(css)` finds an element or throws a failure,
/// `setValue` sets a value the way typing would (through the native setter, so frameworks
/// that watch it notice) and fires `input` and `change`.
const PRELUDE: &str = r#"
const one = (css) => {
  let el;
  try { el = document.querySelector(css); }
  catch (e) { throw `the selector \`${css}\` is not valid CSS: ${e.message}`; }
  if (!el) throw `\`${css}\` is not on the page`;
  return el;
};
const all = (css) => {
  try { return Array.from(document.querySelectorAll(css)); }
  catch (e) { throw `the selector \`${css}\` is not valid CSS: ${e.message}`; }
};
const fire = (el, type) => el.dispatchEvent(new Event(type, { bubbles: true }));
const setValue = (el, value) => {
  const proto = Object.getPrototypeOf(el);
  const setter = Object.getOwnPropertyDescriptor(proto, 'value');
  if (setter && setter.set) setter.set.call(el, value); else el.value = value;
  fire(el, 'input');
  fire(el, 'change');
};
"#;

/// `find`: `[css, text or null]` → `{ok: null}`.
pub const FIND: &str = r#"
const [css, text] = arguments;
const found = all(css);
if (found.length === 0) throw `\`${css}\` is not on the page`;
if (text !== null && !found.some((el) => (el.textContent || '').includes(text)))
  throw `\`${css}\` does not contain "${text}"`;
return null;
"#;

/// `fill_in`: `[css, value]` → `{ok: the value now in the field}`.
pub const FILL: &str = r#"
const [css, value] = arguments;
const el = one(css);
if (el.focus) el.focus();
setValue(el, value);
return el.value;
"#;

/// The options of a select: `[css]` → `{ok: [{label, value}] or null when not a select}`.
pub const OPTIONS: &str = r#"
const el = one(arguments[0]);
if (el.tagName !== 'SELECT') return null;
return Array.from(el.options).map((o) => ({ label: o.text.trim(), value: o.value }));
"#;

/// `select` once the option is chosen: `[css, value]` → `{ok: null}`.
pub const SELECT: &str = r#"
const [css, value] = arguments;
const el = one(css);
setValue(el, value);
if (el.value !== value) throw `\`${css}\` would not take the option "${value}"`;
return null;
"#;

/// `check` / `uncheck`: `[css, checked]` → `{ok: null}`. Clicked like a person would
/// (so the page's handlers run), set directly if a handler undid it.
pub const SET_CHECKED: &str = r#"
const [css, checked] = arguments;
const el = one(css);
if (el.checked !== checked) el.click();
if (el.checked !== checked) { el.checked = checked; fire(el, 'change'); }
return null;
"#;

/// `choose`: `[css, value or null]` → `{ok: null}`: the radio button `css` matches, or,
/// when several do, the one with `value`.
pub const CHOOSE: &str = r#"
const [css, value] = arguments;
const found = all(css);
if (found.length === 0) throw `\`${css}\` is not on the page`;
let el = found[0];
if (value !== null && found.length > 1) {
  el = found.find((r) => r.value === value);
  if (!el) throw `no \`${css}\` has the value "${value}"`;
}
if (!el.checked) el.click();
if (!el.checked) { el.checked = true; fire(el, 'change'); }
return null;
"#;

/// What a click target is: `[css]` → `{ok: "toggle"}` for checkboxes and radio buttons
/// (a click changes them, nothing is sent), `{ok: "submit"}` for anything else, or
/// `{ok: "absent"}`.
pub const CLICK_KIND: &str = r#"
let el;
try { el = document.querySelector(arguments[0]); } catch (e) { return 'absent'; }
if (!el) return 'absent';
const type = (el.getAttribute('type') || '').toLowerCase();
return el.tagName === 'INPUT' && (type === 'checkbox' || type === 'radio') ? 'toggle' : 'submit';
"#;

/// A click by script, for targets WebDriver will not click (hidden, covered): `[css]`.
pub const CLICK: &str = r#"
one(arguments[0]).click();
return null;
"#;

/// Marks the current document, so a new one (after a submission) can be told apart, and
/// watches what the page sends: a form submitted (the `submit` event, `form.submit()`,
/// `requestSubmit()`) or a request with a body (`fetch`, `XMLHttpRequest`). What it saw
/// goes into `window.name`, which outlives a navigation, even to another site:
/// `hillpost:letter` for a form holding the letter's field (`[letterCss or null]`; any
/// form when null) or a request with a body, `hillpost:form` for another form.
pub const MARK: &str = r#"
const letterCss = arguments[0];
window.name = '';
window.__hillpostMarked = true;
window.__hillpostNavigating = false;
const saw = (what) => { if (window.name !== 'hillpost:letter') window.name = what; };
const formSeen = (form) => {
  let holds = true;
  try { holds = !letterCss || !form || !form.querySelector || !!form.querySelector(letterCss); }
  catch (e) { holds = true; }
  saw(holds ? 'hillpost:letter' : 'hillpost:form');
};
if (!window.__hillpostWatching) {
  window.__hillpostWatching = true;
  document.addEventListener('submit', (event) => formSeen(event.target), true);
  // Last in line: after the page's own handlers, which may post it themselves instead.
  window.addEventListener('submit', (event) => {
    window.__hillpostNavigating = !event.defaultPrevented;
  });
  const submit = HTMLFormElement.prototype.submit;
  HTMLFormElement.prototype.submit = function () {
    formSeen(this); window.__hillpostNavigating = true; return submit.call(this);
  };
  const requestSubmit = HTMLFormElement.prototype.requestSubmit;
  if (requestSubmit) {
    HTMLFormElement.prototype.requestSubmit = function (...args) {
      formSeen(this); return requestSubmit.apply(this, args);
    };
  }
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (body) {
    if (body !== undefined && body !== null) saw('hillpost:letter');
    return send.call(this, body);
  };
  if (window.fetch) {
    const fetch = window.fetch;
    window.fetch = function (input, init) {
      if (init && init.body !== undefined && init.body !== null) saw('hillpost:letter');
      return fetch.apply(this, arguments);
    };
  }
}
return null;
"#;

/// `{ok: [marked, readyState, status or null, what was sent, navigating]}`: whether the
/// marked document is still the current one, the HTTP status of the current one's load
/// (Navigation Timing), what [`MARK`]'s watchers saw (`letter`, `form`, or null), and
/// whether a form went out as a navigation (so its answer page is on its way).
pub const STATE: &str = r#"
const nav = performance.getEntriesByType('navigation')[0];
const status = nav && nav.responseStatus ? nav.responseStatus : null;
const sent = window.name === 'hillpost:letter' ? 'letter'
  : window.name === 'hillpost:form' ? 'form' : null;
return [window.__hillpostMarked === true, document.readyState, status, sent,
  window.__hillpostNavigating === true];
"#;

/// The script for WebDriver: the prelude, then `body` with its failures caught.
pub fn script(body: &str) -> String {
    format!(
        "{PRELUDE}\ntry {{ return {{ ok: (() => {{ {body} }})() }}; }} \
         catch (e) {{ return {{ error: String(e) }}; }}"
    )
}

/// Reads a script's `{ok}` / `{error}` answer.
pub fn outcome(answer: Value) -> Result<Value, String> {
    match answer {
        Value::Object(mut map) => {
            if let Some(Value::String(error)) = map.remove("error") {
                return Err(error);
            }
            Ok(map.remove("ok").unwrap_or(Value::Null))
        }
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_read_as_results() {
        let ok = serde_json::json!({ "ok": [true, "complete", 200] });
        assert_eq!(
            outcome(ok).unwrap(),
            serde_json::json!([true, "complete", 200])
        );
        let failed = serde_json::json!({ "error": "`#x` is not on the page" });
        assert_eq!(outcome(failed).unwrap_err(), "`#x` is not on the page");
        assert!(script(FIND).contains("const [css, text] = arguments;"));
    }
}
