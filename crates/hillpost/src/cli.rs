//! The command line: `hillpost <command>`.

use std::path::PathBuf;

pub use crate::audit_export::ExportFormat;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "hillpost",
    version,
    about = "Delivers letters and petitions to Congress, the President and committee offices"
)]
pub struct Cli {
    /// Configuration file (default: ./hillpost.toml when it exists).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Database URL, overriding the configuration (sqlite:PATH or postgres://…).
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "HILLPOST_DATABASE_URL",
        hide_env_values = true
    )]
    pub database: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the whole pipeline on a bundled example into an outbox folder: no server needed.
    Demo {
        /// Where the demo's database and outbox go.
        #[arg(long, default_value = "hillpost-demo")]
        dir: PathBuf,
    },
    /// Add, show and list campaigns.
    #[command(subcommand)]
    Campaign(CampaignCommand),
    /// Import signatures.
    #[command(subcommand)]
    Signatures(SignaturesCommand),
    /// A signer's rights over their data: erase it.
    #[command(subcommand)]
    Signers(SignersCommand),
    /// Create, inspect and control delivery batches.
    #[command(subcommand)]
    Batch(BatchCommand),
    /// One delivery: its record, and what a person may decide about it.
    #[command(subcommand)]
    Delivery(DeliveryCommand),
    /// Import and inspect the recipient directory (legislators, committees, forms, ZIPs).
    #[command(subcommand)]
    Directory(DirectoryCommand),
    /// See whom a campaign reaches, before any batch.
    #[command(subcommand)]
    Targets(TargetsCommand),
    /// Check the stored contact-form definitions.
    #[command(subcommand)]
    Forms(FormsCommand),
    /// Deliver queued letters until stopped (Ctrl-C or SIGTERM).
    Worker {
        /// Stop once no batch is scheduled or running.
        #[arg(long)]
        until_idle: bool,
    },
    /// Export what was sent to whom, and check the tamper-evident audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Create or update the database schema, then exit.
    Migrate,
    /// Serve the HTTP API (and /metrics, /health) until stopped.
    Serve {
        /// Also deliver queued letters in this process.
        #[arg(long)]
        with_worker: bool,
    },
    /// Create, list and revoke API tokens.
    #[command(subcommand)]
    Tokens(TokensCommand),
    /// Record what came back to the bounce address: bounces, delay notices, auto-replies.
    #[command(subcommand)]
    Bounces(BouncesCommand),
    /// Email set-up: the DNS records DKIM, SPF and DMARC need.
    #[command(subcommand)]
    Email(EmailCommand),
    /// The Ed25519 key audit checkpoints and receipts are signed with.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Check a signer's signed receipt (receipt.json).
    #[command(subcommand)]
    Receipts(ReceiptsCommand),
}

