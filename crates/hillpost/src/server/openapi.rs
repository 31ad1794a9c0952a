//! The OpenAPI document, built from the same registrations as the router (utoipa-axum), and
//! the answers for routes that do not exist.

use std::sync::Arc;

use axum::Json;
use axum::http::{Method, Uri};
use utoipa::openapi::OpenApi as Document;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::Caller;
use super::error::ApiError;
use super::{
    AppState, audit, batches, bounces, campaigns, deliveries, evidence, keys, metrics, receipts,
    signatures,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "hillpost API",
        description = "Campaigns, signatures, batches and deliveries. Bearer tokens: \
                       `hillpost tokens create --role organizer|auditor`."
    ),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// Every documented route. (`/api/v1/openapi.json` itself is added by [`super::router`].)
pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(campaigns::list, campaigns::add))
        .routes(routes!(campaigns::show))
        .routes(routes!(signatures::import))
        .routes(routes!(signatures::sign_up))
        .routes(routes!(signatures::erase))
        .routes(routes!(batches::list, batches::create))
        .routes(routes!(batches::status))
        .routes(routes!(batches::pause))
        .routes(routes!(batches::resume))
        .routes(routes!(batches::cancel))
        .routes(routes!(deliveries::list))
        .routes(routes!(deliveries::show))
        .routes(routes!(deliveries::confirm))
        .routes(routes!(deliveries::resend))
        .routes(routes!(deliveries::retry))
        .routes(routes!(evidence::list))
        .routes(routes!(evidence::content))
        .routes(routes!(audit::export))
        .routes(routes!(audit::verify))
        .routes(routes!(audit::checkpoint))
        .routes(routes!(keys::signing_key))
        .routes(routes!(bounces::ingest_one))
        .routes(routes!(receipts::page))
        .routes(routes!(receipts::statement))
        .routes(routes!(metrics::metrics))
        .routes(routes!(metrics::health))
}

/// The document served at `/api/v1/openapi.json`.
pub fn openapi() -> Document {
    routes().split_for_parts().1
}

pub(super) async fn document(_caller: Caller, api: Arc<Document>) -> Json<Document> {
    Json((*api).clone())
}

pub(super) async fn no_route(method: Method, uri: Uri) -> ApiError {
    ApiError::NoRoute {
        method: method.to_string(),
        path: uri.path().to_string(),
    }
}
