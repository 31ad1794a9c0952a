//! Reading every stored value back, for tests that must show something is gone from the
//! whole database (an erased signer) and still present where it should be.

use sqlx::{Connection, Row};

/// Every text and blob value of every table, as text (blobs as lossy UTF-8), with where
/// it was found.
pub async fn every_value(url: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    if url.starts_with("sqlite") {
        let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        for table in tables {
            let sql = format!("SELECT * FROM \"{table}\"");
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(&mut conn)
                .await
                .unwrap();
            for row in rows {
                for i in 0..row.len() {
                    let text = row
                        .try_get::<Option<String>, _>(i)
                        .ok()
                        .flatten()
                        .or_else(|| {
                            row.try_get::<Option<Vec<u8>>, _>(i)
                                .ok()
                                .flatten()
                                .map(|b| String::from_utf8_lossy(&b).into_owned())
                        });
                    if let Some(text) = text {
                        found.push((table.clone(), text));
                    }
                }
            }
        }
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        let columns: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns
              WHERE table_schema = current_schema()
                AND data_type IN ('text', 'bytea', 'character varying', 'jsonb', 'json')",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        for (table, column, data_type) in columns {
            let value = if data_type == "bytea" {
                format!("convert_from(\"{column}\", 'UTF8')")
            } else {
                format!("\"{column}\"::text")
            };
            let sql = format!("SELECT {value} FROM \"{table}\" WHERE \"{column}\" IS NOT NULL");
            // A blob that is not UTF-8 (a PNG) cannot be converted; read those as bytes.
            let texts: Vec<String> = match sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_all(&mut conn)
                .await
            {
                Ok(texts) => texts,
                Err(_) => {
                    let sql = format!(
                        "SELECT \"{column}\" FROM \"{table}\" WHERE \"{column}\" IS NOT NULL"
                    );
                    let blobs: Vec<Vec<u8>> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                        .fetch_all(&mut conn)
                        .await
                        .unwrap();
                    blobs
                        .iter()
                        .map(|b| String::from_utf8_lossy(b).into_owned())
                        .collect()
                }
            };
            found.extend(texts.into_iter().map(|t| (format!("{table}.{column}"), t)));
        }
    }
    found
}

/// Where `needle` appears, if anywhere.
pub fn traces<'a>(values: &'a [(String, String)], needle: &str) -> Vec<&'a str> {
    values
        .iter()
        .filter(|(_, text)| text.contains(needle))
        .map(|(place, _)| place.as_str())
        .collect()
}
