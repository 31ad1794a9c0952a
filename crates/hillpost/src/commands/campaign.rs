//! `hillpost campaign add | show | list`.

use std::process::ExitCode;

use anyhow::Context;
use hillpost_core::Campaign;

use super::{campaign_id, open_store};
use crate::cli::CampaignCommand;
use crate::config::Settings;

/// Campaign files are small; refuse to read a huge file into memory before checking it.
const MAX_CAMPAIGN_FILE: u64 = 2_000_000;

pub async fn run(settings: &Settings, command: CampaignCommand) -> anyhow::Result<ExitCode> {
    match command {
        CampaignCommand::Add { file, replace } => {
            let text = crate::text_file::read_at_most(
                &file,
                MAX_CAMPAIGN_FILE,
                "a campaign file is at most that",
            )?;
            let campaign = Campaign::from_toml(&text)
                .with_context(|| format!("{} was not added", file.display()))?;
            let store = open_store(settings).await?;
            store.add_campaign(&campaign, replace).await?;
            println!(
                "campaign `{}` {}: {} ({} mode, letters in {}, {} target(s))",
                campaign.id,
                if replace { "stored" } else { "added" },
                campaign.title,
                campaign.mode.as_str(),
                campaign
                    .letters
                    .keys()
                    .map(|l| l.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                campaign.targets.len()
            );
        }
        CampaignCommand::Show { id } => {
            let store = open_store(settings).await?;
            let id = campaign_id(&id)?;
            let stored = store
                .campaign(&id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("there is no campaign `{id}`"))?;
            let c = &stored.campaign;
            println!("{} — {}", c.id, c.title);
            println!(
                "organization: {} (letters sent as \"{}\")",
                c.organization, c.sender_name
            );
            println!("mode:         {}", c.mode.as_str());
            println!("signatures:   {}", stored.signature_count);
            println!("batches:      {}", stored.batch_count);
            println!("letters:");
            for (language, letter) in &c.letters {
                let default = if *language == c.default_language {
                    " (default)"
                } else {
                    ""
                };
                println!("  {language}{default}: {}", letter.subject);
            }
            println!("targets:");
            for target in &c.targets {
                println!("  {target}");
            }
        }
        CampaignCommand::List => {
            let store = open_store(settings).await?;
            for stored in store.campaigns().await? {
                let c = &stored.campaign;
                println!(
                    "{:<32} {:<10} {:>7} signatures  {}",
                    c.id.as_str(),
                    c.mode.as_str(),
                    stored.signature_count,
                    c.title
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
