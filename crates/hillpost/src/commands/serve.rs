//! `hillpost serve [--with-worker]`: the HTTP API, and optionally a worker in the same
//! process. Both stop on Ctrl-C or SIGTERM through one cancellation token; a worker that
//! fails stops the server too, so a supervisor restarts the whole process.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use hillpost_worker::Worker;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::open_store;
use super::worker::{close_store, stop_on_signal, worker_settings};
use crate::channels;
use crate::config::Settings;
use crate::server::{self, AppState};

pub async fn run(settings: Settings, with_worker: bool) -> anyhow::Result<ExitCode> {
    let store = Arc::new(open_store(&settings).await?);
    let listener = TcpListener::bind(&settings.server.listen)
        .await
        .with_context(|| format!("listening on {}", settings.server.listen))?;
    let metrics_listener = match settings.server.metrics_listen.as_str() {
        "" => None,
        address => Some(
            TcpListener::bind(address)
                .await
                .with_context(|| format!("listening on {address} (server.metrics_listen)"))?,
        ),
    };
    let shutdown = CancellationToken::new();
    tokio::spawn(stop_on_signal(shutdown.clone()));

    // The key is published (/.well-known/hillpost-signing-key) by whoever holds it.
    let signing_key = settings.signing_key()?;
    if let Some(key) = &signing_key {
        store.register_signing_key(key.public()).await?;
    }
    let worker = if with_worker {
        let worker = Worker::new(
            store.clone(),
            channels::for_worker(&settings, &store).await?,
            worker_settings(&settings),
        );
        if let Some(key) = signing_key {
            worker.sign_with(key);
        }
        let shutdown = shutdown.clone();
        Some(tokio::spawn(async move {
            let result = worker.run(shutdown.clone()).await;
            shutdown.cancel();
            result
        }))
    } else {
        None
    };

    // Tests and scripts read the address from here (`listen = "127.0.0.1:0"` picks a port).
    println!("listening on http://{}", listener.local_addr()?);
    if let Some(metrics) = &metrics_listener {
        println!("metrics on http://{}/metrics", metrics.local_addr()?);
    }
    let state = AppState {
        store: store.clone(),
        settings: Arc::new(settings),
    };
    server::serve(state, listener, metrics_listener, shutdown.clone()).await?;
    shutdown.cancel();
    if let Some(worker) = worker {
        worker.await.context("the worker task panicked")??;
    }
    close_store(&store).await;
    Ok(ExitCode::SUCCESS)
}
