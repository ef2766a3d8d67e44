//! The CA mutual-recognition bridge's routes: certificate verification, the trust list in use
//! and its installation, and the CRLs in use and their upload.

use std::sync::Arc;
use std::time::Instant;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use crate::bridge::cache::CachedVerdict;
use crate::bridge::signature::{self, SignatureBody};
use crate::bridge::verify::{self, VerifyBody, VerifyRequest};
use crate::bridge::{Snapshot, install, ocsp, unix_now};
use crate::db::bridge::{Actor, Stored};
use crate::db::unix_text;
use crate::http::AppState;
use crate::http::extract::{Operator, RequestId};
use crate::problem::ApiError;
use crate::receipts;
use crate::registry::{Caller, Role};

/// `POST /v1/certificates/verify`: the verdict on a certificate under the trust list in use.
pub(super) async fn verify_certificate(
    caller: Caller,
    RequestId(request_id): RequestId,
    state: web::Data<AppState>,
    body: web::Json<VerifyBody>,
) -> Result<HttpResponse, ApiError> {
    let started = Instant::now();
    let req = body.parse()?;
    let want_receipt = body.receipt;
    let snapshot = state.bridge.current(&state.db).await?;
    let version = snapshot.version.unwrap_or_default();
    let now = unix_now();
    let metrics = &state.metrics.bridge;
    if let Some(hit) = state.bridge.verdicts.get(&req.key, version, now) {
        count(&state, &hit.labels);
        metrics
            .verification_duration
            .with_label_values(&["hit"])
            .observe(started.elapsed().as_secs_f64());
        let body = with_receipt(&state, &caller, &request_id, want_receipt, &hit.body).await?;
        return Ok(respond(&body, "hit"));
    }
    let at = req.at.unwrap_or(now);
    let key = req.key;
    let (body, labels, changes_at) = compute(&state, snapshot.clone(), req, at, now).await?;
    let cached = Arc::new(CachedVerdict { body, labels });
    count(&state, &cached.labels);
    metrics
        .verification_duration
        .with_label_values(&["miss"])
        .observe(started.elapsed().as_secs_f64());
    let body = with_receipt(&state, &caller, &request_id, want_receipt, &cached.body).await?;
    let response = respond(&body, "miss");
    let earliest_crl = snapshot.crls.iter().map(|c| c.next_update).min();
    let changes_at = [changes_at, earliest_crl].into_iter().flatten().min();
    state
        .bridge
        .verdicts
        .insert(key, version, now, changes_at, cached);
    Ok(response)
}

/// The verdict, with a signed receipt of it added when asked for.
async fn with_receipt(
    state: &AppState,
    caller: &Caller,
    request_id: &str,
    wanted: bool,
    verdict: &serde_json::Value,
) -> Result<serde_json::Value, ApiError> {
    if !wanted {
        return Ok(verdict.clone());
    }
    let facts = json!({
        "certificate_sha256": verdict["certificate_sha256"],
        "holder": verdict["holder"],
        "province": verdict["province"],
        "ca": verdict["ca"]["id"],
        "verdict": {"valid": verdict["valid"], "reason": verdict["reason"]},
        "validation_time": verdict["validation_time"],
        "purpose": verdict["purpose"],
        "trust_list_sequence": verdict["trust_list_sequence"],
    });
    let valid = verdict["valid"].as_bool().unwrap_or(false);
    let receipt = state
        .receipts
        .issue(
            &state.db,
            caller.id.as_str(),
            receipts::Kind::Certificate,
            valid,
            facts,
            request_id,
        )
        .await?;
    state
        .metrics
        .bridge
        .receipts_issued
        .with_label_values(&["certificate"])
        .inc();
    let mut body = verdict.clone();
    if let Some(map) = body.as_object_mut() {
        map.insert("receipt".to_owned(), receipt);
    }
    Ok(body)
}

