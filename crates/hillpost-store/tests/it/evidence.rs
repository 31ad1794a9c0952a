//! An attempt's evidence: stored compressed, read back as captured, listed per delivery and
//! per batch, never stored twice for the same attempt and kind, never changed.

use hillpost_core::delivery::{Evidence, EvidenceKind};
use hillpost_store::{NewEvidence, Store};

use crate::support::running_batch;

both_backends!(evidence_is_kept_per_attempt_and_read_back_as_captured, url);
async fn evidence_is_kept_per_attempt_and_read_back_as_captured(store: Store, url: String) {
    let batch = running_batch(&store, &["a"]).await;
    let deliveries = store.deliveries(batch).await.unwrap();
    let delivery = deliveries[0].id;
    // A page that compresses well, with characters beyond ASCII.
    let html = format!(
        "<html><body>{}</body></html>",
        "<p>Gracias, señora</p>".repeat(2000)
    );
    let page = Evidence::page(EvidenceKind::AnswerPage, &html);
    let png = Evidence::screenshot(
        EvidenceKind::ScreenshotAfterSubmit,
        b"\x89PNG\r\n\x1a\nnot really a picture".to_vec(),
    )
    .unwrap();
    let items = [
        NewEvidence {
            delivery_id: delivery,
            attempt_no: hillpost_core::AttemptNo::new(1),
            evidence: &page,
        },
        NewEvidence {
            delivery_id: delivery,
            attempt_no: hillpost_core::AttemptNo::new(1),
            evidence: &png,
        },
    ];
    store.store_evidence(&items).await.unwrap();
    // A retried write keeps the first.
    store.store_evidence(&items[..1]).await.unwrap();

    let rows = store.evidence_of(delivery).await.unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0].kind, EvidenceKind::AnswerPage);
    assert_eq!(rows[0].batch_id, batch);
    assert_eq!(rows[0].attempt_no, hillpost_core::AttemptNo::new(1));
    assert_eq!(rows[0].size, html.len() as u64);
    assert_eq!(rows[0].sha256, page.sha256());
    assert!(!rows[0].truncated);
    assert_eq!(rows[1].content_type, "image/png");
    let (meta, content) = store.evidence_content(rows[0].id).await.unwrap().unwrap();
    assert_eq!(meta, rows[0]);
    assert_eq!(content, html.as_bytes());
    let (_, shot) = store.evidence_content(rows[1].id).await.unwrap().unwrap();
    assert_eq!(shot, png.content);
    assert!(
        store
            .evidence_content(rows[1].id + 100)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.batch_evidence(batch).await.unwrap(), rows);
    assert!(
        store
            .evidence_of(deliveries[1].id)
            .await
            .unwrap()
            .is_empty()
    );

    // Stored compressed: far smaller than the page.
    let stored: i64 = match &store {
        Store::Sqlite(_) => {
            let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
            sqlx::query_scalar(
                "SELECT length(content) FROM attempt_evidence WHERE kind = 'answer_page'",
            )
            .fetch_one(&pool)
            .await
            .unwrap()
        }
        Store::Postgres(_) => {
            let pool = sqlx::PgPool::connect(&url).await.unwrap();
            sqlx::query_scalar::<_, i32>(
                "SELECT length(content) FROM attempt_evidence WHERE kind = 'answer_page'",
            )
            .fetch_one(&pool)
            .await
            .map(i64::from)
            .unwrap()
        }
    };
    assert!(stored * 10 < html.len() as i64, "{stored} bytes stored");
    // Never changed.
    let refused =
        crate::support::execute_raw(&url, "UPDATE attempt_evidence SET sha256 = 'x'").await;
    assert!(refused.is_err(), "evidence is append-only");
}

both_backends!(evidence_stored_together_carries_one_time);
async fn evidence_stored_together_carries_one_time(store: Store) {
    let batch = running_batch(&store, &["a"]).await;
    let delivery = store.deliveries(batch).await.unwrap()[0].id;
    // The second page is large enough that compressing it takes a while after the first
    // insert.
    let first = Evidence::page(EvidenceKind::AnswerPage, "<p>merci</p>");
    let page = Evidence::page(EvidenceKind::AnswerPage, &"<p>merci</p>".repeat(200_000));
    let items = [
        NewEvidence {
            delivery_id: delivery,
            attempt_no: hillpost_core::AttemptNo::new(1),
            evidence: &first,
        },
        NewEvidence {
            delivery_id: delivery,
            attempt_no: hillpost_core::AttemptNo::new(2),
            evidence: &page,
        },
    ];
    store.store_evidence(&items).await.unwrap();

    // One transaction, one clock reading.
    let rows = store.evidence_of(delivery).await.unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0].created_at, rows[1].created_at);
}
