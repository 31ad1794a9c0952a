//! `GET /.well-known/hillpost-signing-key`: every public key the service has signed audit
//! checkpoints and receipts with, each with the time it was valid. Public, like any
//! published key: anyone may check a signature with it (and should compare it with a copy
//! obtained another way, since whoever can write the database can add a key).

use axum::Json;
use axum::extract::State;
use hillpost_core::audit::KeyList;

use super::AppState;
use super::error::ApiError;

/// The service's signing keys, the current one first.
#[utoipa::path(get, path = "/.well-known/hillpost-signing-key", tag = "audit", security(()),
    responses((status = 200, body = Object,
        description = "`{\"keys\": [{\"key_id\", \"algorithm\": \"ed25519\", \"public_key\" (hex), \"valid_from\", \"valid_until\"}]}`")))]
pub async fn signing_key(State(state): State<AppState>) -> Result<Json<KeyList>, ApiError> {
    Ok(Json(state.store.signing_keys().await?))
}