/// Computes the verdict (asking the CA's OCSP responder when no current CRL decides), with its
/// metric labels and the time it could change by itself.
async fn compute(
    state: &web::Data<AppState>,
    snapshot: Arc<Snapshot>,
    req: VerifyRequest,
    at: i64,
    now: i64,
) -> Result<(serde_json::Value, [String; 5], Option<i64>), ApiError> {
    let strict = state.settings.bridge.strict_credit_code;
    let req = Arc::new(req);
    let first = {
        let (snapshot, req) = (snapshot.clone(), req.clone());
        web::block(move || judge(&snapshot, &req, None, at, now, strict))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))??
    };
    let verdict = match ocsp_response(state, &snapshot, &req, &first, now).await {
        Some(response) => {
            let (snapshot, req) = (snapshot.clone(), req.clone());
            web::block(move || judge(&snapshot, &req, Some(&response), at, now, strict))
                .await
                .map_err(|e| ApiError::Internal(e.to_string()))??
        }
        None => first,
    };
    let labels = [
        verdict.province.unwrap_or("unknown").to_owned(),
        verdict
            .ca
            .as_ref()
            .map_or_else(|| "unknown".to_owned(), |c| c.id.clone()),
        verify::algorithm_label(&req.certificate).to_owned(),
        if verdict.valid { "valid" } else { "invalid" }.to_owned(),
        verdict.reason.unwrap_or("none").to_owned(),
    ];
    let changes_at = verify::changes_at(&verdict);
    let mut body = serde_json::to_value(&verdict).map_err(|e| ApiError::Internal(e.to_string()))?;
    if let Some(map) = body.as_object_mut() {
        map.insert(
            "certificate_sha256".to_owned(),
            json!(req.certificate_sha256),
        );
    }
    Ok((body, labels, changes_at))
}

fn judge(
    snapshot: &Snapshot,
    req: &VerifyRequest,
    ocsp: Option<&ca_bridge::OcspResponse>,
    at: i64,
    now: i64,
    strict: bool,
) -> Result<ca_bridge::Verdict, ApiError> {
    let verifier = snapshot.verifier_at(now)?;
    Ok(verify::evaluate(
        verifier,
        &snapshot.revocation,
        req,
        ocsp,
        at,
        strict,
    ))
}

/// An OCSP response for the certificate, when the first verdict lacked current revocation data
/// and the CA has a responder (cached until the response's nextUpdate).
async fn ocsp_response(
    state: &web::Data<AppState>,
    snapshot: &Snapshot,
    req: &VerifyRequest,
    verdict: &ca_bridge::Verdict,
    now: i64,
) -> Option<ca_bridge::OcspResponse> {
    let settings = &state.settings.bridge;
    if !settings.ocsp || req.ocsp.is_some() || !verify::wants_ocsp(verdict) {
        return None;
    }
    let service_id = verdict.ca.as_ref()?.id.clone();
    let list = snapshot.verifier_at(now).ok()?.trust_list();
    let service = list.service_by_id(&service_id)?;
    let url = service.ocsp_urls.first()?;
    let counter = &state.metrics.bridge.ocsp_requests;
    if let Some(cached) = state
        .bridge
        .ocsp_responses
        .get(&req.certificate_sha256, now)
    {
        counter.with_label_values(&[&service_id, "cached"]).inc();
        return Some(cached);
    }
    let issuer_key = req.certificate.issuer().matching_key();
    let issuer = list
        .services()
        .iter()
        .flat_map(|s| s.certificate.iter().chain(&s.intermediates))
        .chain(&req.chain)
        .find(|c| c.subject().matching_key() == issuer_key)?;
    let request = match ocsp::request_der(&req.certificate, issuer) {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "cannot build an OCSP request");
            return None;
        }
    };
    let timeout = std::time::Duration::from_secs(settings.fetch_timeout_secs);
    match ocsp::ask(
        state.bridge.http(),
        url,
        request,
        timeout,
        settings.ocsp_max_bytes,
    )
    .await
    {
        Ok(response) => {
            counter.with_label_values(&[&service_id, "ok"]).inc();
            let ttl = i64::try_from(settings.verdict_cache_ttl_secs).unwrap_or(i64::MAX);
            let until = response.next_update().unwrap_or(now.saturating_add(ttl));
            state
                .bridge
                .ocsp_responses
                .insert(&req.certificate_sha256, response.clone(), until);
            Some(response)
        }
        Err(e) => {
            counter.with_label_values(&[&service_id, "failed"]).inc();
            tracing::warn!(%url, error = %e, "OCSP request failed");
            None
        }
    }
}

fn count(state: &AppState, labels: &[String; 5]) {
    let [province, ca, algorithm, outcome, reason] = labels;
    state
        .metrics
        .bridge
        .verifications
        .with_label_values(&[province, ca, algorithm, outcome, reason])
        .inc();
}

fn respond(body: &serde_json::Value, cache: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("x-gateway-verdict-cache", HeaderValue::from_static(cache)))
        .json(body)
}

