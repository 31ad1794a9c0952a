//! The figures over every Senate definition in ../shared (70 files), each delivered to a
//! replica generated from its own steps, on each path: how many are delivered and
//! confirmed, end without a confirmation text to judge (the definition has none, or an
//! empty one), fall back to the next endpoint (recaptcha), fail, or are beyond the
//! generator. Slow (a browser per definition): run by hand with
//!
//! ```sh
//! HILLPOST_TEST_REQUIRE_ALL=1 cargo test -p hillpost-channels --test it senate_figures \
//!   -- --ignored --nocapture
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use hillpost_channels::Channel;
use hillpost_channels::web_form::{BrowserExecutor, BrowserSettings, normalise, truncate_on_word};
use hillpost_core::AttemptOutcome;
use hillpost_core::delivery::SendReport;
use hillpost_directory::forms::{
    ExecutionPath, FieldValue, FormDefinition, FormSupport, StepAction,
};
use regex::Regex;

use super::generic::replica_of;
use super::replica::{Expect, Replica, ReplicaSpec};
use super::support::{
    channel, letter, member_ids, shared_data, signer_values, support, try_member_form,
};

/// How one delivery ended.
fn verdict(report: &SendReport) -> &'static str {
    match report.outcome {
        AttemptOutcome::Ok => "confirmed",
        AttemptOutcome::Unconfirmed => "no confirmation text",
        AttemptOutcome::Permanent if !report.touched_network => "falls back",
        _ => "failed",
    }
}

