//! Liveness, readiness and the metrics scrape.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::http::AppState;
use crate::problem::ApiError;

/// `GET /healthz`: the process is alive.
pub(super) async fn alive() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// `GET /readyz`: the database answers and its migrations are applied.
pub(super) async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    match state.db.readiness().await {
        Ok(()) => Ok(HttpResponse::Ok()
            .json(json!({"status": "ready", "database": state.db.url().backend()}))),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            Err(ApiError::Unavailable(e))
        }
    }
}

/// `GET /metrics`: every metric in the Prometheus text format.
pub(super) async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let (open, idle) = state.db.pool_state();
    let pool = &state.metrics.db_pool_connections;
    pool.with_label_values(&["idle"]).set(i64::from(idle));
    pool.with_label_values(&["in_use"])
        .set(i64::from(open.saturating_sub(idle)));
    state
        .metrics
        .db_pool_max
        .set(i64::from(state.db.pool_max()));
    match state.db.run(crate::db::deliveries::counts).await {
        Ok((pending, dead)) => {
            let depth = &state.metrics.outbox_depth;
            depth.with_label_values(&["pending"]).set(pending);
            depth.with_label_values(&["dead"]).set(dead);
        }
        Err(e) => tracing::warn!(error = %e, "outbox depth not available"),
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render())
}