/// `GET /v1/trust-list`: the trust list in use, with its sequence and the signed document.
pub(super) async fn trust_list(
    _caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let snapshot = state.bridge.current(&state.db).await?;
    let stored = snapshot
        .stored_list
        .as_ref()
        .ok_or_else(|| ApiError::NoTrustList("no trust list is installed".to_owned()))?;
    let now = unix_now();
    let usable = snapshot.verifier_at(now);
    let summary = match &snapshot.verifier {
        Some(Ok(v)) => v.trust_list().summary_json(),
        _ => serde_json::Value::Null,
    };
    let signed: serde_json::Value = serde_json::from_slice(&stored.signed_document)
        .map_err(|e| ApiError::Internal(format!("stored trust list: {e}")))?;
    Ok(HttpResponse::Ok().json(json!({
        "sequence": stored.sequence,
        "issued_at": unix_text(stored.issued_at),
        "next_update": unix_text(stored.next_update),
        "payload_sha256": stored.payload_sha256,
        "installed_at": stored.installed_at,
        "installed_by": stored.installed_by,
        "usable": usable.is_ok(),
        "unusable_reason": usable.err().map(|e| e.to_string()),
        "revocation_data_version": snapshot.version,
        "summary": summary,
        "signed_document": signed,
    })))
}

/// `PUT /v1/admin/trust-list`: installs a signed trust list (operators only).
pub(super) async fn install_trust_list(
    Operator(op): Operator,
    RequestId(request_id): RequestId,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    json_media_type(&req)?;
    let signer = state.bridge.signer()?.clone();
    let installed = state
        .db
        .run_write(move |conn| {
            Ok(install::install_trust_list(
                conn,
                &signer,
                &body,
                unix_now(),
                Actor {
                    id: op.id.as_str(),
                    request_id: &request_id,
                },
            ))
        })
        .await??;
    // Used from this request on, here and (through the version) on every instance.
    state.bridge.current(&state.db).await?;
    let status = match installed.stored {
        Stored::Installed => StatusCode::CREATED,
        Stored::Unchanged => StatusCode::OK,
    };
    Ok(HttpResponse::build(status).json(json!({
        "sequence": installed.sequence,
        "installed": installed.stored == Stored::Installed,
        "summary": installed.summary,
    })))
}

fn crl_json(c: &crate::db::bridge::StoredCrl, now: i64) -> serde_json::Value {
    json!({
        "issuer": c.issuer,
        "ca": c.service_id,
        "province": c.province,
        "scope": c.scope,
        "this_update": unix_text(c.this_update),
        "next_update": unix_text(c.next_update),
        "crl_number": c.crl_number,
        "sha256": c.sha256,
        "source": c.source,
        "stored_at": c.stored_at,
        "current": now <= c.next_update,
    })
}

/// `GET /v1/crls`: the CRLs in use.
pub(super) async fn list_crls(
    _caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let snapshot = state.bridge.current(&state.db).await?;
    let now = unix_now();
    Ok(HttpResponse::Ok().json(json!({
        "revocation_data_version": snapshot.version,
        "crls": snapshot.crls.iter().map(|c| crl_json(c, now)).collect::<Vec<_>>(),
    })))
}

/// `POST /v1/crls`: stores a CRL issued by a CA of the trust list (DER or PEM), when newer than
/// the one in use for its issuer and scope.
pub(super) async fn upload_crl(
    caller: Caller,
    RequestId(request_id): RequestId,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let media = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = media.split(';').next().unwrap_or("").trim();
    if !matches!(
        media,
        "application/pkix-crl" | "application/x-pem-file" | "application/octet-stream"
    ) {
        return Err(ApiError::UnsupportedMediaType(
            "send the CRL as application/pkix-crl (DER) or application/x-pem-file (PEM)".to_owned(),
        ));
    }
    let snapshot = state.bridge.current(&state.db).await?;
    let now = unix_now();
    snapshot.verifier_at(now)?;
    let source = format!("push:{}", caller.id);
    let (crl, stored) = state
        .db
        .run_write(move |conn| {
            let verifier = snapshot.verifier_at(now).map_err(|_| {
                crate::db::DbError::Task("the trust list became unusable".to_owned())
            })?;
            Ok(install::install_crl(
                conn,
                verifier.trust_list(),
                &body,
                now,
                &source,
                Actor {
                    id: caller.id.as_str(),
                    request_id: &request_id,
                },
            ))
        })
        .await??;
    state.bridge.current(&state.db).await?;
    let status = match stored {
        Stored::Installed => StatusCode::CREATED,
        Stored::Unchanged => StatusCode::OK,
    };
    let mut body = crl_json(&crl, now);
    if let Some(map) = body.as_object_mut() {
        map.insert("stored".to_owned(), json!(stored == Stored::Installed));
    }
    Ok(HttpResponse::build(status).json(body))
}

