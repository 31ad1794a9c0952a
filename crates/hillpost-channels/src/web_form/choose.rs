//! Picking the option a `select` or `choose` sends: one matcher for both executors. The
//! definition's own options (plain values, label → value maps, or a named constant such as
//! US_STATES) map the value; the page's options take it by value or label; a US state is
//! its code, its full name, or an option value ending in the code (`28_MI`); values no
//! option spells exactly ($TOPIC from a letter's subject, $NAME_PREFIX) take the closest.

use hillpost_core::signer::UsState;

/// One allowed option: what a person would read, and what is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub label: String,
    pub value: String,
}

/// How hard to look for a match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matching {
    /// The value must be one of the options (states, literal values).
    Exact,
    /// The closest option counts ($TOPIC, $NAME_PREFIX); `fallback` is tried next.
    Closest,
}

/// The option for `wanted`, or `None` when none fits. In order: an option whose value is
/// `wanted`, one whose label is, either spelled alike (case, spaces and punctuation
/// aside); for a US state, its code and its full name both count, and so does a value that
/// ends in the code (`28_MI`, `US-MI`); then, for [`Matching::Closest`], the closest option.
pub fn choose<'a>(
    wanted: &str,
    choices: &'a [Choice],
    matching: Matching,
    fallback: Option<&str>,
) -> Option<&'a Choice> {
    if let Some(found) = exactly(wanted, choices) {
        return Some(found);
    }
    if matching == Matching::Exact {
        return None;
    }
    closest(wanted, choices, fallback)
}

/// The exact rules of [`choose`].
fn exactly<'a>(wanted: &str, choices: &'a [Choice]) -> Option<&'a Choice> {
    if let Some(found) = choices.iter().find(|c| c.value == wanted) {
        return Some(found);
    }
    if let Some(found) = choices.iter().find(|c| c.label == wanted) {
        return Some(found);
    }
    let state = UsState::parse(wanted).ok();
    let mut keys = vec![squash(wanted)];
    if let Some(state) = state {
        keys.extend([squash(state.code()), squash(state.name())]);
    }
    let spelled = |text: &str| keys.contains(&squash(text));
    if let Some(found) = choices.iter().find(|c| spelled(&c.value)) {
        return Some(found);
    }
    if let Some(found) = choices.iter().find(|c| spelled(&c.label)) {
        return Some(found);
    }
    let state = state?;
    choices
        .iter()
        .find(|c| ends_in_code(&c.value, state.code()))
        .or_else(|| {
            // A label that starts with the state's full name ("Michigan (MI)").
            let name = state.name().to_lowercase();
            choices.iter().find(|c| {
                let label = c.label.trim().to_lowercase();
                label
                    .strip_prefix(&name)
                    .is_some_and(|rest| !rest.starts_with(char::is_alphabetic))
            })
        })
}

/// `28_MI`, `US-MI`, `mi`: the value ends in the code, after something that is not a letter.
fn ends_in_code(value: &str, code: &str) -> bool {
    let value = value.trim();
    if value.len() <= code.len() || !value.is_char_boundary(value.len() - code.len()) {
        return false;
    }
    let (head, tail) = value.split_at(value.len() - code.len());
    tail.eq_ignore_ascii_case(code) && !head.ends_with(|c: char| c.is_alphabetic())
}

