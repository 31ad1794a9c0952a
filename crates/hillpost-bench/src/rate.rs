//! A quota of R per second on one office, held by four worker processes sharing PostgreSQL:
//! the rate achieved (from the attempts' send times) against R, and the busiest one-second
//! window.

use hillpost_testkit::timing::busiest_window;

use crate::databases::{Backend, BenchDatabase};
use crate::report::Report;
use crate::{Args, generate, workers};

pub async fn run(args: &Args, report: &mut Report) -> anyhow::Result<()> {
    let db = BenchDatabase::create(&Backend::Postgres, &args.postgres, "rate").await?;
    let letters = (args.rate * args.rate_seconds) as usize + 1;
    let batch = generate::queued_batch(&db.store, "rate-bench", letters, 1, |_| {
        "office.example.org".to_string()
    })
    .await?;
    let quota = format!("office.example.org={}/s", args.rate);
    workers::run(4, &db.url, &["--rate".into(), quota]).await?;
    let times = db.send_times(batch).await?;
    anyhow::ensure!(times.len() == letters, "{} of {letters} sent", times.len());
    let span = times[times.len() - 1] - times[0];
    let achieved = (times.len() - 1) as f64 / span;
    let quota = f64::from(args.rate);
    report.note(format!(
        "rate limit {}/s across 4 worker processes (PostgreSQL): {achieved:.2}/s achieved \
         ({:+.2} % of the quota), busiest 1 s window {} sends, over {span:.1} s",
        args.rate,
        (achieved / quota - 1.0) * 100.0,
        busiest_window(&times, 1.0),
    ));
    db.store.close().await;
    Ok(())
}
