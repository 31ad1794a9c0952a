use hillpost_core::ids::*;
use std::time::Duration;

use hillpost_store::{Clock, NewToken, Store, StoreError, TestClock, TokenRole};

fn token(sha: &str, role: TokenRole, organization: Option<&str>) -> NewToken {
    NewToken {
        secret_sha256: sha.to_string(),
        role,
        organization: organization.map(str::to_string),
        label: format!("{role} token"),
    }
}

both_backends!(tokens_are_found_by_hash_until_revoked);
async fn tokens_are_found_by_hash_until_revoked(store: Store) {
    let organizer = store
        .create_token(&token(
            "aa",
            TokenRole::Organizer,
            Some("Example Peace Coalition"),
        ))
        .await
        .unwrap();
    let auditor = store
        .create_token(&token("bb", TokenRole::Auditor, None))
        .await
        .unwrap();

    let found = store.active_token("aa").await.unwrap().expect("active");
    assert_eq!(found.id, organizer);
    assert_eq!(found.role, TokenRole::Organizer);
    assert_eq!(
        found.organization.as_deref(),
        Some("Example Peace Coalition")
    );
    assert!(store.active_token("cc").await.unwrap().is_none());

    let revoked = store.revoke_token(organizer).await.unwrap();
    assert!(revoked.revoked_at.is_some());
    assert!(
        store.active_token("aa").await.unwrap().is_none(),
        "revoked at once"
    );
    let again = store.revoke_token(organizer).await.unwrap();
    assert_eq!(
        again.revoked_at, revoked.revoked_at,
        "first revocation kept"
    );
    assert_eq!(
        store.active_token("bb").await.unwrap().map(|t| t.id),
        Some(auditor)
    );

    let all = store.tokens().await.unwrap();
    assert_eq!(
        all.iter().map(|t| t.id).collect::<Vec<_>>(),
        [organizer, auditor]
    );
    assert!(matches!(
        store.revoke_token(TokenId::new(9999)).await,
        Err(StoreError::NoToken(id)) if id == TokenId::new(9999)
    ));
}

both_backends!(token_scope_is_checked_and_hashes_are_unique);
async fn token_scope_is_checked_and_hashes_are_unique(store: Store) {
    assert!(matches!(
        store
            .create_token(&token("aa", TokenRole::Organizer, None))
            .await,
        Err(StoreError::TokenScope("organizer"))
    ));
    assert!(matches!(
        store
            .create_token(&token("aa", TokenRole::Auditor, Some("Org")))
            .await,
        Err(StoreError::TokenScope("auditor"))
    ));
    assert!(store.tokens().await.unwrap().is_empty(), "nothing stored");
    store
        .create_token(&token("aa", TokenRole::Auditor, None))
        .await
        .unwrap();
    assert!(
        store
            .create_token(&token("aa", TokenRole::Auditor, None))
            .await
            .is_err(),
        "the same secret twice"
    );
}

both_backends!(a_token_is_stamped_by_the_store_clock, clock);
async fn a_token_is_stamped_by_the_store_clock(store: Store, clock: TestClock) {
    let created = clock.now();
    let id = store
        .create_token(&token("aa", TokenRole::Auditor, None))
        .await
        .unwrap();
    clock.advance(Duration::from_secs(3600));
    let revoked = store.revoke_token(id).await.unwrap();
    assert_eq!(revoked.created_at, created, "created at the clock's time");
    assert_eq!(
        revoked.revoked_at,
        Some(created + chrono::Duration::hours(1)),
        "revoked an hour later by the clock, with no hour waited"
    );
}