/// The closest option for values no option spells exactly ($TOPIC from a letter's subject,
/// $NAME_PREFIX).
fn closest<'a>(wanted: &str, choices: &'a [Choice], fallback: Option<&str>) -> Option<&'a Choice> {
    let key = squash(wanted);
    let usable = || choices.iter().filter(|c| !c.value.trim().is_empty());
    // Words in common ("Foreign Affairs" for a letter about foreign military aid).
    let words = words_of(wanted);
    let best = usable()
        .map(|c| {
            let shared = words_of(&c.label)
                .iter()
                .filter(|w| words.contains(w))
                .count();
            (shared, c)
        })
        .filter(|(shared, _)| *shared > 0)
        .max_by_key(|(shared, _)| *shared)
        .map(|(_, c)| c);
    if best.is_some() {
        return best;
    }
    if let Some(fallback) = fallback.filter(|f| !f.trim().is_empty())
        && let Some(found) = exactly(fallback, choices)
    {
        return Some(found);
    }
    if let Some(other) = usable().find(|c| {
        let label = squash(&c.label);
        matches!(
            label.as_str(),
            "other" | "general" | "otherissues" | "othertopics"
        )
    }) {
        return Some(other);
    }
    // Short values (titles): the smallest edit distance.
    if key.len() <= 12 {
        return usable().min_by_key(|c| edit_distance(&key, &squash(&c.label)));
    }
    usable().next()
}

/// The value a `select` (or `choose`) step sends for `wanted`: mapped through the
/// definition's own options (`allowed`: a list, a label → value map, a named constant)
/// when it has any, then matched against what the page offers (`offered`, by the option's
/// value or text; empty when the control is not a select). When the definition's options
/// know nothing of `wanted`, the page's own options are asked directly. Shared by the HTTP
/// and browser executors so both choose alike; a value that matches nothing names the
/// options it tried.
pub fn option_to_send(
    css: &str,
    wanted: &str,
    allowed: &[Choice],
    offered: &[Choice],
    matching: Matching,
    fallback: Option<&str>,
) -> Result<String, String> {
    let mapped = if allowed.is_empty() {
        None
    } else {
        choose(wanted, allowed, matching, fallback)
    };
    if offered.is_empty() {
        return match (mapped, allowed.is_empty()) {
            (Some(choice), _) => Ok(choice.value.clone()),
            (None, true) => Ok(wanted.to_string()),
            (None, false) => Err(format!(
                "`{wanted}` is not one of the options of `{css}` (the definition's: {})",
                tried(allowed)
            )),
        };
    }
    // The definition's value may be the option's text ("Contact the President").
    if let Some(choice) = mapped {
        let on_page = exactly(&choice.value, offered)
            .or_else(|| exactly(&choice.label, offered))
            .or_else(|| exactly(wanted, offered));
        if let Some(found) = on_page {
            return Ok(found.value.clone());
        }
    }
    if let Some(found) = choose(wanted, offered, matching, fallback) {
        return Ok(found.value.clone());
    }
    let mut message = format!("`{wanted}` is not an option of `{css}` on the page");
    if let Some(choice) = mapped {
        message.push_str(&format!(
            " (the definition maps it to `{}`, which the page does not offer)",
            choice.value
        ));
    }
    message.push_str(&format!("; the page's options: {}", tried(offered)));
    Err(message)
}

/// Up to a dozen options as `label → value`, and how many more.
fn tried(choices: &[Choice]) -> String {
    const SHOWN: usize = 12;
    let mut words: Vec<String> = choices
        .iter()
        .take(SHOWN)
        .map(|c| {
            if c.label == c.value {
                format!("`{}`", c.value)
            } else {
                format!("`{}` → `{}`", c.label, c.value)
            }
        })
        .collect();
    if choices.len() > SHOWN {
        words.push(format!("and {} more", choices.len() - SHOWN));
    }
    if words.is_empty() {
        "none".into()
    } else {
        words.join(", ")
    }
}

