//! `hillpost forms check [--live] [IDS…]`: which executor runs each stored form definition,
//! and (with `--live`) whether the live page still has every selector the definition uses.

use std::collections::BTreeMap;
use std::process::ExitCode;

use hillpost_channels::egress::EgressRequest;
use hillpost_channels::web_form::selector_matches;
use hillpost_directory::forms::{ExecutionPath, FormDefinition, StepAction};

use super::open_store;
use crate::channels::egress_settings;
use crate::cli::FormsCommand;
use crate::config::Settings;
use crate::directory;

pub async fn run(settings: &Settings, command: FormsCommand) -> anyhow::Result<ExitCode> {
    let FormsCommand::Check { live, ids } = command;
    let store = open_store(settings).await?;
    let directory = directory::load(&store).await?.ok_or_else(|| {
        anyhow::anyhow!("no directory yet: import one with `hillpost directory import`")
    })?;
    let forms: Vec<&FormDefinition> = directory
        .forms
        .values()
        .filter(|f| ids.is_empty() || ids.contains(&f.id))
        .collect();
    let egress = if live {
        Some(egress_settings(&settings.web_forms).build()?)
    } else {
        None
    };
    let browser = settings.web_forms.browser.enabled;
    let mut totals: BTreeMap<&str, usize> = BTreeMap::new();
    let mut stale = 0;
    for form in &forms {
        let path = form.execution_path();
        *totals.entry(path.name()).or_default() += 1;
        let mut line = format!("{:<28} {:<11}", form.id, path.name());
        if let Some(why) = path.why() {
            line.push_str(&format!(" {why}"));
        }
        if !form.has_success_text() && !matches!(path, ExecutionPath::Unsupported { .. }) {
            line.push_str(" (no confirmation text: outcomes will be `unknown`)");
        }
        if matches!(path, ExecutionPath::Browser { .. }) {
            line.push_str(if browser {
                " — runs in headless Chromium"
            } else {
                " — falls back to the next endpoint: [web_forms.browser] is off"
            });
        }
        println!("{line}");
        if let (Some(egress), ExecutionPath::Http, Some(url)) = (&egress, &path, form.visit_url()) {
            match live_check(egress, url, form).await {
                Ok(missing) if missing.is_empty() => println!("    live: every selector matches"),
                Ok(missing) => {
                    stale += 1;
                    println!("    live: not on the page: {}", missing.join(", "));
                }
                Err(err) => {
                    stale += 1;
                    println!("    live: {err}");
                }
            }
        }
    }
    let summary: Vec<String> = totals.iter().map(|(k, v)| format!("{v} {k}")).collect();
    println!("\n{} definitions: {}", forms.len(), summary.join(", "));
    if let Some(count) = totals.get("browser") {
        if browser {
            println!(
                "{count} browser definition(s) run in headless Chromium ([web_forms.browser])"
            );
        } else {
            println!(
                "{count} browser definition(s) fall back to the next endpoint: enable \
                 [web_forms.browser] to run them in headless Chromium"
            );
        }
    }
    if live {
        println!("{stale} HTTP-path form(s) did not match their live page");
    }
    Ok(if stale == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The selectors of the steps before the first submit that the live page lacks.
async fn live_check(
    egress: &hillpost_channels::egress::EgressClient,
    url: &str,
    form: &FormDefinition,
) -> anyhow::Result<Vec<String>> {
    let answer = egress.fetch(EgressRequest::get(url.parse()?)).await?;
    if answer.status >= 400 {
        anyhow::bail!("the page answered {}", answer.status);
    }
    let doc = scraper::Html::parse_document(&answer.text());
    let mut missing = Vec::new();
    for step in &form.steps {
        let selectors: Vec<&str> = match &step.action {
            StepAction::FillIn { fields }
            | StepAction::Select { fields }
            | StepAction::Check { fields }
            | StepAction::Uncheck { fields }
            | StepAction::Choose { fields } => fields.iter().map(|f| f.selector.as_str()).collect(),
            StepAction::ClickOn { targets } => {
                let found: Vec<&str> = targets.iter().map(|t| t.selector.as_str()).collect();
                missing.extend(
                    found
                        .iter()
                        .filter(|s| !selector_matches(&doc, s))
                        .map(|s| s.to_string()),
                );
                // What comes after the submit is on the answer page.
                break;
            }
            _ => Vec::new(),
        };
        missing.extend(
            selectors
                .into_iter()
                .filter(|s| !selector_matches(&doc, s))
                .map(str::to_string),
        );
    }
    Ok(missing)
}