fn json_media_type(req: &HttpRequest) -> Result<(), ApiError> {
    let media = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if media.split(';').next().unwrap_or("").trim() == "application/json" {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(
            "send the signed trust list as application/json".to_owned(),
        ))
    }
}

/// `POST /v1/signatures/verify`: a bid signature (CMS or raw, maybe timestamped) verified under
/// the trust list in use; with `"receipt": true`, a signed receipt of the verdict.
pub(super) async fn verify_signature(
    caller: Caller,
    RequestId(request_id): RequestId,
    state: web::Data<AppState>,
    body: web::Json<SignatureBody>,
) -> Result<HttpResponse, ApiError> {
    let req = body.parse()?;
    let snapshot = state.bridge.current(&state.db).await?;
    let now = unix_now();
    let at = req.at.unwrap_or(now);
    let strict = state.settings.bridge.strict_credit_code;
    let verdict = {
        let snapshot = snapshot.clone();
        web::block(move || {
            let verifier = snapshot.verifier_at(now)?;
            Ok::<_, ApiError>(signature::evaluate(
                verifier,
                &snapshot.revocation,
                &req,
                at,
                strict,
            ))
        })
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??
    };
    state
        .metrics
        .bridge
        .signature_verifications
        .with_label_values(&[
            verdict.province.unwrap_or("unknown"),
            verdict.ca.as_ref().map_or("unknown", |c| c.id.as_str()),
            verdict.format,
            if verdict.valid { "valid" } else { "invalid" },
            verdict.reason.unwrap_or("none"),
        ])
        .inc();
    let mut out = serde_json::to_value(&verdict).map_err(|e| ApiError::Internal(e.to_string()))?;
    if body.receipt {
        let facts = json!({
            "document_digest": out["digest"],
            "signer": {
                "certificate_sha256": out["signer"]["certificate_sha256"],
                "name": out["holder"]["name"],
                "credit_code": out["holder"]["credit_code"],
                "province": out["province"],
                "ca": out["ca"]["id"],
            },
            "verdict": {"valid": out["valid"], "reason": out["reason"]},
            "signing_time": out["signing_time"],
            "signing_time_source": out["signing_time_source"],
            "validation_time": out["validation_time"],
            "trust_list_sequence": out["trust_list_sequence"],
            "revocation_data_version": snapshot.version,
        });
        let receipt = state
            .receipts
            .issue(
                &state.db,
                caller.id.as_str(),
                receipts::Kind::Signature,
                verdict.valid,
                facts,
                &request_id,
            )
            .await?;
        state
            .metrics
            .bridge
            .receipts_issued
            .with_label_values(&["signature"])
            .inc();
        if let Some(map) = out.as_object_mut() {
            map.insert("receipt".to_owned(), receipt);
        }
    }
    Ok(HttpResponse::Ok().json(out))
}

/// `GET /v1/receipts/certificate`: the certificate that checks receipts (PEM).
pub(super) async fn receipt_certificate(
    _caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let pem = state
        .receipts
        .certificate_pem()
        .ok_or(ApiError::ReceiptsNotConfigured)?;
    Ok(HttpResponse::Ok()
        .content_type("application/x-pem-file")
        .body(pem.to_owned()))
}

/// `GET /v1/receipts/{id}`: a stored receipt (compact JWS), for the platform that asked for it
/// and operators.
pub(super) async fn get_receipt(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    if uuid::Uuid::parse_str(&id).is_err() {
        return Err(ApiError::invalid(
            "{id}",
            "invalid-receipt-id",
            "not a receipt id",
        ));
    }
    let shown = id.clone();
    let found = state
        .db
        .run(move |conn| crate::db::receipts::find(conn, &id))
        .await?;
    let missing = || ApiError::NotFound(format!("no receipt `{shown}`"));
    let (owner, jws) = found.ok_or_else(missing)?;
    if caller.role != Role::Operator && owner != caller.id.as_str() {
        return Err(missing());
    }
    Ok(HttpResponse::Ok()
        .content_type("application/jose")
        .body(jws))
}