fn squash(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn words_of(text: &str) -> Vec<String> {
    const IGNORED: [&str; 8] = ["and", "the", "of", "for", "to", "a", "in", "on"];
    text.split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| w.len() > 2 && !IGNORED.contains(&w.as_str()))
        .map(|w| w.trim_end_matches('s').to_string())
        .collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = if ca == *cb {
                previous
            } else {
                1 + previous.min(row[j]).min(row[j + 1])
            };
            previous = current;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[(&str, &str)]) -> Vec<Choice> {
        items
            .iter()
            .map(|(l, v)| Choice {
                label: l.to_string(),
                value: v.to_string(),
            })
            .collect()
    }

    #[test]
    fn labels_map_to_values_and_topics_match_on_words() {
        let topics = list(&[
            ("Budget", "BUD"),
            ("Foreign Relations", "FOR"),
            ("Healthcare", "HEA"),
        ]);
        let chosen = choose("Budget", &topics, Matching::Exact, None).unwrap();
        assert_eq!(chosen.value, "BUD");
        let chosen = choose(
            "Stop military aid: foreign relations matter",
            &topics,
            Matching::Closest,
            None,
        )
        .unwrap();
        assert_eq!(chosen.value, "FOR");
        let fallback = choose(
            "Nothing alike",
            &topics,
            Matching::Closest,
            Some("Healthcare"),
        );
        assert_eq!(fallback.unwrap().value, "HEA");
        assert!(choose("Guam", &topics, Matching::Exact, None).is_none());
    }

    #[test]
    fn prefixes_match_loosely() {
        let prefixes = list(&[("", ""), ("Mr.", "Mr."), ("Ms.", "Ms."), ("Dr.", "Dr.")]);
        assert_eq!(
            choose("Ms", &prefixes, Matching::Closest, None)
                .unwrap()
                .value,
            "Ms."
        );
        assert_eq!(
            choose("Mx.", &prefixes, Matching::Closest, None)
                .unwrap()
                .value,
            "Mr.",
            "no neutral title offered: the closest spelling, first on a tie"
        );
    }

    #[test]
    fn a_state_is_its_code_its_name_its_label_or_a_value_ending_in_its_code() {
        let numbered = list(&[
            ("Maine", "24_ME"),
            ("Michigan", "28_MI"),
            ("Texas", "42_TX"),
        ]);
        let exact = Matching::Exact;
        assert_eq!(choose("MI", &numbered, exact, None).unwrap().value, "28_MI");
        assert_eq!(
            choose("Michigan", &numbered, exact, None).unwrap().value,
            "28_MI"
        );
        let names = list(&[("Idaho", "Idaho"), ("Iowa", "Iowa")]);
        assert_eq!(choose("ID", &names, exact, None).unwrap().value, "Idaho");
        let codes = list(&[("Idaho", "ID"), ("Iowa", "IA")]);
        assert_eq!(choose("Idaho", &codes, exact, None).unwrap().value, "ID");
        let dotted = list(&[("D.C.", "8_D.C."), ("Delaware", "10_DE")]);
        assert_eq!(choose("DC", &dotted, exact, None).unwrap().value, "8_D.C.");
        // A code inside a word is not the code.
        let words = list(&[("Main office", "MAIN")]);
        assert!(choose("IN", &words, exact, None).is_none());
    }

    #[test]
    fn the_definition_maps_then_the_page_takes_it_and_failures_name_the_options() {
        let allowed = list(&[("Michigan", "28_MI"), ("Ohio", "42_OH")]);
        let offered = list(&[("--", ""), ("Michigan", "28_MI"), ("Ohio", "42_OH")]);
        let sent = option_to_send("#st", "MI", &allowed, &offered, Matching::Exact, None);
        assert_eq!(sent.unwrap(), "28_MI");
        // The page offers what the definition's list does not know.
        let page_only = list(&[("Guam", "GU"), ("Idaho", "ID")]);
        let sent = option_to_send("#st", "ID", &allowed, &page_only, Matching::Exact, None);
        assert_eq!(sent.unwrap(), "ID");
        let err = option_to_send("#st", "Guam", &allowed, &[], Matching::Exact, None).unwrap_err();
        assert!(err.contains("`Michigan` → `28_MI`"), "{err}");
        let err = option_to_send("#st", "VT", &[], &offered, Matching::Exact, None).unwrap_err();
        assert!(
            err.contains("the page's options: `--` → ``, `Michigan` → `28_MI`"),
            "{err}"
        );
    }
}
