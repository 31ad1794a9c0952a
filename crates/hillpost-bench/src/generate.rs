//! Generated inputs: a campaign addressed to N custom offices, signer CSVs of any size, and
//! a stored campaign with its signatures ready for a batch.

use std::io::Cursor;

use anyhow::Context;
use chrono::Utc;
use hillpost_core::Campaign;
use hillpost_core::batch::BatchPlan;
use hillpost_directory::ResolveSettings;
use hillpost_store::Store;
use hillpost_store::import::{ImportOptions, import_signatures};

/// A campaign in individual mode to `offices` custom recipients `office{i}@{domain(i)}`.
/// The letter names the signer but not the office, so each signer's letter is stored once
/// however many offices it goes to, as with most real sign-on letters.
pub fn campaign(id: &str, offices: usize, domain: impl Fn(usize) -> String) -> Campaign {
    let mut toml = format!(
        r#"id = "{id}"
title = "Bring the troops home"
organization = "Bench Coalition"
mode = "individual"
default_language = "en"

[letters.en]
subject = "Bring the troops home"
body = """
Dear Member of Congress,

I ask you to withdraw U.S. troops and to suspend military assistance until those responsible
for the killing of protesters are held to account. {{{{ signature_count }}}} people signed.

{{{{ signer.full_name }}}}, {{{{ signer.city }}}}
"""

[letters.es]
subject = "Que vuelvan las tropas"
body = """
Estimado miembro del Congreso:

Le pido que retire las tropas y suspenda la asistencia militar.

{{{{ signer.full_name }}}}, {{{{ signer.city }}}}
"""
"#
    );
    for i in 0..offices {
        toml.push_str(&format!(
            "\n[[targets]]\ntarget = \"custom\"\nname = \"Office {i}\"\nemail = \"office{i}@{}\"\n",
            domain(i)
        ));
    }
    Campaign::from_toml(&toml).expect("the generated campaign is valid")
}

/// `rows` signers in Action Network's columns, from a handful of countries.
pub fn signers_csv(rows: usize) -> Vec<u8> {
    const PLACES: [(&str, &str, &str, &str); 5] = [
        ("Boston", "US", "02108", "en"),
        ("Lima", "PE", "", "es"),
        ("Madrid", "ES", "", "es"),
        ("Toronto", "CA", "", "en"),
        ("Oakland", "US", "94612", "en"),
    ];
    let mut csv =
        String::from("first_name,last_name,email,city,zip_code,country,language,can_be_emailed\n");
    for i in 0..rows {
        let (city, country, zip, language) = PLACES[i % PLACES.len()];
        csv.push_str(&format!(
            "Signer,Number{i},signer{i}@example.org,{city},{zip},{country},{language},yes\n"
        ));
    }
    csv.into_bytes()
}

/// Stores `campaign` and `signers` signatures for it.
pub async fn stored_campaign(
    store: &Store,
    campaign: &Campaign,
    signers: usize,
) -> anyhow::Result<()> {
    store.add_campaign(campaign, false).await?;
    let csv = signers_csv(signers);
    import_signatures(
        store,
        &campaign.id,
        Cursor::new(csv),
        "bench.csv",
        ImportOptions {
            skip_invalid: false,
        },
        |_| {},
    )
    .await
    .context("importing generated signers")?;
    Ok(())
}

/// Renders every letter of a stored campaign: what `batch create` does before enqueueing.
pub async fn plan(store: &Store, campaign: &Campaign) -> anyhow::Result<BatchPlan> {
    let planned = hillpost::planning::plan(
        store,
        &campaign.id,
        &ResolveSettings::default(),
        &[hillpost_core::Channel::Email],
        true,
    )
    .await?;
    Ok(planned.plan)
}

/// Stores a campaign of `signers` × `offices` deliveries and enqueues it; returns the batch.
pub async fn queued_batch(
    store: &Store,
    id: &str,
    signers: usize,
    offices: usize,
    domain: impl Fn(usize) -> String,
) -> anyhow::Result<hillpost_core::BatchId> {
    let campaign = campaign(id, offices, domain);
    stored_campaign(store, &campaign, signers).await?;
    let plan = plan(store, &campaign).await?;
    Ok(store
        .create_batch(&campaign.id, &plan, Utc::now(), 3)
        .await?)
}
