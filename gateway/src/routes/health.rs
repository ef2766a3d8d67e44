//! Liveness, readiness and the metrics scrape.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::http::AppState;
use crate::problem::ApiError;

/// `GET /healthz`: the process is alive.
pub(super) async fn alive() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// `GET /readyz`: the database answers and its migrations are applied, and the gateway is not
/// shutting down.
pub(super) async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if state.shutdown.is_requested() {
        return Err(ApiError::Draining);
    }
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
            state.metrics.database_up.set(1);
            let depth = &state.metrics.outbox_depth;
            depth.with_label_values(&["pending"]).set(pending);
            depth.with_label_values(&["dead"]).set(dead);
        }
        Err(e) => {
            state.metrics.database_up.set(0);
            tracing::warn!(error = %e, "database not reachable from the metrics scrape");
        }
    }
    bridge_gauges(&state).await;
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render())
}

/// Sets the bridge's time-dependent gauges from the data in use (reloaded first if it changed).
async fn bridge_gauges(state: &AppState) {
    let snapshot = match state.bridge.current(&state.db).await {
        Ok(s) => s,
        Err(crate::bridge::BridgeError::NotConfigured) => return,
        Err(e) => {
            tracing::warn!(error = %e, "bridge gauges not available");
            return;
        }
    };
    let now = crate::bridge::unix_now();
    let m = &state.metrics.bridge;
    m.crl_age.reset();
    m.crl_next_update.reset();
    for crl in &snapshot.crls {
        let labels = [crl.service_id.as_str(), crl.issuer.as_str()];
        m.crl_age
            .with_label_values(&labels)
            .set(now - crl.this_update);
        m.crl_next_update
            .with_label_values(&labels)
            .set(crl.next_update - now);
    }
    if let Some(Ok(verifier)) = &snapshot.verifier {
        m.declare_services(
            verifier
                .trust_list()
                .services()
                .iter()
                .map(|s| s.id.as_str()),
        );
    }
    match &snapshot.stored_list {
        Some(list) => {
            m.trust_list_sequence.set(list.sequence);
            m.trust_list_next_update.set(list.next_update - now);
        }
        None => m.trust_list_sequence.set(0),
    }
}
