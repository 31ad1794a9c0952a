//! API tokens, written once: listing them and finding the active one by its secret's hash.
//! A backend supplies the two statements stamped with its clock ([`Statements`]).

use super::Backend;
use super::sql::{Arg, Columns, Run};
use crate::{NewToken, StoreError, TokenRow};

/// The columns of a [`TokenRow`].
macro_rules! token_columns {
    () => {
        "id, role, organization, label, created_at, revoked_at"
    };
}
pub(crate) use token_columns;

/// The statements on tokens that carry the backend's clock.
pub(crate) trait Statements {
    /// A token's row (its secret's hash only), created now; its id.
    async fn insert_token(&self, token: &NewToken) -> Result<i64, StoreError>;

    /// Revokes token `id` now unless it was revoked before; its row (`token_columns!()`)
    /// afterwards, `None` when there is no such token.
    async fn revoke_token(&self, id: i64) -> Result<Option<TokenRow>, StoreError>;
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
        id: row.int("id")?,
        role: row.parsed("role")?,
        organization: row.opt_text("organization")?,
        label: row.text("label")?,
        created_at: row.time("created_at")?,
        revoked_at: row.opt_time("revoked_at")?,
    })
}
