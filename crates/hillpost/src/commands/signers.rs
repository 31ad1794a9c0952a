//! `hillpost signers erase CAMPAIGN EMAIL`.

use std::process::ExitCode;

use super::{campaign_id, cli_actor, open_store};
use crate::app::App;
use crate::cli::SignersCommand;
use crate::config::Settings;

pub async fn run(settings: &Settings, command: SignersCommand) -> anyhow::Result<ExitCode> {
    let SignersCommand::Erase { campaign, email } = command;
    let campaign = campaign_id(&campaign)?;
    let store = open_store(settings).await?;
    let report = App::new(&store, settings)
        .erase_signer(&campaign, &email, &cli_actor())
        .await?;
    println!(
        "signature {} erased: {} letter(s) not yet sent cancelled; blanked: {} attempt answer(s), \
         {} route reason(s), {} evidence file(s), {} bounce(s), {} letter text(s), {} receipt(s); \
         {} petition document(s) made again without them",
        report.signature_id,
        report.cancelled,
        report.attempts,
        report.event_reasons,
        report.evidence,
        report.notices,
        report.letters,
        report.receipts,
        report.documents
    );
    println!("the audit trail keeps the event `signer.erased` (ids and counts only)");
    Ok(ExitCode::SUCCESS)
}
