//! Resolves the caller of every `/v1` request from its client certificate.
//!
//! The TLS layer has verified the certificate chain; here its fingerprint is looked up in the
//! registry on every request, so a suspension or a rotated certificate takes effect at once.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, ResponseError, web};

use super::AppState;
use crate::db::platforms;
use crate::problem::ApiError;
use crate::registry::PlatformStatus;
use crate::tls::PeerCertificate;

/// Paths that need a registered, active caller.
fn protected(path: &str) -> bool {
    path == "/v1" || path.starts_with("/v1/")
}

/// Middleware: inserts the [`crate::registry::Caller`] or refuses with 401/403.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    if !protected(req.path()) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let refusal = match identify(&req).await {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            return Ok(next.call(req).await?.map_into_left_body());
        }
        Err(e) => e,
    };
    tracing::info!(reason = refusal.code(), "caller refused");
    Ok(req
        .into_response(refusal.error_response())
        .map_into_right_body())
}

async fn identify(req: &ServiceRequest) -> Result<crate::registry::Caller, ApiError> {
    let fingerprint = req
        .conn_data::<PeerCertificate>()
        .map(|p| p.fingerprint.clone())
        .ok_or(ApiError::ClientCertificateRequired)?;
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::Internal("application state missing".to_owned()))?;
    let caller = state
        .db
        .run(move |conn| platforms::find_by_fingerprint(conn, &fingerprint))
        .await?
        .ok_or(ApiError::UnregisteredCertificate)?;
    match caller.status {
        PlatformStatus::Active => Ok(caller),
        PlatformStatus::Suspended => Err(ApiError::PlatformSuspended(caller.id.to_string())),
    }
}
