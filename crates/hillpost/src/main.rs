//! `hillpost`: wires configuration, the store, the channels and the worker to the command
//! line. Errors are reported with `anyhow` here, at the edge, and nowhere else.

use std::process::ExitCode;

use clap::Parser;
use hillpost::cli::{Cli, Command};
use hillpost::{commands, config, logging};

fn main() -> ExitCode {
    stop_quietly_on_closed_pipe();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let code = match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    };
    // A send abandoned after the worker's shutdown grace may sit in a blocking call (a name
    // lookup): the process exits without waiting for it.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    code
}

/// `hillpost batch status 1 | head`: once the reader has gone, writing to stdout fails
/// with EPIPE and `println!` panics with a backtrace. Stop quietly instead, with the status
/// a process stopped by SIGPIPE reports (128 + 13), as other command-line tools do.
fn stop_quietly_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut settings = config::load(config::Sources {
        file: cli.config.as_deref(),
        environment: None,
    })?;
    // `receipts verify` reads a database only when told which (a signer has none).
    let database_given = cli.database.is_some();
    if let Some(url) = cli.database {
        settings.database.url = url;
    }
    logging::init(&settings);
    match cli.command {
        Command::Demo { dir } => commands::demo::run(settings, &dir).await,
        Command::Campaign(command) => commands::campaign::run(&settings, command).await,
        Command::Signatures(command) => commands::signatures::run(&settings, command).await,
        Command::Signers(command) => commands::signers::run(&settings, command).await,
        Command::Batch(command) => commands::batch::run(&settings, command).await,
        Command::Delivery(command) => commands::delivery::run(&settings, command).await,
        Command::Directory(command) => commands::directory::run(&settings, command).await,
        Command::Targets(command) => commands::targets::run(&settings, command).await,
        Command::Forms(command) => commands::forms::run(&settings, command).await,
        Command::Worker { until_idle } => commands::worker::run(&settings, until_idle).await,
        Command::Audit(command) => commands::audit::run(&settings, command).await,
        Command::Migrate => commands::migrate(&settings).await,
        Command::Serve { with_worker } => commands::serve::run(settings, with_worker).await,
        Command::Tokens(command) => commands::tokens::run(&settings, command).await,
        Command::Bounces(command) => commands::bounces::run(&settings, command).await,
        Command::Email(command) => commands::email::run(&settings, command).await,
        Command::Keys(command) => commands::keys::run(&settings, command).await,
        Command::Receipts(command) => {
            commands::receipts::run(&settings, command, database_given).await
        }
    }
}