/// A replica for a definition that writes its own form with innerHTML: the CMS shell, and
/// every field the definition fills checked by name.
fn script_form_replica(
    form: &FormDefinition,
) -> Option<(String, BTreeMap<String, Expect>, String)> {
    let values = signer_values();
    let action = Regex::new(r#"action=\\?"([^"\\]+)\\?""#).unwrap();
    let mut submit_path = None;
    let mut expected = BTreeMap::new();
    for step in &form.steps {
        match &step.action {
            StepAction::Javascript { scripts } => {
                for script in scripts {
                    if let Some(found) = action.captures(script) {
                        let url = url::Url::parse(form.visit_url()?)
                            .ok()?
                            .join(&found[1])
                            .ok()?;
                        submit_path = Some(url.path().to_string());
                    }
                }
            }
            StepAction::FillIn { fields } => {
                for field in fields {
                    let name = field.name.clone()?;
                    let Some(FieldValue::Variable(v)) = &field.value else {
                        continue;
                    };
                    let value = normalise(values.get(v.as_str())?);
                    let value = match field.max_length {
                        Some(max) => truncate_on_word(&value, max as usize),
                        None => value,
                    };
                    // The definition's own scripts may rewrite it (quotes, line breaks).
                    let lenient = v == "$MESSAGE" || v.starts_with("$PHONE");
                    expected.insert(
                        name,
                        if lenient {
                            Expect::NonEmpty
                        } else {
                            Expect::Exact(value)
                        },
                    );
                }
            }
            StepAction::Select { fields } => {
                for field in fields.iter().filter(|f| f.required) {
                    expected.insert(field.name.clone()?, Expect::NonEmpty);
                }
            }
            _ => {}
        }
    }
    // The element the script writes the form into.
    let target = Regex::new(r#"querySelector\('([.#])([\w-]+)'\)\.innerHTML"#).unwrap();
    let container = form.steps.iter().find_map(|s| match &s.action {
        StepAction::Javascript { scripts } => scripts.iter().find_map(|js| {
            let found = target.captures(js)?;
            let attribute = if &found[1] == "." { "class" } else { "id" };
            Some(format!(
                "<main {attribute}=\"{}\"><p>Loading&hellip;</p></main>",
                &found[2]
            ))
        }),
        _ => None,
    })?;
    let html = format!("<!DOCTYPE html><html><body>{container}</body></html>");
    Some((html, expected, submit_path?))
}

async fn deliver(
    form: &FormDefinition,
    support: &FormSupport,
    spec: ReplicaSpec,
    browser: Option<(std::path::PathBuf, std::path::PathBuf)>,
) -> (SendReport, Vec<Vec<String>>) {
    let replica = Replica::start(spec).await;
    let mut channel = channel(replica.egress(), vec![form.clone()], support.clone());
    if let Some((chromium, chromedriver)) = browser {
        channel = channel.with_browser(BrowserExecutor::new(BrowserSettings {
            chromium,
            chromedriver,
            page_timeout: Duration::from_secs(10),
            all_forms: true,
            ..BrowserSettings::default()
        }));
    }
    let report = channel.send(&letter(&form.id)).await;
    (report, replica.submissions())
}

#[tokio::test]
#[ignore = "figures: a browser per definition, a few minutes; run by hand"]
async fn senate_definitions_on_generated_replicas_per_path() {
    let test = "web_form::senate_figures";
    let Some(data) = shared_data(test) else {
        return;
    };
    let browser = hillpost_testkit::browser::installed(test);
    let support = support(&data);
    let ids = member_ids(&data);
    let mut table: BTreeMap<(&str, &str), Vec<String>> = BTreeMap::new();
    let mut posts = Vec::new();
    let mut files = 0;
    for id in ids {
        let text =
            std::fs::read_to_string(data.join(format!("contact-congress/members/{id}.yaml")))
                .unwrap();
        if !text.contains("senate.gov") {
            continue;
        }
        files += 1;
        let Ok(mut form) = try_member_form(&data, &id, &support) else {
            table
                .entry(("both", "does not parse"))
                .or_default()
                .push(id);
            continue;
        };
        // The offices' sites answer http:// with a redirect to https://, which is what the
        // replicas speak.
        for step in &mut form.steps {
            if let StepAction::Visit { url } = &mut step.action
                && let Some(rest) = url.strip_prefix("http://")
            {
                *url = format!("https://{rest}");
            }
        }
        let path = form.execution_path();
        if let ExecutionPath::Unsupported { .. } = path {
            table.entry(("both", "falls back")).or_default().push(id);
            continue;
        }
        let thank_you = form
            .success
            .as_ref()
            .and_then(|s| s.body_contains.clone())
            .unwrap_or_else(|| "Thank you".into());
        let spec = || -> Option<ReplicaSpec> {
            let url = form.visit_url()?;
            let writes_its_form =
                matches!(&path, ExecutionPath::Browser { why } if why.contains("innerHTML"));
            if let Some((html, expected)) = replica_of(&form, &support).filter(|_| !writes_its_form)
            {
                let mut spec = ReplicaSpec::new(url, html, expected);
                spec.thank_you = format!("{thank_you} Thank you for contacting my office");
                return Some(spec);
            }
            let (html, expected, submit) = script_form_replica(&form)?;
            let mut spec = ReplicaSpec::new(url, html, expected);
            spec.thank_you = format!("{thank_you} Thank you for contacting my office");
            spec.require_token = false;
            if submit != spec.page_url.path() {
                spec.pages = vec![(submit.clone(), String::new())];
                spec.submit_path = Some(submit);
            }
            Some(spec)
        };
        let paths: &[&str] = if path == ExecutionPath::Http {
            &["http", "browser"]
        } else {
            &["browser"]
        };
        for which in paths {
            let Some(spec) = spec() else {
                table
                    .entry((which, "no replica"))
                    .or_default()
                    .push(id.clone());
                continue;
            };
            let with_browser = match *which {
                "browser" => match &browser {
                    Some(b) => Some(b.clone()),
                    None => continue,
                },
                _ => None,
            };
            let (report, submissions) = deliver(&form, &support, spec, with_browser).await;
            let verdict = verdict(&report);
            if verdict == "failed" || submissions.iter().any(|p| !p.is_empty()) {
                println!(
                    "{id} ({which}): {verdict}: {:?} {submissions:?}",
                    report.note
                );
            }
            if matches!(verdict, "confirmed" | "no confirmation text") {
                // One delivery, one post: nothing in a send posts the form twice.
                assert_eq!(
                    submissions.len(),
                    1,
                    "{id} ({which}) posted {submissions:?}"
                );
                posts.push(submissions.len());
            }
            table.entry((which, verdict)).or_default().push(id.clone());
        }
    }
    println!(
        "{} posting deliveries, {} POST(s) each",
        posts.len(),
        posts.iter().max().copied().unwrap_or(0)
    );
    println!("{files} Senate definitions");
    for ((path, verdict), ids) in &table {
        println!("{path:8} {verdict:22} {:3}  {}", ids.len(), ids.join(" "));
    }
    assert_eq!(files, 70);
    let confirmed = table.get(&("http", "confirmed")).map_or(0, Vec::len);
    assert!(confirmed >= 30, "{confirmed} confirmed over HTTP");
    assert!(
        !table.contains_key(&("http", "failed")),
        "no definition fails over HTTP on its replica: {:?}",
        table.get(&("http", "failed"))
    );
}
