//! The page templates (minijinja), compiled into the binary. Every template's name ends in
//! `.html`, which turns on minijinja's HTML auto-escaping for all of them: campaign titles,
//! letters and signer names are organizer input and are always escaped. No template uses
//! `|safe`; the chart is drawn from numbers by the template itself.

use std::sync::LazyLock;

use minijinja::value::Serde;
use minijinja::{Environment, Value, context};
use serde::Serialize;

use super::session::SignedIn;
use hillpost_store::TokenRole;

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("templates/base.html")),
    ("error.html", include_str!("templates/error.html")),
    ("login.html", include_str!("templates/login.html")),
    ("campaigns.html", include_str!("templates/campaigns.html")),
    ("campaign.html", include_str!("templates/campaign.html")),
    ("preview.html", include_str!("templates/preview.html")),
    ("batch.html", include_str!("templates/batch.html")),
    ("progress.html", include_str!("templates/progress.html")),
    ("delivery.html", include_str!("templates/delivery.html")),
];

static ENVIRONMENT: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    // A misspelt variable is an error in tests, not an empty spot on a page.
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    for (name, source) in TEMPLATES {
        env.add_template(name, source)
            .unwrap_or_else(|e| panic!("dashboard template {name}: {e:#}"));
    }
    env
});

/// Who is looking, as every page's header shows it.
#[derive(Serialize)]
struct Visitor<'a> {
    /// "Organizer for …" or "Auditor (read-only)".
    who: String,
    can_act: bool,
    csrf: &'a str,
}

/// Renders `name` with `view`'s fields, plus `visitor` (absent on the sign-in and error
/// pages' anonymous views).
pub fn render<T: Serialize>(
    name: &str,
    visitor: Option<&SignedIn>,
    view: &T,
) -> Result<String, minijinja::Error> {
    let visitor = visitor.map(|v| Visitor {
        who: match v.caller.role {
            TokenRole::Organizer => format!(
                "Organizer for {}",
                v.caller
                    .organization
                    .as_deref()
                    .unwrap_or("no organization")
            ),
            TokenRole::Auditor => "Auditor (read-only)".to_string(),
        },
        can_act: v.can_act(),
        csrf: &v.csrf,
    });
    let context = context! {
        visitor => Value::from(Serde(&visitor)),
        ..Value::from(Serde(view))
    };
    ENVIRONMENT.get_template(name)?.render(context)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles_and_escapes() {
        let html = render(
            "error.html",
            None,
            &context! { heading => "Oops", message => "<script>alert(1)</script>" },
        )
        .expect("renders");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
            "{html}"
        );
        assert!(!html.contains("<script>alert"), "{html}");
        for (name, _) in TEMPLATES {
            ENVIRONMENT.get_template(name).expect("compiled");
        }
    }
}
