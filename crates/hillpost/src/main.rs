//! `hillpost`: wires configuration, the store, the channels and the worker to the command
//! line. Errors are reported with `anyhow` here, at the edge, and nowhere else.

use std::process::ExitCode;

use clap::Parser;
use hillpost::cli::{Cli, Command};
use hillpost::{commands, config, logging};

fn main() -> ExitCode {
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
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut settings = config::load(config::Sources {
        file: cli.config.as_deref(),
        environment: None,
    })?;
    if let Some(url) = cli.database {
        settings.database.url = url;
    }
    logging::init(&settings);
    match cli.command {
        Command::Demo { dir } => commands::demo::run(settings, &dir).await,
        Command::Campaign(command) => commands::campaign::run(&settings, command).await,
        Command::Signatures(command) => commands::signatures::run(&settings, command).await,
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
    }
}
