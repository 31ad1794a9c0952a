//! The option matcher over every `select` (and `choose` with options) of the shared
//! contact-congress definitions, with the states of the demo signers: prints each select it
//! cannot fill, and holds the Senate's state fields to none.

use std::collections::BTreeMap;

use hillpost_directory::SourceFile;
use hillpost_directory::forms::{
    FieldValue, FormKind, FormSupport, StepAction, parse_constants, parse_form, parse_variables,
};

use super::choose::option_to_send;
use super::fields::FieldValues;

/// The states of `crates/hillpost/demo/signers.csv`.
const DEMO_STATES: [&str; 12] = [
    "AZ", "CA", "FL", "IL", "MA", "MN", "NM", "NY", "OR", "TX", "VA", "WI",
];
const STATE_VARIABLES: [&str; 2] = ["$ADDRESS_STATE_POSTAL_ABBREV", "$ADDRESS_STATE_FULL"];

#[test]
fn every_shared_select_is_filled_for_the_demo_signers() {
    let Some(shared) = hillpost_testkit::shared_dir() else {
        hillpost_testkit::skip(
            "web_form::option_table",
            "../shared/data",
            "Put the shared data next to the repository or set HILLPOST_SHARED_DIR.",
        );
        return;
    };
    let dir = shared.join("data/contact-congress");
    let read =
        |name: &str| SourceFile::new(name, std::fs::read(dir.join("support").join(name)).unwrap());
    let support = FormSupport {
        variables: parse_variables(&read("variables.yaml")).unwrap(),
        constants: parse_constants(&read("constants.yaml")).unwrap(),
    };
    let mut files: Vec<_> = std::fs::read_dir(dir.join("members"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let (mut selects, mut unfilled, mut senate_state_unfilled) = (0, Vec::new(), 0);
    for path in &files {
        let text = std::fs::read(path).unwrap();
        let senate = String::from_utf8_lossy(&text).contains("senate.gov");
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let Ok(form) = parse_form(&SourceFile::new(&name, text), FormKind::Member, &support) else {
            continue;
        };
        for step in &form.steps {
            let (StepAction::Select { fields } | StepAction::Choose { fields }) = &step.action
            else {
                continue;
            };
            for field in fields.iter().filter(|f| f.options.is_some()) {
                selects += 1;
                let is_state = matches!(&field.value,
                    Some(FieldValue::Variable(v)) if STATE_VARIABLES.contains(&v.as_str()));
                for state in DEMO_STATES {
                    let mut variables = BTreeMap::new();
                    let parsed = hillpost_core::signer::UsState::parse(state).unwrap();
                    variables.insert("$ADDRESS_STATE_POSTAL_ABBREV", state.to_string());
                    variables.insert("$ADDRESS_STATE_FULL", parsed.name().to_string());
                    variables.insert("$TOPIC", "Withdraw U.S. troops from Peru".to_string());
                    variables.insert("$NAME_PREFIX", "Ms.".to_string());
                    let values = FieldValues {
                        support: &support,
                        variables: &variables,
                        topic_fallback: "Other",
                    };
                    let Ok(Some(wanted)) = values.value_of(field) else {
                        continue;
                    };
                    let (matching, fallback) = values.matching(field);
                    let chosen = option_to_send(
                        &field.selector,
                        &wanted,
                        &values.choices(field),
                        &[],
                        matching,
                        fallback,
                    );
                    if let Err(reason) = chosen {
                        if is_state && senate {
                            senate_state_unfilled += 1;
                        }
                        unfilled.push(format!("{name} line {}: {reason}", field.line));
                        if !is_state {
                            break; // the same for every state
                        }
                    }
                }
            }
        }
    }
    for line in &unfilled {
        println!("cannot fill: {line}");
    }
    println!(
        "{} definitions, {selects} selects with options: {} (select, state) pairs cannot be \
         filled, {senate_state_unfilled} of them Senate state fields",
        files.len(),
        unfilled.len()
    );
    assert!(files.len() >= 494, "{} definitions", files.len());
    assert!(selects > 500, "{selects} selects");
    assert_eq!(senate_state_unfilled, 0, "{unfilled:#?}");
}
