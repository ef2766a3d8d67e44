//! Serves the API description.

use actix_web::HttpResponse;

/// `GET /openapi.json`.
pub(super) async fn document() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(super::OPENAPI)
}
