//! Bounds the time a request may spend in the gateway.
//!
//! Wrapped around each resource (not the whole app): the router must hold the only reference to a
//! request while it matches the path, and this middleware keeps a clone to answer with.

use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError, web};

use super::AppState;
use crate::problem::ApiError;

/// Middleware: answers 503 (`timeout` problem) when the inner service takes too long.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let secs = req
        .app_data::<web::Data<AppState>>()
        .map_or(30, |s| s.settings.limits.request_timeout_secs);
    let request = req.request().clone();
    match tokio::time::timeout(Duration::from_secs(secs), next.call(req)).await {
        Ok(res) => Ok(res?.map_into_left_body()),
        Err(_) => {
            tracing::warn!(timeout_secs = secs, "request timed out");
            Ok(
                ServiceResponse::new(request, ApiError::Timeout(secs).error_response())
                    .map_into_right_body(),
            )
        }
    }
}
