use hillpost_core::CampaignId;
use hillpost_store::{Store, StoreError};

use crate::support::campaign;

both_backends!(campaigns_are_added_shown_and_replaced_only_on_request);
async fn campaigns_are_added_shown_and_replaced_only_on_request(store: Store) {
    let mut c = campaign();
    store.add_campaign(&c, false).await.unwrap();
    let stored = store.campaign(&c.id).await.unwrap().expect("stored");
    assert_eq!(stored.campaign, c);
    assert_eq!(stored.signature_count, 0);

    c.title = "A new title".into();
    assert!(
        matches!(store.add_campaign(&c, false).await, Err(StoreError::CampaignExists(id)) if id == "no-troops")
    );
    assert_eq!(
        store.campaign(&c.id).await.unwrap().unwrap().campaign.title,
        "No troops",
        "unchanged"
    );
    store.add_campaign(&c, true).await.unwrap();
    assert_eq!(
        store.campaign(&c.id).await.unwrap().unwrap().campaign.title,
        "A new title"
    );

    assert_eq!(store.campaigns().await.unwrap().len(), 1);
    assert!(
        store
            .campaign(&CampaignId::parse("nope").unwrap())
            .await
            .unwrap()
            .is_none()
    );
}
