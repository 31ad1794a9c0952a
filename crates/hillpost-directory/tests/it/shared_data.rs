//! The full public data in ../shared: the counts and facts its README states, parsed for real.

use std::sync::OnceLock;
use std::time::Instant;

use hillpost_core::campaign::{Chamber, CommitteeScope, Target};
use hillpost_directory::forms::{FormDefinition, WarningKind};
use hillpost_directory::{Directory, ResolveSettings, Role, SourcePaths, load_directory, resolve};

/// Parsed once for all tests in this file (about half a second in a debug build).
fn shared(test: &str) -> Option<&'static Directory> {
    static DIRECTORY: OnceLock<Option<Directory>> = OnceLock::new();
    let directory = DIRECTORY.get_or_init(|| {
        let shared = hillpost_testkit::shared_dir()?;
        let started = Instant::now();
        let directory = load_directory(&SourcePaths::data_dir(&shared.join("data")))
            .expect("the shared data imports");
        eprintln!("full import of ../shared/data: {:?}", started.elapsed());
        Some(directory)
    });
    if directory.is_none() {
        hillpost_testkit::skip(
            test,
            "../shared/data",
            "Put the shared data next to the repository or set HILLPOST_SHARED_DIR.",
        );
    }
    directory.as_ref()
}

#[test]
fn legislators_and_committees() {
    let Some(d) = shared("shared_data::legislators_and_committees") else {
        return;
    };
    let count = |chamber| {
        d.legislators
            .values()
            .filter(|l| l.chamber() == chamber)
            .count()
    };
    assert_eq!(d.legislators.len(), 537);
    assert_eq!(count(Chamber::Senate), 100);
    assert_eq!(count(Chamber::House), 437);
    let with_form_url = |chamber| {
        d.legislators
            .values()
            .filter(|l| l.chamber() == chamber && l.term.contact_form.is_some())
            .count()
    };
    assert_eq!(with_form_url(Chamber::Senate), 87);
    assert_eq!(with_form_url(Chamber::House), 2);
    assert_eq!(
        d.legislator("R000584").unwrap().office_code.as_str(),
        "SID02"
    );

    assert_eq!(d.committees.len(), 49);
    let subcommittees: usize = d.committees.values().map(|c| c.subcommittees.len()).sum();
    assert_eq!(subcommittees, 181);
    assert_eq!(d.rosters.len(), 230);
    assert_eq!(d.chair("SSFR").unwrap().bioguide, "R000584");
    assert_eq!(d.ranking_member("SSFR").unwrap().bioguide, "S001181");
    assert_eq!(d.chair("HSFA").unwrap().bioguide, "M001199");
    assert_eq!(d.ranking_member("HSFA").unwrap().bioguide, "M001137");
    // Senate Ethics: the vice chairman is the minority's leader and counts as ranking member.
    let ethics: Vec<(Role, &str)> = d
        .leadership("SLET")
        .into_iter()
        .map(|(role, l)| (role, l.bioguide.as_str()))
        .collect();
    assert_eq!(
        ethics,
        [(Role::Chair, "L000575"), (Role::ViceChair, "C001088")]
    );

    let executive = d.executive.as_ref().unwrap();
    assert_eq!(executive.president.name, "Donald J. Trump");
    assert_eq!(executive.president.start, "2025-01-20");
}

#[test]
fn appropriations_and_foreign_affairs_resolve_to_chair_and_ranking_member() {
    let Some(d) = shared("shared_data::appropriations") else {
        return;
    };
    let settings = ResolveSettings::default();
    let lead = |id: &str| -> Vec<String> {
        let targets =
            [CommitteeScope::Chair, CommitteeScope::Ranking].map(|scope| Target::Committee {
                id: id.into(),
                scope,
            });
        resolve(d, &targets, &settings)
            .unwrap()
            .into_iter()
            .map(|r| r.recipient.key)
            .collect()
    };
    assert_eq!(lead("SSFR"), ["member:R000584", "member:S001181"]);
    assert_eq!(lead("HSFA"), ["member:M001199", "member:M001137"]);
    assert_eq!(lead("HSAP"), ["member:C001053", "member:D000216"]);
    assert_eq!(lead("SSAP"), ["member:C001035", "member:M001111"]);

    let hsfa = resolve(
        d,
        &[Target::Committee {
            id: "HSFA".into(),
            scope: CommitteeScope::Members,
        }],
        &settings,
    )
    .unwrap();
    assert_eq!(hsfa.len(), d.roster("HSFA").unwrap().members.len());
    assert!(
        hsfa.iter()
            .all(|r| r.recipient.endpoints[0].rate_key == "cwc:house")
    );

    let senate = resolve(
        d,
        &[Target::Chamber {
            chamber: Chamber::Senate,
        }],
        &settings,
    )
    .unwrap();
    assert_eq!(senate.len(), 100);
    let unreachable: Vec<&str> = senate
        .iter()
        .filter(|r| !r.is_reachable())
        .map(|r| r.recipient.key.as_str())
        .collect();
    // No usable form definition (a bare contact_form URL is not an endpoint: nothing can fill
    // it unattended) and Senate CWC off: these 31 need an office email or CWC. 69 of the
    // 70 Senate definitions parse; K000394's YAML is broken.
    assert_eq!(unreachable.len(), 31, "{unreachable:?}");

    let [president] = resolve(d, &[Target::President], &settings)
        .unwrap()
        .try_into()
        .unwrap();
    assert_eq!(
        president.recipient.endpoints[0].rate_key,
        "www.whitehouse.gov"
    );
}

