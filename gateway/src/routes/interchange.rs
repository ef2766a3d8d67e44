//! Stateless announcement interchange: translate, validate, and describe the dialects.

use std::time::Instant;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use interchange::{Dialect, Finding, Findings, Translated};
use serde::Deserialize;
use serde_json::json;

use crate::http::AppState;
use crate::problem::ApiError;
use crate::registry::Caller;

/// Header listing the warnings of a successful translation as `code@path` items.
pub(crate) const WARNINGS_HEADER: &str = "x-validation-warnings";

/// Parses a dialect query parameter; `input` refuses output-only formats (OCDS).
pub(crate) fn dialect(param: &str, value: &str, input: bool) -> Result<Dialect, ApiError> {
    let d: Dialect = value.parse().map_err(|e: interchange::UnknownDialect| {
        ApiError::invalid(format!("?{param}"), "unknown-dialect", e.to_string())
    })?;
    if input && !d.is_input() {
        return Err(ApiError::invalid(
            format!("?{param}"),
            "output-only-dialect",
            format!("`{d}` is an output format only"),
        ));
    }
    Ok(d)
}

fn record_findings(state: &AppState, from: Dialect, findings: &[Finding]) {
    for f in findings {
        state
            .metrics
            .validation_findings
            .with_label_values(&[from.name(), f.code.as_str(), f.severity.as_str()])
            .inc();
    }
}

/// Translates and records the outcome in the metrics.
pub(crate) fn translate_observed(
    state: &AppState,
    from: Dialect,
    to: Dialect,
    body: &[u8],
) -> Result<Translated, Findings> {
    let started = Instant::now();
    let result = interchange::translate(from, to, body, &state.tables, &state.policy);
    state
        .metrics
        .translation_duration
        .with_label_values(&[from.name(), to.name()])
        .observe(started.elapsed().as_secs_f64());
    let (outcome, findings) = match &result {
        Ok(t) => ("ok", t.warnings.as_slice()),
        Err(f) => ("invalid", f.0.as_slice()),
    };
    state
        .metrics
        .translations
        .with_label_values(&[from.name(), to.name(), outcome])
        .inc();
    record_findings(state, from, findings);
    result
}

fn warnings_header(warnings: &[Finding]) -> Option<HeaderValue> {
    if warnings.is_empty() {
        return None;
    }
    let items: Vec<String> = warnings
        .iter()
        .map(|w| format!("{}@{}", w.code, w.path))
        .collect();
    HeaderValue::from_str(&items.join(", ")).ok()
}

/// Query of `POST /v1/translate`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TranslateQuery {
    from: String,
    to: String,
}

/// `POST /v1/translate?from=X&to=Y`: the document in `to`, or a 422 with every finding.
pub(super) async fn translate(
    _caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<TranslateQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let from = dialect("from", &query.from, true)?;
    let to = dialect("to", &query.to, false)?;
    let translated = translate_observed(&state, from, to, &body)?;
    let mut response = HttpResponse::Ok();
    response.content_type(to.content_type());
    if let Some(value) = warnings_header(&translated.warnings) {
        response.insert_header((WARNINGS_HEADER, value));
    }
    Ok(response.body(translated.bytes))
}

/// Query of `POST /v1/validate`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ValidateQuery {
    dialect: String,
}

/// `POST /v1/validate?dialect=X`: `{"valid": true, "findings": [warnings]}` or a 422 problem.
pub(super) async fn validate(
    _caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<ValidateQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let d = dialect("dialect", &query.dialect, true)?;
    let translated = translate_observed(&state, d, Dialect::Canonical, &body)?;
    Ok(HttpResponse::Ok().json(json!({
        "valid": true,
        "dialect": d.name(),
        "findings": translated.warnings,
    })))
}

/// `GET /v1/dialects`: the formats, their media types and schemas.
pub(super) async fn dialects(_caller: Caller) -> HttpResponse {
    let list: Vec<_> = Dialect::ALL
        .iter()
        .map(|d| {
            json!({
                "name": d.name(),
                "content_type": d.content_type(),
                "input": d.is_input(),
                "output": true,
                "schema": format!("/v1/schemas/{}", d.schema_path()),
            })
        })
        .collect();
    HttpResponse::Ok().json(json!({ "dialects": list }))
}

/// `GET /v1/schemas/{path}`: a dialect's schema (JSON Schema or XSD).
pub(super) async fn schema(_caller: Caller, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let path = req.match_info().query("path");
    let (name, text) = interchange::SCHEMA_FILES
        .iter()
        .find(|(name, _)| *name == path)
        .ok_or_else(|| ApiError::NotFound(format!("no schema `{path}`")))?;
    let media = match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("xsd") => "application/xml",
        Some("csv") => "text/csv; charset=utf-8",
        _ => "application/schema+json",
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, media))
        .body(*text))
}
