//! Housekeeping's probes for queued letters must read `deliveries_due_by_batch` whatever the
//! statistics say: taken when a batch was enqueued, they say nearly every row is queued,
//! and the planner then prefers reading the table, all of it once nothing is queued any
//! more (a second's housekeeping pass in every worker, at the end of every large batch).

use chrono::{Duration, NaiveDate, Utc};
use hillpost_core::Campaign;
use hillpost_core::batch::{Eligibility, Endpoint, Recipient, plan_batch};
use hillpost_core::import::{CsvRow, SignatureCsv};
use hillpost_core::render::LetterTemplates;
use hillpost_core::signer::Email;
use sqlx::Connection;

use crate::logic::Statements;
use crate::logic::sql::last_parameter;
use crate::{ImportCounts, Store};

const CAMPAIGN: &str = r#"
id = "plans"
title = "Plans"
organization = "Example"
mode = "individual"
default_language = "en"

[letters.en]
subject = "A letter"
body = "Dear {{ recipient.name }},\n\n{{ signer.full_name }}\n"

[[targets]]
target = "custom"
name = "Office"
email = "office@office.example.org"
"#;

/// Enough letters for the planner to weigh a table against an index.
const SIGNERS: usize = 2_000;
const OFFICES: usize = 5;

#[tokio::test]
async fn queued_probes_read_the_due_index_under_stale_statistics() {
    let Some((_schema, mut conn)) = a_large_batch(
        "postgres::queue_plans::queued_probes_read_the_due_index_under_stale_statistics",
    )
    .await
    else {
        return;
    };
    // Everything delivered, behind the statistics' back (no ANALYZE since the enqueue).
    sqlx::query("UPDATE deliveries SET state = 'delivered', finalized_at = now()")
        .execute(&mut conn)
        .await
        .expect("deliver");
    for statement in [
        <sqlx::Postgres as Statements>::COMPLETE_FINISHED_BATCHES,
        <sqlx::Postgres as Statements>::CANCELLED_WITH_QUEUED,
    ] {
        let plan: Vec<String> =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("EXPLAIN {statement}")))
                .fetch_all(&mut conn)
                .await
                .expect("explain");
        let plan = plan.join("\n");
        assert!(
            plan.contains("deliveries_due_by_batch"),
            "the queued probe does not read the due index:\n{plan}"
        );
        assert!(
            !plan.contains("Seq Scan on deliveries"),
            "the queued probe reads the table:\n{plan}"
        );
    }
}

/// Recording a group writes deliveries, attempts and events in CTEs, then reports what each
/// record did. Its plan is generic (a prepared statement reused by every group), in which
/// every unnest reads as ten rows; joined to the deliveries row by row, a CTE's rows were
/// then rescanned for each record by a nested loop, a cost growing with the square of the
/// group's size. No join of the plan may filter pairs of rows that way.
#[tokio::test]
async fn recording_joins_nothing_pair_by_pair() {
    let Some((_schema, mut conn)) =
        a_large_batch("postgres::queue_plans::recording_joins_nothing_pair_by_pair").await
    else {
        return;
    };
    for statement in ["ANALYZE", "SET plan_cache_mode = force_generic_plan"] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
            .execute(&mut conn)
            .await
            .expect(statement);
    }
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "PREPARE apply AS {}",
        super::queue::APPLY
    )))
    .execute(&mut conn)
    .await
    .expect("prepare");
    let nulls = vec!["NULL"; last_parameter(super::queue::APPLY)].join(", ");
    let plan: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "EXPLAIN EXECUTE apply({nulls})"
    )))
    .fetch_all(&mut conn)
    .await
    .expect("explain");
    let plan = plan.join("\n");
    assert!(
        plan.contains("Update on deliveries") && plan.contains("Insert on attempts"),
        "not the record statement's plan:\n{plan}"
    );
    assert!(
        !plan.contains("Join Filter"),
        "a join compares rows pair by pair:\n{plan}"
    );
}

/// A schema of its own holding a large batch, and a connection to it; `None` when the test
/// skips (no PostgreSQL). The schema lives as long as what is returned.
async fn a_large_batch(
    test: &str,
) -> Option<(hillpost_testkit::postgres::TestSchema, sqlx::PgConnection)> {
    let schema = hillpost_testkit::postgres::schema(test).await?;
    let store = Store::connect(&schema.url).await.expect("store");
    enqueue_a_large_batch(&store).await;
    let conn = sqlx::PgConnection::connect(&schema.url)
        .await
        .expect("connect");
    Some((schema, conn))
}

async fn enqueue_a_large_batch(store: &Store) {
    let campaign = Campaign::from_toml(CAMPAIGN).expect("campaign");
    store.add_campaign(&campaign, false).await.expect("add");
    let csv: String = std::iter::once("first_name,last_name,email,city,country\n".to_string())
        .chain((0..SIGNERS).map(|i| format!("Ann,Lee{i},ann{i}@example.org,Lima,PE\n")))
        .collect();
    let rows: Vec<_> = SignatureCsv::new(csv.as_bytes())
        .expect("header")
        .map(|row| match row {
            CsvRow::Accepted { signature, .. } => *signature,
            other => panic!("row refused: {other:?}"),
        })
        .collect();
    let mut session = store.begin_import(&campaign.id).await.expect("import");
    let accepted = session.insert(&rows).await.expect("insert");
    let counts = ImportCounts {
        rows_read: rows.len() as u64,
        accepted,
        ..Default::default()
    };
    session
        .commit("signers.csv", "sha", &counts)
        .await
        .expect("commit");
    let offices: Vec<Recipient> = (0..OFFICES)
        .map(|i| Recipient {
            key: format!("custom:o{i}"),
            name: format!("Office {i}"),
            endpoints: vec![Endpoint::email(
                &Email::parse(&format!("o{i}@o{i}.example.org")).expect("email"),
            )],
            eligibility: Eligibility::Anyone,
            passed_over: Vec::new(),
        })
        .collect();
    let templates = LetterTemplates::compile(&campaign).expect("templates");
    let signatures = store.signatures(&campaign.id).await.expect("signatures");
    let date = NaiveDate::from_ymd_opt(2023, 7, 19).expect("date");
    let plan = plan_batch(&campaign, &templates, &signatures, &offices, date).expect("plan");
    store
        .create_batch(&campaign.id, &plan, Utc::now() - Duration::minutes(1), 3)
        .await
        .expect("create batch");
}
