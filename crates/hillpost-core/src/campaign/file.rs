//! The campaign file organizers write (TOML), and every check it must pass.

use std::collections::BTreeMap;

use serde::Deserialize;
use thiserror::Error;

use super::target::TargetSpec;
use super::{Campaign, CampaignId, Letter, Mode, Target};
use crate::render::check_letter;
use crate::signer::Language;
use crate::text;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CampaignError {
    #[error("the campaign file is not valid TOML: {0}")]
    Syntax(String),
    #[error("the campaign file has {} problem(s):\n  - {}", .0.len(), .0.join("\n  - "))]
    Invalid(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CampaignFile {
    id: String,
    title: String,
    organization: String,
    mode: Mode,
    default_language: Option<String>,
    sender_name: Option<String>,
    letters: BTreeMap<String, Letter>,
    #[serde(default)]
    targets: Vec<TargetSpec>,
}

/// A campaign file is small; anything bigger is a mistake (an export saved over it).
const MAX_FILE_BYTES: usize = 2_000_000;

pub(super) fn parse(source: &str) -> Result<Campaign, CampaignError> {
    if source.len() > MAX_FILE_BYTES {
        return Err(CampaignError::Invalid(vec![format!(
            "the file is {} bytes long; a campaign file is at most {MAX_FILE_BYTES}",
            source.len()
        )]));
    }
    let file: CampaignFile =
        toml::from_str(source).map_err(|e| CampaignError::Syntax(e.to_string()))?;
    let mut problems = Vec::new();
    let mut note =
        |field: &str, problem: &dyn std::fmt::Display| problems.push(format!("{field}: {problem}"));

    let id = CampaignId::parse(&file.id).map_err(|e| note("id", &e)).ok();
    let title = text::required_line(&file.title, 200)
        .map_err(|e| note("title", &e))
        .ok();
    let organization = text::required_line(&file.organization, 200)
        .map_err(|e| note("organization", &e))
        .ok();
    let sender_name = match &file.sender_name {
        Some(raw) => text::required_line(raw, 100)
            .map_err(|e| note("sender_name", &e))
            .ok(),
        None => organization.clone(),
    };

    let mut letters = BTreeMap::new();
    for (code, letter) in file.letters {
        match Language::parse(&code) {
            Err(e) => note(&format!("letters.{code}"), &e),
            Ok(language) => {
                if letters.contains_key(&language) {
                    note(
                        &format!("letters.{code}"),
                        &"a second letter for the same language",
                    );
                    continue;
                }
                letters.insert(language, letter);
            }
        }
    }
    if letters.is_empty() {
        note(
            "letters",
            &"at least one letter is needed, e.g. [letters.en]",
        );
    }
    let default_language = match &file.default_language {
        Some(code) => Language::parse(code)
            .map_err(|e| note("default_language", &e))
            .ok(),
        None if letters.len() == 1 => letters.keys().next().cloned(),
        None => Language::parse("en").ok(),
    };
    if let Some(language) = &default_language
        && !letters.is_empty()
        && !letters.contains_key(language)
    {
        note(
            "default_language",
            &format!("there is no letter in `{language}`"),
        );
    }
    for (language, letter) in &letters {
        problems.extend(check_letter(language, letter, file.mode));
    }

    let mut targets = Vec::new();
    for (index, spec) in file.targets.into_iter().enumerate() {
        match Target::try_from(spec) {
            Ok(target) => targets.push(target),
            Err(e) => problems.push(format!("targets[{}]: {e}", index + 1)),
        }
    }
    if targets.is_empty() && problems.iter().all(|p| !p.starts_with("targets")) {
        problems.push("targets: at least one target is needed ([[targets]])".into());
    }

    match (id, title, organization, sender_name, default_language) {
        (Some(id), Some(title), Some(organization), Some(sender_name), Some(default_language))
            if problems.is_empty() =>
        {
            Ok(Campaign {
                id,
                title,
                organization,
                mode: file.mode,
                default_language,
                sender_name,
                letters,
                targets,
            })
        }
        _ => Err(CampaignError::Invalid(problems)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
id = "no-troops"
title = "No troops"
organization = "Example Peace Coalition"
mode = "individual"
default_language = "en"

[letters.en]
subject = "Withdraw the troops, from {{ signer.city }}"
body = "Dear {{ recipient.name }},\n\nSigned, {{ signer.full_name }}"

[letters.es]
subject = "Retiren las tropas"
body = "Estimado/a {{ recipient.name }}:\n\n{{ signer.full_name }}"

[[targets]]
target = "custom"
name = "Committee staff"
email = "staff@example.org"
"#;

    #[test]
    fn a_good_campaign_parses() {
        let c = Campaign::from_toml(GOOD).unwrap();
        assert_eq!(c.id.as_str(), "no-troops");
        assert_eq!(c.letters.len(), 2);
        assert_eq!(c.sender_name, "Example Peace Coalition");
        let es = Language::parse("es").unwrap();
        assert_eq!(c.letter_for(Some(&es)).0.as_str(), "es");
        let fr = Language::parse("fr").unwrap();
        assert_eq!(c.letter_for(Some(&fr)).0.as_str(), "en");
        assert_eq!(Campaign::from_stored(&c.to_stored()).unwrap(), c);
    }

    #[test]
    fn every_problem_is_reported() {
        let bad = GOOD
            .replace("no-troops", "No Troops!")
            .replace("mode = \"individual\"", "mode = \"petition\"")
            .replace("{{ recipient.name }},", "{{ recipient.nam }},")
            .replace("staff@example.org", "not-an-address");
        let Err(CampaignError::Invalid(problems)) = Campaign::from_toml(&bad) else {
            panic!()
        };
        let all = problems.join("\n");
        assert!(
            all.contains("id: `No Troops!` is not a campaign id"),
            "{all}"
        );
        assert!(
            all.contains("unknown placeholder `{{recipient.nam}}`"),
            "{all}"
        );
        assert!(
            all.contains("`{{signer.full_name}}` names one signer"),
            "{all}"
        );
        assert!(
            all.contains("targets[1]: email: is not a valid email address"),
            "{all}"
        );
    }

    #[test]
    fn oversized_letters_and_typos_are_refused() {
        let huge = GOOD.replace("Signed, {{ signer.full_name }}", &"x".repeat(200_000));
        let Err(CampaignError::Invalid(problems)) = Campaign::from_toml(&huge) else {
            panic!()
        };
        assert!(
            problems[0].contains("letters.en.body: is 200"),
            "{problems:?}"
        );
        let typo = GOOD.replace("organization = ", "organisation = ");
        assert!(
            matches!(Campaign::from_toml(&typo), Err(CampaignError::Syntax(m)) if m.contains("organisation"))
        );
    }
}
