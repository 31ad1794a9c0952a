//! Signatures imported per second: a generated Action Network export, parsed, validated,
//! de-duplicated and stored in one transaction.

use std::io::Cursor;
use std::time::Instant;

use hillpost_store::import::{ImportOptions, import_signatures};

use crate::databases::{Backend, BenchDatabase};
use crate::report::Report;
use crate::{Args, generate};

pub async fn run(args: &Args, report: &mut Report) -> anyhow::Result<()> {
    let csv = generate::signers_csv(args.import_rows);
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let db = BenchDatabase::create(&backend, &args.postgres, "import").await?;
        let campaign = generate::campaign("import-bench", 1, |_| "example.org".to_string());
        db.store.add_campaign(&campaign, false).await?;
        let started = Instant::now();
        let imported = import_signatures(
            &db.store,
            &campaign.id,
            Cursor::new(&csv),
            "bench.csv",
            ImportOptions {
                skip_invalid: false,
            },
            |_| {},
        )
        .await?;
        let elapsed = started.elapsed();
        anyhow::ensure!(
            imported.counts.accepted as usize == args.import_rows,
            "imported {} of {} rows",
            imported.counts.accepted,
            args.import_rows
        );
        report.rate(
            &format!(
                "signatures imported ({}, {} rows)",
                backend.name(),
                args.import_rows
            ),
            args.import_rows,
            elapsed,
        );
        db.store.close().await;
    }
    Ok(())
}
