//! SQLite's statements where the dialects differ (what they do is written once in
//! `crate::logic`). Every transaction that writes starts with `BEGIN IMMEDIATE`, so it is
//! the only writer: reads "for update" are plain reads and no turn needs taking. Times are
//! epoch milliseconds (intervals are numbers), the default collation sorts by bytes, and
//! lists are JSON arrays.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::StoreResult;
use crate::logic::{
    Statements, batches, checkpoints, directory, erasure, notices, operator, queue, receipts,
};

impl Statements for sqlx::Sqlite {
    const MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");
    const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";
    /// A deferred transaction under WAL.
    const BEGIN_SNAPSHOT: &'static str = "BEGIN";

    async fn pool(url: &str) -> StoreResult<sqlx::SqlitePool> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL + NORMAL survives process crashes (what a SIGKILLed worker is); only an OS
            // crash can lose the last transactions, and those are re-sent as `unknown`.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .after_release(|connection, _| Box::pin(super::fit_for_reuse(connection)))
            .connect_with(options);
        Ok(pool.await?)
    }

    const BATCH_TO_CONTROL: &'static str = batches::batch_to_control!("");

    const INSERT_CHECKPOINT: &'static str = checkpoints::insert_checkpoint!("$6");
    const CHECKPOINT_TURN: Option<&'static str> = None;
    const SIGNING_KEY_TURN: Option<&'static str> = None;

    const DIRECTORY_FILES: &'static str = directory::directory_files!("");
    const ZIP_ROWS: &'static str = directory::zip_rows!("");
    const DIRECTORY_TURN: Option<&'static str> = None;

    erasure::erasure_reads!("");
    const CAMPAIGN_SIGNERS_TURN: Option<&'static str> = None;

    operator::operator_reads!("", "");

    const DELIVERED_FOR_BOUNCE: &'static str = notices::delivered_for_bounce!("");

    const EXPIRED_WHILE_SENDING: &'static str = queue::expired_while_sending!("");
    const REQUEUE_EXPIRED_UNSENT: &'static str = queue::requeue_expired_unsent!("");
    // No order: SQLite's index of queued rows is by due time across batches, so an order
    // would walk other batches' rows; `deliveries_by_batch (batch_id, state)` answers.
    const CANCELLED_WITH_QUEUED: &'static str = queue::cancelled_with_queued!("");
    const COMPLETE_FINISHED_BATCHES: &'static str = queue::finished_batches_completed!("");
    const TAKE_RECEIPT_PASS: Option<&'static str> = None;

    const SIGNER_STILL_HERE: &'static str = receipts::signer_still_here!("");
    const SIGNER_LETTERS: &'static str = receipts::letters_of_signer!(
        "(SELECT group_concat(e.from_channel || ': ' || e.reason, char(10))
         FROM (SELECT from_channel, reason FROM delivery_events
         WHERE delivery_id = d.id AND kind = 'route' AND to_channel IS NOT NULL
         ORDER BY id) e)"
    );
}