#[derive(Debug, Subcommand)]
pub enum ReceiptsCommand {
    /// Check receipt.json's signature (naming any field that was changed) and, given
    /// checkpoints, that the events its lines name come before them. Works offline with
    /// --key; with --database, also checks the events are in that service's chain. Exits 2
    /// when the receipt does not verify.
    Verify {
        file: PathBuf,
        /// The public key (64 hex digits), or a file holding it or the key list
        /// `/.well-known/hillpost-signing-key` serves. Without it: the keys of --database.
        #[arg(long, value_name = "KEY|FILE")]
        key: Option<String>,
        /// A checkpoint file (`hillpost audit checkpoint`); any number.
        #[arg(long, value_name = "FILE")]
        checkpoint: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Write a new signing key to FILE (PKCS#8 PEM, readable by its owner only) and print
    /// its public key. Point `signing.key_file` at it; an existing file is never replaced.
    Generate {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Print the configured key's public key and id, and every key the service has signed
    /// with, with the time each was valid.
    Show,
}

#[derive(Debug, Subcommand)]
pub enum BouncesCommand {
    /// Read one message on standard input (an MTA's pipe transport), or every message of a
    /// Maildir, and record each against the delivery it names; anything else is kept aside
    /// with the reason. Exits 0 unless recording failed.
    Ingest {
        /// Read every file in DIR/new, moving each to DIR/cur once recorded.
        #[arg(long, value_name = "DIR")]
        maildir: Option<PathBuf>,
        /// The address the MTA delivered the message to (Postfix: ${recipient}).
        #[arg(long, value_name = "ADDRESS", conflicts_with = "maildir")]
        recipient: Option<String>,
    },
    /// The newest notices recorded, with what each did or why it was set aside.
    List {
        /// Only the messages set aside.
        #[arg(long)]
        set_aside: bool,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum EmailCommand {
    /// Print the TXT records to publish for DOMAIN (DKIM key, SPF, DMARC) and, where DNS
    /// answers, whether they are there.
    CheckDns {
        /// The domain letters come from (the From address's domain).
        domain: String,
        /// Only print the records; do not look them up.
        #[arg(long)]
        offline: bool,
        /// Ask this DNS server (ip:port) instead of the system's resolvers.
        #[arg(long, value_name = "IP:PORT")]
        dns_server: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Create a token and print its secret (shown this once; only its hash is stored).
    Create {
        /// `organizer` (everything on one organization's campaigns) or `auditor` (read-only).
        #[arg(long)]
        role: String,
        /// The organization an organizer token acts for (a campaign's `organization`).
        #[arg(long)]
        organization: Option<String>,
        /// What the token is for, to recognise it in `tokens list`.
        #[arg(long, default_value = "")]
        label: String,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token: every later request with it is refused.
    Revoke { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Write what a batch sent to whom: one line per attempt (recipient, endpoint, signer id
    /// or signature count, times, outcome, SHA-256 of the bytes sent, the remote answer);
    /// a delivery never attempted (skipped, cancelled) gets one line without attempt fields.
    Export {
        #[arg(long, value_name = "ID")]
        batch: i64,
        #[arg(long, value_enum, default_value = "jsonl")]
        format: ExportFormat,
        /// Write here instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Recompute the audit chain from its first event, hold it to every checkpoint, and
    /// check every batch, attempt and delivery event has its event. Exits with 2, naming the
    /// first broken link, when any event was changed or removed.
    Verify {
        /// A checkpoint file kept outside the database (`audit checkpoint --out`); any
        /// number. The chain must reach each one's seq with its hash.
        #[arg(long, value_name = "FILE")]
        checkpoint: Vec<PathBuf>,
        /// The public key (64 hex digits) the checkpoints were signed with, or a file
        /// holding it or the key list `/.well-known/hillpost-signing-key` serves. Without
        /// it: the keys the database lists.
        #[arg(long, value_name = "KEY|FILE")]
        key: Option<String>,
    },
    /// Write the newest signed checkpoint (seq, head hash, time, count, signature), to keep
    /// somewhere the database's writers cannot reach.
    Checkpoint {
        /// Write here instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum CampaignCommand {
    /// Check a campaign file and store it.
    Add {
        file: PathBuf,
        /// Update a campaign with the same id (batches already created keep their letters).
        #[arg(long)]
        replace: bool,
    },
    /// Show a campaign: letters, targets, signatures, batches.
    Show { id: String },
    /// List campaigns.
    List,
}

#[derive(Debug, Subcommand)]
pub enum SignaturesCommand {
    /// Import a CSV file (Action Network export or our own columns). All or nothing unless
    /// --skip-invalid.
    Import {
        campaign: String,
        file: PathBuf,
        /// Store the valid rows even when some are rejected.
        #[arg(long)]
        skip_invalid: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum SignersCommand {
    /// Erase a signer's personal data from every table (docs/erasure.md). Letters already
    /// sent stay recorded without the person; letters not sent yet are cancelled; the audit
    /// chain still verifies. Cannot be undone.
    Erase {
        campaign: String,
        /// The signer's email address, as they gave it (case does not matter).
        email: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum BatchCommand {
    /// Render every letter and enqueue every delivery in one transaction.
    Create {
        campaign: String,
        /// When to start: RFC 3339 (2026-12-01T09:00:00-05:00), a local time with --timezone
        /// (2026-12-01 09:00), or a delay (+10m). Default: now.
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// Time zone for --at without an offset (e.g. America/New_York). Default: UTC.
        #[arg(long, value_name = "ZONE")]
        timezone: Option<String>,
        /// Render every letter as an .eml file into --outbox and send nothing.
        #[arg(long)]
        dry_run: bool,
        /// Where --dry-run writes (default: the configured outbox).
        #[arg(long, value_name = "DIR")]
        outbox: Option<PathBuf>,
        /// Send again letters that earlier batches of the campaign delivered (or may have:
        /// unconfirmed) to the same office. Without it they are left out and listed. The
        /// audit records that this was asked for.
        #[arg(long)]
        include_delivered: bool,
    },
    /// Write the petition document (PDF) a batch would attach, to read before sending.
    /// Nothing is stored or sent.
    Preview {
        campaign: String,
        /// Where to write it (default: CAMPAIGN-petition.pdf in the current directory).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Deliveries per state and per recipient.
    Status { id: i64 },
    /// List batches (of one campaign).
    List { campaign: Option<String> },
    /// Stop sending (in-flight attempts finish).
    Pause { id: i64 },
    /// Continue a paused batch.
    Resume { id: i64 },
    /// Cancel what has not been sent yet.
    Cancel { id: i64 },
    /// Plan a batch's failed (or unconfirmed) letters again on the current directory (a fixed
    /// form definition, a new office email) and queue them: the same deliveries, new
    /// attempts. Delivered letters are never sent again.
    Retry {
        id: i64,
        /// Letters that ended `failed` or `dead`: nothing of them arrived.
        #[arg(
            long,
            conflicts_with = "unconfirmed",
            required_unless_present = "unconfirmed"
        )]
        failed: bool,
        /// Letters that ended `unconfirmed`: they may have arrived, and will be sent again.
        #[arg(long)]
        unconfirmed: bool,
        /// Why, for the record.
        #[arg(long, default_value = "batch retry")]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum DeliveryCommand {
    /// State, every attempt (what was sent, what came back) and every route or operator
    /// event, oldest first.
    Show { id: i64 },
    /// Record that an `unconfirmed` letter arrived (the office confirmed it, or its answer
    /// page shows it did): it becomes `delivered`, on your word.
    Confirm {
        id: i64,
        /// How you know, for the record.
        #[arg(long)]
        reason: String,
    },
    /// Send an `unconfirmed` letter again on the same endpoint. The office may then have
    /// it twice: do this when you know the first did not arrive.
    Resend {
        id: i64,
        /// Why, for the record.
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum DirectoryCommand {
    /// Read the public data, print what changes against the stored directory, and replace
    /// it in one transaction. A malformed file changes nothing.
    Import {
        /// congress-legislators folder (legislators-current.yaml, committees-current.yaml,
        /// committee-membership-current.yaml, executive.yaml).
        #[arg(long, value_name = "DIR")]
        legislators: PathBuf,
        /// contact-congress folder (members/*.yaml, support/).
        #[arg(long, value_name = "DIR")]
        forms: Option<PathBuf>,
        /// contact-officials folder (the White House form).
        #[arg(long, value_name = "DIR")]
        officials: Option<PathBuf>,
        /// The ZIP → district table (zccd.csv). Without it the stored table is kept.
        #[arg(long, value_name = "FILE")]
        zip_districts: Option<PathBuf>,
    },
    /// Show a committee or a member as the directory has them.
    #[command(subcommand)]
    Show(ShowCommand),
}

#[derive(Debug, Subcommand)]
pub enum ShowCommand {
    /// A committee or subcommittee: its members with their roles and endpoints.
    Committee { id: String },
    /// A member by bioguide id: seat, contact details, committees, endpoints.
    Member { bioguide: String },
}

#[derive(Debug, Subcommand)]
pub enum TargetsCommand {
    /// Every recipient of a campaign, the endpoint chosen for it, and why.
    Preview { campaign: String },
}

/// `hillpost forms …`
#[derive(Debug, Subcommand)]
pub enum FormsCommand {
    /// For every stored form definition: which path runs it (HTTP, browser, unsupported)
    /// and why, then the totals.
    Check {
        /// Also fetch each HTTP-path form's page (through [web_forms] egress) and report
        /// whether every selector still matches. Off by default: it contacts the offices.
        #[arg(long)]
        live: bool,
        /// Only these definitions (bioguide ids or file names).
        ids: Vec<String>,
    },
}
