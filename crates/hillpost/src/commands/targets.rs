//! `hillpost targets preview CAMPAIGN`: before any batch, every office the campaign reaches,
//! why, whom it accepts letters from, every endpoint in order and the one a batch would use.
//! For an office reached through its web form it also says how the campaign's letters fit
//! the form (see [`crate::form_fit`]): whether the form can be used, whether letters will be
//! cut, and which required fields some signers cannot fill, with where those letters go.
//! The output depends only on the campaign, its signers, the stored directory and the
//! configuration, so it reads the same every time (a snapshot test holds it to that).

use std::process::ExitCode;

use super::{campaign_id, open_store};
use crate::cli::TargetsCommand;
use crate::config::Settings;
use crate::{directory, form_fit, planning, targets};

pub async fn run(settings: &Settings, command: TargetsCommand) -> anyhow::Result<ExitCode> {
    let TargetsCommand::Preview { campaign } = command;
    let id = campaign_id(&campaign)?;
    let store = open_store(settings).await?;
    let stored = store
        .campaign(&id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("there is no campaign `{id}`"))?;
    let campaign = stored.campaign;
    let directory = directory::load(&store).await?;
    let resolved = targets::resolve_all(
        &campaign,
        directory.as_ref(),
        &settings.directory.resolve_settings(),
    )?;
    println!(
        "`{id}` ({} mode): {} target(s) reach {} recipient(s)",
        campaign.mode.as_str(),
        campaign.targets.len(),
        resolved.len()
    );
    let sendable = targets::sendable_channels(settings);
    // The letters a batch would send now, for how they fit each office's form.
    let planned = crate::app::App::new(&store, settings)
        .preview_batch(&id, false)
        .await;
    // The preview measures every letter against each form: it holds them, unlike a dry run.
    let letters: Option<Vec<_>> = planned
        .as_ref()
        .ok()
        .map(|p| planning::outgoing_letters(p).collect());
    let mut unreachable = 0;
    for office in &resolved {
        println!();
        print!("{office}");
        let fit = form_fit::office_fit(
            settings,
            directory.as_ref(),
            office,
            &sendable,
            letters.as_deref(),
        );
        for line in fit {
            println!("  {line}");
        }
        match targets::chosen(office, &sendable) {
            Some(e) => println!("  sends via: {} {}", e.channel.as_str(), e.address),
            None => {
                unreachable += 1;
                println!("  sends via: nothing yet (no endpoint on a channel hillpost sends)");
            }
        }
    }
    println!();
    if let (Err(error), 0) = (&planned, unreachable) {
        println!("letters not planned yet: {error:#}");
    }
    match unreachable {
        0 => println!("every recipient can be reached"),
        n => println!(
            "{n} recipient(s) cannot be reached yet: `batch create` refuses until each has an \
             email in [directory.office_email] or leaves the targets"
        ),
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