#[test]
fn form_definitions() {
    let Some(d) = shared("shared_data::form_definitions") else {
        return;
    };
    let members = d.forms.values().filter(|f| f.bioguide.is_some()).count();
    assert_eq!(members + d.rejected_forms.len(), 494);
    assert_eq!(members, 493);
    let [rejected] = d.rejected_forms.as_slice() else {
        panic!("{:?}", d.rejected_forms)
    };
    assert_eq!(rejected.file, "members/K000394.yaml");
    assert_eq!(rejected.line, 156);
    assert!(
        rejected.to_string().contains("block collection"),
        "{rejected}"
    );
    assert!(d.form("whitehouse-president-2024").is_some());

    let senators: Vec<_> = d
        .forms
        .values()
        .filter(|f| {
            f.bioguide
                .as_deref()
                .and_then(|b| d.legislator(b))
                .is_some_and(|l| l.chamber() == Chamber::Senate)
        })
        .collect();
    let stubs = d.forms.values().filter(|f| f.is_cwc_stub()).count();
    let not_current = d
        .forms
        .values()
        .filter(|f| {
            f.bioguide
                .as_deref()
                .is_some_and(|b| d.legislator(b).is_none())
        })
        .count();
    let count = |p: fn(&FormDefinition) -> bool| senators.iter().filter(|f| p(f)).count();
    let recaptcha = count(FormDefinition::needs_recaptcha);
    let javascript = count(FormDefinition::has_javascript);
    let empty_success = count(|f| {
        f.warnings
            .iter()
            .any(|w| w.kind == WarningKind::EmptySuccessText)
    });
    eprintln!(
        "forms: {} parsed, {} senators' ({recaptcha} recaptcha, {javascript} javascript, {empty_success} empty success), {stubs} CWC stubs, {not_current} for former members",
        d.forms.len(),
        senators.len()
    );
    // README: 70 Senate files, one of them invalid YAML (K000394, a senator's).
    assert_eq!(senators.len(), 69);
    assert_eq!(recaptcha, 7);
    assert_eq!(javascript, 55);
    assert_eq!(empty_success, 11);
    assert_eq!(stubs, 249);
}

#[test]
fn zip_districts() {
    let Some(d) = shared("shared_data::zip_districts") else {
        return;
    };
    assert_eq!(d.zip_districts.len(), 33_774);
    assert_eq!(d.zip_districts.ambiguous(), 7_299);
    let at_large: Vec<String> = d
        .zip_districts
        .get("82001")
        .iter()
        .map(|d| d.to_string())
        .collect();
    assert_eq!(at_large, ["WY-AL"]);
}

/// Which executor runs each definition (issue 4's figure): every definition without a
/// recaptcha (or image CAPTCHA, or CWC stub) must run over HTTP or in the browser.
#[test]
fn execution_paths_of_every_definition() {
    use hillpost_directory::forms::ExecutionPath;
    use std::collections::BTreeMap;

    let Some(d) = shared("shared_data::execution_paths_of_every_definition") else {
        return;
    };
    let is_senate = |f: &FormDefinition| f.visit_url().is_some_and(|u| u.contains("senate.gov"));
    let mut totals: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    let mut senate_reasons: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for form in d.forms.values() {
        let path = form.execution_path();
        let chamber = if is_senate(form) { "senate" } else { "other" };
        *totals.entry((chamber, path.name())).or_default() += 1;
        if chamber == "senate" {
            let why = match &path {
                ExecutionPath::Http => "runs over HTTP".to_string(),
                ExecutionPath::Browser { why } | ExecutionPath::Unsupported { why } => {
                    let why = why.split_once(": ").map_or(why.as_str(), |(_, w)| w);
                    format!(
                        "{}: {}",
                        path.name(),
                        why.chars().take(70).collect::<String>()
                    )
                }
            };
            senate_reasons.entry(why).or_default().push(&form.id);
        }
        if !form.needs_recaptcha() && !form.is_cwc_stub() {
            assert!(
                !matches!(path, ExecutionPath::Unsupported { .. })
                    || form.id.starts_with('H')
                    || !is_senate(form),
                "{} has no recaptcha but is unsupported: {path:?}",
                form.id
            );
        }
    }
    eprintln!(
        "execution paths of {} parsed definitions ({} rejected):",
        d.forms.len(),
        d.rejected_forms.len()
    );
    for ((chamber, path), count) in &totals {
        eprintln!("  {chamber:6} {path:11} {count}");
    }
    for (why, ids) in &senate_reasons {
        eprintln!("  senate: {why} — {} ({})", ids.len(), ids.join(" "));
    }
    let senate = |path: &str| totals.get(&("senate", path)).copied().unwrap_or(0);
    assert_eq!(
        senate("http") + senate("browser") + senate("unsupported"),
        69
    );
    assert_eq!(senate("unsupported"), 7, "the seven recaptcha forms");
    assert!(senate("http") >= 55, "most Senate forms run over HTTP");
    let r000584 = &d.forms["R000584"];
    assert_eq!(r000584.execution_path(), ExecutionPath::Http);
    assert_eq!(d.forms["S001181"].execution_path(), ExecutionPath::Http);
}
