//! Importing signers: a CSV file (the CLI, the API's upload, the demo) or one sign-up the
//! API turned into a one-row CSV, all through the store's one importer.

use std::io::Read;

use hillpost_core::CampaignId;
use hillpost_core::Mode;
use hillpost_core::signer::Email;
use hillpost_store::import::{ImportError, ImportOptions, ImportReport, import_signatures_by};
use hillpost_store::{Erasure, ErasureReport, RemadeDocument};

use crate::petition::remade_documents;

use super::{App, AppError, BadInput};

impl App<'_> {
    /// Checks, normalises and de-duplicates every row of `input` and stores the valid ones:
    /// all or nothing unless `skip_invalid`. A report without an `import_id` stored nothing.
    /// `progress` is told the bytes read so far.
    #[tracing::instrument(name = "signatures.import", skip_all, fields(campaign = %campaign, actor = %actor))]
    pub async fn import_signatures<R: Read>(
        &self,
        campaign: &CampaignId,
        input: R,
        source: &str,
        skip_invalid: bool,
        actor: &str,
        progress: impl FnMut(u64),
    ) -> Result<ImportReport, AppError> {
        import_signatures_by(
            self.store,
            campaign,
            input,
            source,
            ImportOptions { skip_invalid },
            actor,
            progress,
        )
        .await
        .map_err(|e| match e {
            ImportError::Header(header) => {
                AppError::invalid(BadInput::CsvHeader, header.to_string())
            }
            ImportError::Store(store) => store.into(),
        })
    }

    /// Erases the signer of `email` in `campaign` (docs/erasure.md): their personal data
    /// leaves every table, petition documents that listed them are made again without them,
    /// what was not sent to or for them is cancelled, and the audit chain, which holds only
    /// salted commitments to it, stays whole. Not undone.
    #[tracing::instrument(name = "signers.erase", skip_all, fields(campaign = %campaign, actor = %actor))]
    pub async fn erase_signer(
        &self,
        campaign: &CampaignId,
        email: &str,
        actor: &str,
    ) -> Result<ErasureReport, AppError> {
        let email = email.trim();
        let documents = self.documents_without(campaign, email).await?;
        let report = self
            .store
            .erase_signer(&Erasure {
                campaign: campaign.as_str(),
                email,
                actor,
                documents: &documents,
            })
            .await?;
        // The signature by id only: the address must not reach the log.
        tracing::info!(
            signature = report.signature_id.get(),
            actor,
            "signer erased"
        );
        Ok(report)
    }

    /// Every petition document that listed the signer of `email`, made again without them
    /// (from the rest of the list that batch carried, on the day it was made). None when
    /// there is no such signer: the store then says so.
    async fn documents_without(
        &self,
        campaign: &CampaignId,
        email: &str,
    ) -> Result<Vec<RemadeDocument>, AppError> {
        let Ok(key) = Email::parse(email).map(|e| e.dedup_key()) else {
            return Ok(Vec::new());
        };
        // Every signature is read only when some petition could have listed the signer: an
        // individual campaign's erasure needs none of them.
        let batches = self.store.batches(Some(campaign)).await?;
        if !batches.iter().any(|b| b.mode == Mode::Petition) {
            return Ok(Vec::new());
        }
        let signatures = self.store.signatures(campaign).await?;
        let Some(erased) = signatures
            .iter()
            .find(|(_, s)| s.email.dedup_key() == key)
            .map(|(id, _)| *id)
        else {
            return Ok(Vec::new());
        };
        let mut documents = Vec::new();
        for petition in self.store.petitions_carrying(campaign, erased).await? {
            let definition = self.store.batch_campaign(petition.batch_id).await?;
            let kept = signatures
                .iter()
                .filter(|(id, _)| *id <= petition.signers_through.into() && *id != erased)
                .map(|(_, s)| s);
            let offices: Vec<&str> = petition.offices.iter().map(String::as_str).collect();
            documents.extend(
                remade_documents(
                    &definition,
                    petition.batch_id,
                    kept,
                    &offices,
                    petition.created_at.date_naive(),
                )
                .map_err(|e| AppError::Internal(format!("{e:#}")))?,
            );
        }
        Ok(documents)
    }
}
