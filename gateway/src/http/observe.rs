//! Counts and times every API request by route pattern, method, status and platform.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};

use super::AppState;
use crate::registry::Caller;

/// Middleware: records `gateway_http_requests_total` and `gateway_http_request_duration_seconds`.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let res = next.call(req).await?;
    if let Some(state) = state {
        let request = res.request();
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        let method = request.method().as_str().to_owned();
        let platform = request
            .extensions()
            .get::<Caller>()
            .map_or_else(|| "none".to_owned(), |c| c.id.to_string());
        let status = res.status().as_u16().to_string();
        state
            .metrics
            .http_requests
            .with_label_values(&[
                route.as_str(),
                method.as_str(),
                status.as_str(),
                platform.as_str(),
            ])
            .inc();
        state
            .metrics
            .http_duration
            .with_label_values(&[route.as_str(), method.as_str()])
            .observe(started.elapsed().as_secs_f64());
        tracing::info!(
            status = res.status().as_u16(),
            route = %route,
            platform = %platform,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "request served"
        );
    }
    Ok(res)
}
