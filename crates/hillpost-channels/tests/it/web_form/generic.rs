//! Replicas generated from definitions: for each Senate definition the HTTP path runs whose
//! selectors are plain enough to build markup for (`#id`, `tag[name=…]`, classes), a form
//! page with those controls, a hidden token and a cookie; the replica checks every field the
//! definition fills against the signer's values.

use std::collections::BTreeMap;

use hillpost_channels::Channel;
use hillpost_channels::web_form::{normalise, truncate_on_word};
use hillpost_core::AttemptOutcome;
use hillpost_directory::forms::{
    ExecutionPath, FieldOptions, FieldValue, FormDefinition, FormField, FormSupport, ScriptEffect,
    StepAction, classify_script,
};
use regex::Regex;

use super::replica::{Expect, Replica, ReplicaSpec, TOKEN};
use super::support::{
    channel, letter, member_ids, shared_data, signer_values, support, try_member_form,
};

/// Attributes a simple selector implies: tag, id, classes, other attributes.
#[derive(Default)]
struct Shape {
    tag: Option<String>,
    id: Option<String>,
    classes: Vec<String>,
    attrs: Vec<(String, String)>,
}

fn shape(selector: &str) -> Option<Shape> {
    let compound = Regex::new(
        r#"^([a-zA-Z][a-zA-Z0-9]*)?((?:#[\w-]+|\.[\w-]+|\[[\w-]+=['"]?[^'"\]]*['"]?\])*)$"#,
    )
    .unwrap();
    let part = Regex::new(r#"#([\w-]+)|\.([\w-]+)|\[([\w-]+)=['"]?([^'"\]]*)['"]?\]"#).unwrap();
    let last = selector.split_whitespace().last()?;
    let caps = compound.captures(last)?;
    let mut shape = Shape {
        tag: caps.get(1).map(|m| m.as_str().to_string()),
        ..Shape::default()
    };
    for p in part.captures_iter(&caps[2]) {
        if let Some(id) = p.get(1) {
            shape.id = Some(id.as_str().into());
        } else if let Some(class) = p.get(2) {
            shape.classes.push(class.as_str().into());
        } else {
            shape.attrs.push((p[3].to_string(), p[4].to_string()));
        }
    }
    Some(shape)
}

fn attributes(shape: &Shape, name: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(id) = &shape.id {
        out.push_str(&format!(r#" id="{id}""#));
    }
    if !shape.classes.is_empty() {
        out.push_str(&format!(r#" class="{}""#, shape.classes.join(" ")));
    }
    let mut has_name = false;
    for (k, v) in &shape.attrs {
        has_name |= k == "name";
        out.push_str(&format!(r#" {k}="{v}""#));
    }
    if let (false, Some(name)) = (has_name, name) {
        out.push_str(&format!(r#" name="{name}""#));
    }
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
}

/// The markup and the expected fields for `form`, or `None` when its selectors are beyond
/// this generator.
pub(super) fn replica_of(
    form: &FormDefinition,
    support: &FormSupport,
) -> Option<(String, BTreeMap<String, Expect>)> {
    let values = signer_values();
    let mut controls = String::new();
    let mut buttons = String::new();
    let mut expected = BTreeMap::new();
    let mut names_by_selector: BTreeMap<String, String> = BTreeMap::new();
    let mut rewrites = Vec::new();
    let mut extras = String::new();
    let mut extras_in_form = String::new();
    let mut script_ticked = Vec::new();
    let mut submitted = false;
    let mut field_control = |field: &FormField, kind: &str| -> Option<()> {
        let s = shape(&field.selector)?;
        let name = field.name.clone().or_else(|| {
            s.attrs
                .iter()
                .find(|(k, _)| k == "name")
                .map(|(_, v)| v.clone())
        })?;
        let attrs = attributes(&s, Some(&name));
        names_by_selector.insert(field.selector.clone(), name.clone());
        let value = match &field.value {
            Some(FieldValue::Variable(v)) => Some(values.get(v.as_str())?.clone()),
            Some(FieldValue::Literal(text)) => Some(text.clone()),
            None => None,
        };
        match kind {
            "fill_in" => {
                let message =
                    matches!(&field.value, Some(FieldValue::Variable(v)) if v == "$MESSAGE");
                let tag = s
                    .tag
                    .as_deref()
                    .unwrap_or(if message { "textarea" } else { "input" });
                if tag == "textarea" {
                    controls.push_str(&format!("<textarea{attrs}></textarea>\n"));
                } else {
                    controls.push_str(&format!("<{tag} type=\"text\"{attrs}>\n"));
                }
                let value = normalise(&value?);
                let value = match field.max_length {
                    Some(max) => truncate_on_word(&value, max as usize),
                    None => value,
                };
                expected.insert(name, Expect::Exact(value));
            }
            "select" => {
                let choices: Vec<(String, String)> = match &field.options {
                    Some(FieldOptions::List(list)) => {
                        list.iter().map(|v| (v.clone(), v.clone())).collect()
                    }
                    Some(FieldOptions::Labelled(map)) => map
                        .iter()
                        .map(|c| (c.label.clone(), c.value.clone()))
                        .collect(),
                    Some(FieldOptions::Constant(name)) => support.constants[name]
                        .values
                        .iter()
                        .map(|v| (v.clone(), v.clone()))
                        .collect(),
                    None => vec![(value.clone()?, value.clone()?)],
                };
                let options: String = choices
                    .iter()
                    .map(|(label, value)| {
                        format!(
                            r#"<option value="{}">{}</option>"#,
                            escape(value),
                            escape(label)
                        )
                    })
                    .collect();
                controls.push_str(&format!(
                    "<select{attrs}><option value=\"\">--</option>{options}</select>\n"
                ));
                let allowed = choices.into_iter().map(|(_, v)| v).collect();
                expected.insert(name, Expect::OneOf(allowed));
            }
            "check" => {
                controls.push_str(&format!(
                    "<input type=\"checkbox\" value=\"on-{name}\"{attrs}>\n"
                ));
                expected.insert(name.clone(), Expect::Exact(format!("on-{name}")));
            }
            "uncheck" => {
                controls.push_str(&format!(
                    "<input type=\"checkbox\" value=\"x\" checked{attrs}>\n"
                ));
            }
            _ => return None,
        }
        Some(())
    };
    for (index, step) in form.steps.iter().enumerate() {
        let clicks_later = form.steps[index + 1..]
            .iter()
            .any(|s| matches!(s.action, StepAction::ClickOn { .. }));
        let submits_later = clicks_later
            || form.steps[index + 1..].iter().any(|s| {
                matches!(&s.action, StepAction::Javascript { scripts } if scripts.iter().any(|js| {
                    matches!(classify_script(js), ScriptEffect::Click { .. } | ScriptEffect::Submit { .. })
                }))
            });
        match &step.action {
            StepAction::FillIn { fields } => {
                for f in fields {
                    field_control(f, "fill_in")?;
                }
            }
            StepAction::Select { fields } => {
                for f in fields {
                    field_control(f, "select")?;
                }
            }
            StepAction::Check { fields } => {
                for f in fields {
                    field_control(f, "check")?;
                }
            }
            StepAction::Uncheck { fields } => {
                for f in fields {
                    field_control(f, "uncheck")?;
                }
            }
            StepAction::Choose { .. } => return None,
            StepAction::Find { targets } if !submitted => {
                for t in targets {
                    let s = shape(&t.selector)?;
                    let tag = s.tag.clone().unwrap_or_else(|| "div".into());
                    let text = t.value.clone().unwrap_or_default();
                    extras.push_str(&format!("<{tag}{}>{text}</{tag}>", attributes(&s, None)));
                }
            }
            StepAction::ClickOn { targets } if submits_later && !submitted => {
                // A click before the definition's last one: a tab or button that reveals
                // the form, outside it.
                for t in targets {
                    let s = shape(&t.selector)?;
                    let tag = s.tag.clone().unwrap_or_else(|| "button".into());
                    let attrs = attributes(&s, None);
                    extras.push_str(&if tag == "input" {
                        format!("<input type=\"button\" value=\"Show\"{attrs}>")
                    } else if tag == "button" {
                        format!("<button type=\"button\"{attrs}>Show</button>")
                    } else {
                        format!("<{tag} href=\"#\"{attrs}>Show</{tag}>")
                    });
                }
            }
            StepAction::ClickOn { targets } => {
                submitted = true;
                for t in targets {
                    let s = shape(&t.selector)?;
                    let tag = s.tag.clone().unwrap_or_else(|| "button".into());
                    let attrs = attributes(&s, None);
                    let label = t.value.clone().unwrap_or_else(|| "Submit".into());
                    buttons.push_str(&if tag == "input" {
                        format!("<input type=\"submit\" value=\"{label}\"{attrs}>")
                    } else {
                        format!("<{tag} type=\"submit\"{attrs}>{label}</{tag}>")
                    });
                }
            }
            StepAction::Javascript { scripts } => {
                for script in scripts {
                    // A value-rewriting script changes what the office receives.
                    if let ScriptEffect::SetValue { selector, value } = classify_script(script) {
                        rewrites.push((selector, value));
                    }
                    if let ScriptEffect::Click { selector, .. } = classify_script(script) {
                        let s = shape(&selector)?;
                        if clicks_later {
                            // A checkbox ticked by script before the real submit button.
                            let name = format!("js-{}", s.id.clone()?);
                            extras_in_form.push_str(&format!(
                                "<input type=\"checkbox\" value=\"clicked\"{}>",
                                attributes(&s, Some(&name))
                            ));
                            script_ticked.push(name);
                            continue;
                        }
                        let tag = s.tag.clone().unwrap_or_else(|| "button".into());
                        if tag == "input" {
                            return None;
                        }
                        buttons.push_str(&format!(
                            "<{tag} type=\"submit\"{}>Send</{tag}>",
                            attributes(&s, None)
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    controls.push_str(&extras_in_form);
    for name in script_ticked {
        expected.insert(name, Expect::Exact("clicked".into()));
    }
    for (selector, value) in rewrites {
        let name = names_by_selector.get(&selector)?;
        if let Some(Expect::Exact(text)) = expected.get(name) {
            let rewritten = value.evaluate(text);
            expected.insert(name.clone(), Expect::Exact(rewritten));
        }
    }
    // A browser posts a textarea's line breaks as CRLF.
    for expect in expected.values_mut() {
        if let Expect::Exact(text) = expect
            && text.contains('\n')
        {
            *expect = Expect::OneOf(vec![text.clone(), text.replace('\n', "\r\n")]);
        }
    }
    let html = format!(
        "<!DOCTYPE html><html><body><h1>Contact</h1><div class=\"controls\"><form method=\"post\" action=\"\">\n\
         <input type=\"hidden\" name=\"form_token\" value=\"{TOKEN}\">\n{controls}<div class=\"controls\">{buttons}</div></form></div>{extras}</body></html>"
    );
    // Every selector the definition uses before submitting must find its element.
    let doc = scraper::Html::parse_document(&html);
    for step in &form.steps {
        let selectors: Vec<String> = match &step.action {
            StepAction::FillIn { fields }
            | StepAction::Select { fields }
            | StepAction::Check { fields }
            | StepAction::Uncheck { fields } => fields.iter().map(|f| f.selector.clone()).collect(),
            StepAction::ClickOn { targets } => targets.iter().map(|t| t.selector.clone()).collect(),
            _ => Vec::new(),
        };
        for selector in selectors {
            let sel = scraper::Selector::parse(&selector).ok()?;
            doc.select(&sel).next()?;
        }
    }
    Some((html, expected))
}

/// Ten Senate definitions beyond the two hand-written ones, each delivered to its replica.
#[tokio::test]
async fn generated_replicas_of_senate_forms_receive_every_field() {
    let Some(data) =
        shared_data("web_form::generated_replicas_of_senate_forms_receive_every_field")
    else {
        return;
    };
    let support = support(&data);
    let ids = member_ids(&data);
    let mut delivered = Vec::new();
    let mut with_option_map = 0;
    for id in ids {
        if delivered.len() == 10 {
            break;
        }
        if matches!(id.as_str(), "R000584" | "S001181") {
            continue;
        }
        let path = data.join(format!("contact-congress/members/{id}.yaml"));
        let text = std::fs::read_to_string(&path).unwrap();
        if !text.contains("senate.gov") {
            continue;
        }
        let Ok(form) = try_member_form(&data, &id, &support) else {
            continue;
        };
        let has_success = form.has_success_text();
        if form.execution_path() != ExecutionPath::Http || !has_success {
            continue;
        }
        let Some((html, expected)) = replica_of(&form, &support) else {
            eprintln!("{id}: selectors beyond the generator");
            continue;
        };
        let labelled = form.steps.iter().any(|s| {
            matches!(&s.action, StepAction::Select { fields }
                if fields.iter().any(|f| matches!(f.options, Some(FieldOptions::Labelled(_)))))
        });
        let url = form.visit_url().unwrap().to_string();
        // The replicas speak TLS; a few old definitions still start on http://.
        if !url.starts_with("https://") {
            continue;
        }
        let mut spec = ReplicaSpec::new(&url, html, expected);
        spec.thank_you = form
            .success
            .as_ref()
            .unwrap()
            .body_contains
            .clone()
            .unwrap();
        let replica = Replica::start(spec).await;
        let channel = channel(replica.egress(), vec![form], support.clone());

        let report = channel.send(&letter(&id)).await;

        assert_eq!(
            replica.submissions(),
            [Vec::<String>::new()],
            "{id}: {report:?}"
        );
        assert_eq!(report.outcome, AttemptOutcome::Ok, "{id}: {report:?}");
        with_option_map += usize::from(labelled);
        delivered.push(id);
    }
    eprintln!(
        "delivered through generated replicas: {}",
        delivered.join(" ")
    );
    assert_eq!(delivered.len(), 10, "{delivered:?}");
    assert!(
        with_option_map >= 1,
        "at least one form maps option labels to values"
    );
}
