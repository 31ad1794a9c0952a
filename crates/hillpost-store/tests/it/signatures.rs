use hillpost_core::CampaignId;
use hillpost_store::{ImportCounts, Store, StoreError};

use crate::support::{SIGNERS, campaign, seeded, signatures};

both_backends!(signatures_round_trip_and_duplicates_are_counted);
async fn signatures_round_trip_and_duplicates_are_counted(store: Store) {
    let c = seeded(&store, SIGNERS).await;
    let stored = store.signatures(&c.id).await.unwrap();
    assert_eq!(
        stored.iter().map(|(_, s)| s.clone()).collect::<Vec<_>>(),
        signatures(SIGNERS)
    );

    // A second file repeating Ana (different case) and adding Dan: one new, one duplicate.
    let mut session = store.begin_import(&c.id).await.unwrap();
    let more = signatures("name,email\nAna Again,ANA@example.org\nDan,dan@example.org\n");
    assert_eq!(session.insert(&more).await.unwrap(), 1);
    session
        .commit("more.csv", "sha", &ImportCounts::default())
        .await
        .unwrap();
    let stored = store.signatures(&c.id).await.unwrap();
    assert_eq!(stored.len(), 4);
    assert_eq!(
        stored[0].1.first_name.as_ref().unwrap().as_str(),
        "Ana",
        "the first signature is kept"
    );
    assert_eq!(
        store
            .campaign(&c.id)
            .await
            .unwrap()
            .unwrap()
            .signature_count,
        4
    );
}

both_backends!(a_rolled_back_import_leaves_nothing);
async fn a_rolled_back_import_leaves_nothing(store: Store) {
    let c = seeded(&store, SIGNERS).await;
    let mut session = store.begin_import(&c.id).await.unwrap();
    session
        .insert(&signatures("name,email\nEve,eve@example.org\n"))
        .await
        .unwrap();
    session.rollback().await.unwrap();
    assert_eq!(store.signatures(&c.id).await.unwrap().len(), 3);

    // Dropping a session without committing is a rollback too.
    {
        let mut session = store.begin_import(&c.id).await.unwrap();
        session
            .insert(&signatures("name,email\nMallory,mallory@example.org\n"))
            .await
            .unwrap();
    }
    assert_eq!(store.signatures(&c.id).await.unwrap().len(), 3);
}

both_backends!(importing_into_an_unknown_campaign_is_refused);
async fn importing_into_an_unknown_campaign_is_refused(store: Store) {
    store.add_campaign(&campaign(), false).await.unwrap();
    let missing = CampaignId::parse("missing").unwrap();
    assert!(
        matches!(store.begin_import(&missing).await, Err(StoreError::NoCampaign(id)) if id == "missing")
    );
}
