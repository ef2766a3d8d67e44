//! Operator administration of the platform registry, and the audit log.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::db::{audit, platforms};
use crate::http::AppState;
use crate::http::extract::{Operator, RequestId};
use crate::problem::ApiError;
use crate::registry::{Caller, CertFingerprint, PlatformId, PlatformStatus};

fn platform_json(c: &Caller) -> serde_json::Value {
    json!({
        "id": c.id,
        "name": c.name,
        "role": c.role,
        "province": c.province,
        "status": c.status,
        "certificate_sha256": c.cert_sha256,
    })
}

fn parse_id(raw: &str) -> Result<PlatformId, ApiError> {
    raw.parse()
        .map_err(|e: String| ApiError::invalid("{id}", "invalid-platform-id", e))
}

/// `GET /v1/admin/platforms`.
pub(super) async fn list_platforms(
    _op: Operator,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let all = state.db.run(platforms::list).await?;
    Ok(HttpResponse::Ok().json(json!({
        "platforms": all.iter().map(platform_json).collect::<Vec<_>>()
    })))
}

/// `GET /v1/admin/platforms/{id}`.
pub(super) async fn get_platform(
    _op: Operator,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&path)?;
    let shown = id.clone();
    let found = state.db.run(move |c| platforms::find(c, &id)).await?;
    let caller = found.ok_or_else(|| ApiError::NotFound(format!("no platform `{shown}`")))?;
    Ok(HttpResponse::Ok().json(platform_json(&caller)))
}

/// `POST /v1/admin/platforms/{id}/suspend`.
pub(super) async fn suspend(
    op: Operator,
    request_id: RequestId,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    set_status(op, request_id, state, &path, PlatformStatus::Suspended).await
}

/// `POST /v1/admin/platforms/{id}/resume`.
pub(super) async fn resume(
    op: Operator,
    request_id: RequestId,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    set_status(op, request_id, state, &path, PlatformStatus::Active).await
}

/// Outcome of a registry change made in one transaction.
enum Change {
    Done(Caller),
    Missing,
    Refused(String),
}

async fn set_status(
    Operator(op): Operator,
    RequestId(request_id): RequestId,
    state: web::Data<AppState>,
    raw_id: &str,
    status: PlatformStatus,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(raw_id)?;
    if id == op.id && status == PlatformStatus::Suspended {
        return Err(ApiError::Conflict(
            "an operator cannot suspend itself".to_owned(),
        ));
    }
    let target = id.clone();
    let change = state
        .db
        .run_write(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                let Some(before) = platforms::find(conn, &target)? else {
                    return Ok(Change::Missing);
                };
                platforms::set_status(conn, &target, status)?;
                audit::append(
                    conn,
                    &audit::AuditEntry {
                        actor: op.id.as_str(),
                        action: match status {
                            PlatformStatus::Suspended => "platform.suspend",
                            PlatformStatus::Active => "platform.resume",
                        },
                        subject: &format!("platform:{target}"),
                        request_id: &request_id,
                        content_sha256: None,
                        detail: json!({"from": before.status, "to": status}),
                    },
                )?;
                Ok(platforms::find(conn, &target)?.map_or(Change::Missing, Change::Done))
            })
        })
        .await?;
    respond(change, &id)
}

fn respond(change: Change, id: &PlatformId) -> Result<HttpResponse, ApiError> {
    match change {
        Change::Done(caller) => Ok(HttpResponse::Ok().json(platform_json(&caller))),
        Change::Missing => Err(ApiError::NotFound(format!("no platform `{id}`"))),
        Change::Refused(why) => Err(ApiError::Conflict(why)),
    }
}

/// Body of `PUT /v1/admin/platforms/{id}/certificate`: the new certificate or its fingerprint.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewCertificate {
    certificate: Option<String>,
    sha256: Option<String>,
}

/// `PUT /v1/admin/platforms/{id}/certificate`: rotates the fingerprint that identifies a caller.
pub(super) async fn rotate_certificate(
    Operator(op): Operator,
    RequestId(request_id): RequestId,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<NewCertificate>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&path)?;
    let body = body.into_inner();
    let fingerprint = match (body.certificate, body.sha256) {
        (Some(pem), None) => fingerprint_of_pem(&pem)?,
        (None, Some(hex)) => hex
            .parse::<CertFingerprint>()
            .map_err(|e| ApiError::invalid("/sha256", "invalid-fingerprint", e))?,
        _ => {
            return Err(ApiError::invalid(
                "/",
                "one-of-required",
                "give exactly one of `certificate` (PEM) or `sha256` (hex fingerprint)",
            ));
        }
    };
    let target = id.clone();
    let change = state
        .db
        .run_write(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                let Some(before) = platforms::find(conn, &target)? else {
                    return Ok(Change::Missing);
                };
                if let Some(holder) =
                    platforms::find_by_fingerprint(conn, &fingerprint)?.map(|c| c.id)
                    && holder != target
                {
                    return Ok(Change::Refused(format!(
                        "that certificate already identifies `{holder}`"
                    )));
                }
                platforms::set_fingerprint(conn, &target, &fingerprint)?;
                audit::append(
                    conn,
                    &audit::AuditEntry {
                        actor: op.id.as_str(),
                        action: "platform.rotate-certificate",
                        subject: &format!("platform:{target}"),
                        request_id: &request_id,
                        content_sha256: Some(fingerprint.as_str()),
                        detail: json!({"from": before.cert_sha256, "to": fingerprint}),
                    },
                )?;
                Ok(platforms::find(conn, &target)?.map_or(Change::Missing, Change::Done))
            })
        })
        .await?;
    if matches!(change, Change::Done(_)) {
        // Refused handshakes are named from this map: update it now on this instance (the
        // others within 30 s, `http::watch_registry`).
        let callers = state.db.run(platforms::list).await?;
        crate::http::observe_registry(&state.metrics, &state.known_peers, &callers);
    }
    respond(change, &id)
}

fn fingerprint_of_pem(pem: &str) -> Result<CertFingerprint, ApiError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let der = CertificateDer::from_pem_slice(pem.as_bytes()).map_err(|e| {
        ApiError::invalid(
            "/certificate",
            "invalid-pem",
            format!("not a PEM certificate: {e}"),
        )
    })?;
    x509_parser::parse_x509_certificate(der.as_ref()).map_err(|e| {
        ApiError::invalid(
            "/certificate",
            "invalid-certificate",
            format!("not an X.509 certificate: {e}"),
        )
    })?;
    Ok(CertFingerprint::of_der(der.as_ref()))
}

/// Query of `GET /v1/admin/audit`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AuditQuery {
    subject: Option<String>,
    limit: Option<i64>,
}

/// `GET /v1/admin/audit?subject=&limit=`: the newest audit records.
pub(super) async fn audit(
    _op: Operator,
    state: web::Data<AppState>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    let AuditQuery { subject, limit } = query.into_inner();
    let limit = limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid(
            "?limit",
            "out-of-range",
            "limit must be between 1 and 500",
        ));
    }
    let records = state
        .db
        .run(move |c| audit::recent(c, subject.as_deref(), limit))
        .await?;
    Ok(HttpResponse::Ok().json(json!({ "records": records })))
}
