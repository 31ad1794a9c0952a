//! `hillpost worker [--until-idle]`: deliver until stopped.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use hillpost_store::Store;
use hillpost_worker::{RateLimits, Worker, WorkerSettings};
use tokio_util::sync::CancellationToken;

use super::open_store;
use crate::channels;
use crate::config::Settings;

pub async fn run(settings: &Settings, until_idle: bool) -> anyhow::Result<ExitCode> {
    let store = Arc::new(open_store(settings).await?);
    let channel = channels::for_worker(settings, &store).await?;
    let worker = Worker::new(store.clone(), channel, worker_settings(settings));
    if let Some(key) = settings.signing_key()? {
        worker.sign_with(key);
    }
    let shutdown = CancellationToken::new();
    tokio::spawn(stop_on_signal(shutdown.clone()));
    if until_idle {
        tokio::spawn(stop_when_idle(store.clone(), shutdown.clone()));
    }
    worker.run(shutdown).await?;
    close_store(&store).await;
    Ok(ExitCode::SUCCESS)
}

pub fn worker_settings(settings: &Settings) -> WorkerSettings {
    let w = &settings.worker;
    WorkerSettings {
        capacity: w.capacity,
        claim_batch: w.claim_batch,
        lease: w.lease,
        key_lease: w.key_lease,
        poll_interval: w.poll_interval,
        shutdown_grace: w.shutdown_grace,
        rules: settings.delivery_rules(),
        rate_limits: RateLimits {
            default: settings.rate_limits.default,
            overrides: settings.rate_limits.overrides.clone(),
        },
    }
}

/// Closes the store's connections, without waiting long for one a send abandoned after
/// the shutdown grace still holds.
pub async fn close_store(store: &Store) {
    if tokio::time::timeout(Duration::from_secs(2), store.close())
        .await
        .is_err()
    {
        tracing::warn!("database connections still in use at exit; closing anyway");
    }
}

/// Ctrl-C or SIGTERM (what systemd and container runtimes send) stop the worker cleanly.
pub async fn stop_on_signal(shutdown: CancellationToken) {
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    shutdown.cancel();
                    return;
                }
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
    tracing::info!("stopping: finishing sends in progress");
    shutdown.cancel();
}

/// Stops the worker once no batch is scheduled or running (the demo, scripts, tests).
pub async fn stop_when_idle(store: Arc<Store>, shutdown: CancellationToken) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(300)) => {}
            _ = shutdown.cancelled() => return,
        }
        match store.batches(None).await {
            Ok(batches)
                if batches.iter().all(|b| {
                    b.state.is_final() || b.state == hillpost_core::BatchState::Paused
                }) =>
            {
                shutdown.cancel();
                return;
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "could not check for remaining batches"),
        }
    }
}
