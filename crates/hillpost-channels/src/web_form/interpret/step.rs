//! What each step of the step language does: the one match over step kinds, for every
//! driver.

use std::time::Duration;

use hillpost_core::AttemptOutcome;
use hillpost_directory::forms::{
    FieldValue, FormField, FormStep, ScriptEffect, StepAction, classify_script,
};
use url::Url;

use super::Interpreter;
use super::driver::{Click, FormDriver, Selection};
use super::journal::{Journal, Stop, stop};
use crate::report::{falls_back, refused_locally};
use crate::web_form::fields::MissingValue;

impl Interpreter<'_> {
    pub(super) async fn step<D: FormDriver>(
        &self,
        driver: &mut D,
        journal: &mut Journal,
        step: &FormStep,
        final_submit: impl Fn(usize) -> bool,
    ) -> Result<(), Stop> {
        let line = step.line;
        match &step.action {
            StepAction::Visit { url } => {
                let url = Url::parse(url).map_err(|e| {
                    stop(refused_locally(
                        journal.started_at,
                        AttemptOutcome::Permanent,
                        format!("line {line}: `{url}` is not a URL: {e}"),
                    ))
                })?;
                driver.visit(journal, url, line).await?;
            }
            StepAction::Wait { millis } => {
                tokio::time::sleep(Duration::from_millis(*millis).min(self.max_wait)).await;
            }
            StepAction::Find { targets } => {
                for target in targets {
                    let found = driver
                        .find(journal, &target.selector, target.value.as_deref())
                        .await?;
                    journal.settle(line, found)?;
                }
            }
            StepAction::FillIn { fields } => {
                for field in fields {
                    let Some(value) = self.value(journal, field, |v, f| v.fill_value(f))? else {
                        continue;
                    };
                    let holds_letter = matches!(&field.value,
                        Some(FieldValue::Variable(v)) if v == "$MESSAGE");
                    let filled = driver.fill(journal, field, value, holds_letter).await?;
                    journal.settle(line, filled)?;
                }
            }
            StepAction::Select { fields } => {
                for field in fields {
                    let Some(value) = self.value(journal, field, |v, f| v.value_of(f))? else {
                        continue;
                    };
                    let allowed = self.values.choices(field);
                    let (matching, fallback) = self.values.matching(field);
                    let selection = Selection {
                        value: &value,
                        allowed: &allowed,
                        matching,
                        fallback,
                    };
                    let selected = driver.select(journal, field, selection).await?;
                    journal.settle(line, selected)?;
                }
            }
            StepAction::Check { fields } | StepAction::Uncheck { fields } => {
                let checked = matches!(step.action, StepAction::Check { .. });
                for field in fields {
                    let set = driver.set_checked(journal, field, checked).await?;
                    journal.settle(line, set)?;
                }
            }
            StepAction::Choose { fields } => {
                for field in fields {
                    let value = self.value(journal, field, |v, f| v.value_of(f))?;
                    let chosen = driver.choose(journal, field, value).await?;
                    journal.settle(line, chosen)?;
                }
            }
            StepAction::ClickOn { targets } => {
                for (item, target) in targets.iter().enumerate() {
                    let click = Click {
                        css: &target.selector,
                        script: None,
                        final_submit: final_submit(item),
                        line,
                    };
                    let clicked = driver.click(journal, click).await?;
                    journal.settle(line, clicked)?;
                }
            }
            StepAction::Javascript { scripts } => {
                for (item, script) in scripts.iter().enumerate() {
                    let effect = classify_script(script);
                    let ran = match effect {
                        ScriptEffect::Click {
                            ref selector,
                            optional,
                        }
                        | ScriptEffect::Submit {
                            ref selector,
                            optional,
                        } => {
                            let click = Click {
                                css: selector,
                                script: Some(script),
                                final_submit: final_submit(item),
                                line,
                            };
                            if optional && driver.present(journal, selector).await? == Ok(false) {
                                Ok(())
                            } else if matches!(effect, ScriptEffect::Submit { .. }) {
                                driver.submit(journal, click).await?
                            } else {
                                driver.click(journal, click).await?
                            }
                        }
                        ScriptEffect::SetValue { selector, value } => {
                            driver
                                .set_value(journal, script, &selector, &value, line)
                                .await?
                        }
                        ScriptEffect::Enable { selector } => {
                            driver.enable(journal, script, &selector, line).await?
                        }
                        // A script that only changes how the page looks (removing a header,
                        // showing a block) and fails because the page changed: the form is
                        // unaffected, as over HTTP, where such scripts are no-ops.
                        ScriptEffect::Cosmetic => match driver.cosmetic(script).await {
                            Err(reason) => {
                                journal.notes.push(format!(
                                    "line {line}: a script that only changes the page's looks \
                                     failed, and was passed over ({reason})"
                                ));
                                Ok(())
                            }
                            ok => ok,
                        },
                        ScriptEffect::Other { why } => {
                            driver.other_script(journal, script, why, line).await?
                        }
                    };
                    journal.settle(line, ran)?;
                }
            }
            StepAction::Recaptcha { .. } => {
                return Err(stop(falls_back(
                    journal.started_at,
                    "the form has a recaptcha step".into(),
                )));
            }
        }
        Ok(())
    }

    /// A field's value (see [`crate::web_form::fields::FieldValues`]); a required one
    /// without a value ends the run falling back to the next endpoint.
    fn value(
        &self,
        journal: &Journal,
        field: &FormField,
        pick: fn(
            &crate::web_form::fields::FieldValues,
            &FormField,
        ) -> Result<Option<String>, MissingValue>,
    ) -> Result<Option<String>, Stop> {
        pick(&self.values, field)
            .map_err(|MissingValue(reason)| stop(falls_back(journal.started_at, reason)))
    }
}
