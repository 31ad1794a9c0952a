//! Picking the option a `select` sends: the definition's own list (plain values, label →
//! value maps, or a named constant such as US_STATES), and for values no option spells
//! exactly ($TOPIC from a letter's subject, $NAME_PREFIX) the closest one.

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

/// The option for `wanted`, or `None` when none fits.
pub fn choose<'a>(
    wanted: &str,
    choices: &'a [Choice],
    matching: Matching,
    fallback: Option<&str>,
) -> Option<&'a Choice> {
    let key = squash(wanted);
    let exact = choices
        .iter()
        .find(|c| squash(&c.label) == key || squash(&c.value) == key);
    if exact.is_some() || matching == Matching::Exact {
        return exact;
    }
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
        && let Some(found) = choose(fallback, choices, Matching::Exact, None)
    {
        return Some(found);
    }
    if let Some(other) = usable().find(|c| matches!(squash(&c.label).as_str(), "other" | "general"))
    {
        return Some(other);
    }
    // Short values (titles): the smallest edit distance.
    if key.len() <= 12 {
        return usable().min_by_key(|c| edit_distance(&key, &squash(&c.label)));
    }
    usable().next()
}

/// The value a `select` step sends for `wanted`: mapped through the definition's own
/// options (`allowed`, label → value) when it has any, then matched against what the page
/// offers (`offered`, by the option's value or text; empty when the control is not a
/// select). Shared by the HTTP and browser executors so both choose alike.
pub fn option_to_send(
    css: &str,
    wanted: &str,
    allowed: &[Choice],
    offered: &[Choice],
    matching: Matching,
    fallback: Option<&str>,
) -> Result<String, String> {
    let wanted = if allowed.is_empty() {
        wanted.to_string()
    } else {
        choose(wanted, allowed, matching, fallback)
            .map(|c| c.value.clone())
            .ok_or_else(|| format!("`{wanted}` is not one of the options of `{css}`"))?
    };
    if offered.is_empty() {
        return Ok(wanted);
    }
    // The definition's value may be the option's text ("Contact the President").
    choose(&wanted, offered, matching, fallback)
        .map(|c| c.value.clone())
        .ok_or_else(|| format!("`{wanted}` is not an option of `{css}` on the page"))
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
}
