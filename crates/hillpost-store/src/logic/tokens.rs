//! API tokens, written once: listing them and finding the active one by its secret's hash.
//! Creating and revoking one are stamped with the store's clock.

use super::Backend;
use super::sql::{Arg, Columns, Run, returned_id};
use crate::{NewToken, StoreError, TokenRow};

/// The columns of a [`TokenRow`].
macro_rules! token_columns {
    () => {
        "id, role, organization, label, created_at, revoked_at"
    };
}

/// A token's row (its secret's hash only), created now; its id.
pub(crate) async fn insert_token(
    store: &impl Backend,
    token: &NewToken,
) -> Result<i64, StoreError> {
    let sql = "INSERT INTO api_tokens (secret_sha256, role, organization, label, created_at)
               VALUES ($1, $2, $3, $4, now()) RETURNING id";
    let args = [
        Arg::Text(&token.secret_sha256),
        Arg::Text(token.role.as_str()),
        Arg::OptText(token.organization.as_deref()),
        Arg::Text(&token.label),
    ];
    let row = store.read_now().await?.db().row(sql, &args).await?;
    returned_id(row)
}

/// Revokes token `id` now unless it was revoked before; its row afterwards, `None` when
/// there is no such token.
pub(crate) async fn revoke_token(
    store: &impl Backend,
    id: i64,
) -> Result<Option<TokenRow>, StoreError> {
    let sql = concat!(
        "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING ",
        token_columns!()
    );
    let row = store
        .read_now()
        .await?
        .db()
        .row(sql, &[Arg::Int(id)])
        .await?;
    row.as_ref().map(token_row).transpose()
}

/// Every token, revoked ones included, oldest first.
pub(crate) async fn tokens(store: &impl Backend) -> Result<Vec<TokenRow>, StoreError> {
    let sql = concat!("SELECT ", token_columns!(), " FROM api_tokens ORDER BY id");
    let rows = store.read().await?.rows(sql, &[]).await?;
    rows.iter().map(token_row).collect()
}

/// The token whose secret hashes to `secret_sha256`, unless it was revoked.
pub(crate) async fn active_token(
    store: &impl Backend,
    secret_sha256: &str,
) -> Result<Option<TokenRow>, StoreError> {
    let sql = concat!(
        "SELECT ",
        token_columns!(),
        " FROM api_tokens WHERE secret_sha256 = $1 AND revoked_at IS NULL"
    );
    let row = store
        .read()
        .await?
        .row(sql, &[Arg::Text(secret_sha256)])
        .await?;
    row.as_ref().map(token_row).transpose()
}

pub(crate) fn token_row(row: &impl Columns) -> Result<TokenRow, StoreError> {
    Ok(TokenRow {
        id: row.int("id")?.into(),
        role: row.parsed("role")?,
        organization: row.opt_text("organization")?,
        label: row.text("label")?,
        created_at: row.time("created_at")?,
        revoked_at: row.opt_time("revoked_at")?,
    })
}
