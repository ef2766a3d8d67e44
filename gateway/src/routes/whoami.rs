//! `GET /v1/whoami`: how the gateway sees the caller.

use actix_web::HttpResponse;
use serde_json::json;

use crate::registry::Caller;

/// Answers the caller's identity as resolved from its client certificate.
pub(super) async fn get(caller: Caller) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "platform": caller.id,
        "name": caller.name,
        "role": caller.role,
        "province": caller.province,
        "province_code": caller.province.map(|p| p.region_code()),
        "dialect": caller.province.map(|p| p.dialect()),
        "certificate_sha256": caller.cert_sha256,
    }))
}
