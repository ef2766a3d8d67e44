//! API errors and their one mapping to HTTP problem documents (RFC 9457).
//!
//! Handlers return [`ApiError`]; this module alone decides the status code, the stable problem
//! `type`, and what the client may see. Internal causes are logged, never sent.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::db::DbError;

/// The media type of problem documents.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One finding about one field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Where: a JSON pointer (`/certificate`), a query parameter (`?limit`), or a path in a
    /// submitted document (XPath-like for XML).
    pub path: String,
    /// A stable code for the finding.
    pub code: String,
    /// What is wrong, for people (English).
    pub message: String,
    /// The same in Chinese, where the finding has it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_zh: Option<String>,
    /// `error` or `warning`, for document findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<&'static str>,
}

impl FieldError {
    /// A finding about one request field (no Chinese message, no severity).
    pub fn new(path: &str, code: &str, message: impl Into<String>) -> Self {
        FieldError {
            path: path.to_owned(),
            code: code.to_owned(),
            message: message.into(),
            message_zh: None,
            severity: None,
        }
    }
}

impl From<&interchange::Finding> for FieldError {
    fn from(f: &interchange::Finding) -> Self {
        FieldError {
            path: f.path.clone(),
            code: f.code.clone(),
            message: f.message_en.clone(),
            message_zh: Some(f.message_zh.clone()),
            severity: Some(f.severity.as_str()),
        }
    }
}

/// Everything an API request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request carried no client certificate.
    #[error("a client certificate is required")]
    ClientCertificateRequired,
    /// The client certificate chains to the platform CA but is not in the registry.
    #[error("the client certificate is not registered to any platform")]
    UnregisteredCertificate,
    /// The platform was suspended by an operator.
    #[error("platform `{0}` is suspended")]
    PlatformSuspended(String),
    /// The caller's role may not use this route.
    #[error("{0}")]
    Forbidden(String),
    /// No such resource.
    #[error("{0}")]
    NotFound(String),
    /// No route matches the path.
    #[error("no route for {0}")]
    NoRoute(String),
    /// The route exists but not with this method.
    #[error("method {0} is not allowed here")]
    MethodNotAllowed(String),
    /// The body exceeds the configured limit.
    #[error("the request body exceeds {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The request is syntactically or semantically invalid.
    #[error("{detail}")]
    InvalidRequest {
        /// Summary.
        detail: String,
        /// Findings with field paths.
        errors: Vec<FieldError>,
    },
    /// A submitted document has errors (every finding, warnings included).
    #[error("{detail}")]
    InvalidDocument {
        /// Summary.
        detail: String,
        /// Every finding, with its path in the document.
        findings: Vec<FieldError>,
    },
    /// A platform sent a document that says another platform published it.
    #[error("platform `{caller}` may not act for platform `{declared}`")]
    ActingForAnother {
        /// The authenticated caller.
        caller: String,
        /// The platform the document names as its source.
        declared: String,
    },
    /// The body's media type is not the one this route takes.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The request conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// The submitted data is older than the data in use (a trust list or CRL).
    #[error("{0}")]
    Outdated(String),
    /// The CA bridge is not configured on this gateway (no trust-list signer pinned).
    #[error("the CA bridge is not configured on this gateway")]
    BridgeNotConfigured,
    /// The gateway is shutting down (readiness is false; in-flight requests finish).
    #[error("the gateway is shutting down")]
    Draining,
    /// No receipt key is configured on this gateway.
    #[error("verification receipts are not configured on this gateway")]
    ReceiptsNotConfigured,
    /// No usable trust list is installed (none yet, or the installed one expired).
    #[error("{0}")]
    NoTrustList(String),
    /// The caller exceeded its rate limit.
    #[error("rate limit exceeded; retry after {retry_after_secs} s")]
    RateLimited {
        /// Seconds until a request will be accepted again.
        retry_after_secs: u64,
    },
    /// The request took longer than the configured timeout.
    #[error("the request took longer than {0} s")]
    Timeout(u64),
    /// The database is unreachable.
    #[error("the database is unavailable")]
    Unavailable(#[source] DbError),
    /// A fault inside the gateway; details are logged only.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// A single-field invalid-request error.
    pub fn invalid(path: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        ApiError::InvalidRequest {
            detail: message.clone(),
            errors: vec![FieldError::new(&path.into(), code, message)],
        }
    }

    /// The stable code that ends the problem `type` URI, e.g. `platform-suspended`.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::ClientCertificateRequired => "client-certificate-required",
            ApiError::UnregisteredCertificate => "unregistered-certificate",
            ApiError::PlatformSuspended(_) => "platform-suspended",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not-found",
            ApiError::NoRoute(_) => "no-route",
            ApiError::MethodNotAllowed(_) => "method-not-allowed",
            ApiError::PayloadTooLarge { .. } => "payload-too-large",
            ApiError::InvalidRequest { .. } => "invalid-request",
            ApiError::InvalidDocument { .. } => "invalid-document",
            ApiError::ActingForAnother { .. } => "acting-for-another-platform",
            ApiError::UnsupportedMediaType(_) => "unsupported-media-type",
            ApiError::Conflict(_) => "conflict",
            ApiError::Outdated(_) => "outdated",
            ApiError::BridgeNotConfigured => "bridge-not-configured",
            ApiError::NoTrustList(_) => "no-trust-list",
            ApiError::ReceiptsNotConfigured => "receipts-not-configured",
            ApiError::Draining => "draining",
            ApiError::RateLimited { .. } => "rate-limited",
            ApiError::Timeout(_) => "timeout",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }

    /// The problem document of this error (what the client sees).
    pub fn problem(&self) -> Problem {
        let mut problem = Problem::new(
            self.code(),
            self.title(),
            self.status_code(),
            self.to_string(),
        );
        match self {
            ApiError::InvalidRequest { errors, .. } => problem.errors = errors.clone(),
            ApiError::InvalidDocument { findings, .. } => problem.errors = findings.clone(),
            _ => {}
        }
        problem
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::ClientCertificateRequired => "Client certificate required",
            ApiError::UnregisteredCertificate => "Unregistered client certificate",
            ApiError::PlatformSuspended(_) => "Platform suspended",
            ApiError::Forbidden(_) => "Forbidden",
            ApiError::NotFound(_) => "Not found",
            ApiError::NoRoute(_) => "No such route",
            ApiError::MethodNotAllowed(_) => "Method not allowed",
            ApiError::PayloadTooLarge { .. } => "Request body too large",
            ApiError::InvalidRequest { .. } => "Invalid request",
            ApiError::InvalidDocument { .. } => "Invalid document",
            ApiError::ActingForAnother { .. } => "Acting for another platform",
            ApiError::UnsupportedMediaType(_) => "Unsupported media type",
            ApiError::Conflict(_) => "Conflict",
            ApiError::Outdated(_) => "Older than the data in use",
            ApiError::BridgeNotConfigured => "CA bridge not configured",
            ApiError::NoTrustList(_) => "No usable trust list",
            ApiError::ReceiptsNotConfigured => "Receipts not configured",
            ApiError::Draining => "Shutting down",
            ApiError::RateLimited { .. } => "Too many requests",
            ApiError::Timeout(_) => "Request timed out",
            ApiError::Unavailable(_) => "Service unavailable",
            ApiError::Internal(_) => "Internal error",
        }
    }
}

impl From<interchange::Findings> for ApiError {
    fn from(findings: interchange::Findings) -> Self {
        let errors = findings.errors().count();
        ApiError::InvalidDocument {
            detail: format!(
                "the document has {errors} error(s) and {} warning(s)",
                findings.0.len() - errors
            ),
            findings: findings.0.iter().map(FieldError::from).collect(),
        }
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Unavailable(_) => ApiError::Unavailable(e),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<crate::bridge::BridgeError> for ApiError {
    fn from(e: crate::bridge::BridgeError) -> Self {
        use crate::bridge::BridgeError;
        match e {
            BridgeError::NotConfigured | BridgeError::Signer { .. } => {
                ApiError::BridgeNotConfigured
            }
            BridgeError::Client(e) => ApiError::Internal(e),
            BridgeError::Db(db) => db.into(),
        }
    }
}

impl From<crate::bridge::install::InstallError> for ApiError {
    fn from(e: crate::bridge::install::InstallError) -> Self {
        use crate::bridge::install::InstallError;
        use crate::db::bridge::Refused;
        match e {
            InstallError::Invalid(e) => ApiError::invalid("/", e.code(), e.to_string()),
            InstallError::Refused(Refused::Outdated(why)) => ApiError::Outdated(why),
            InstallError::Refused(Refused::Conflict(why)) => ApiError::Conflict(why),
            InstallError::Refused(Refused::Db(db)) => db.into(),
        }
    }
}

/// A problem document as sent on the wire.
#[derive(Debug, Serialize)]
pub struct Problem {
    /// URI reference naming the problem kind: `/problems/{code}`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the kind.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// This occurrence, for people.
    pub detail: String,
    /// The stable code (the last segment of `type`).
    pub code: String,
    /// Field-level findings, when there are any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl Problem {
    /// A problem of the given code and status.
    pub fn new(code: &str, title: &str, status: StatusCode, detail: impl Into<String>) -> Self {
        Problem {
            kind: format!("/problems/{code}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_owned(),
            errors: Vec::new(),
        }
    }

    /// The response carrying this document.
    pub fn response(&self) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        HttpResponse::build(status)
            .insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)))
            .json(self)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::ClientCertificateRequired => StatusCode::UNAUTHORIZED,
            ApiError::UnregisteredCertificate
            | ApiError::PlatformSuspended(_)
            | ApiError::Forbidden(_)
            | ApiError::ActingForAnother { .. } => StatusCode::FORBIDDEN,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::NotFound(_) | ApiError::NoRoute(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::InvalidRequest { .. } | ApiError::InvalidDocument { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            ApiError::Conflict(_) | ApiError::Outdated(_) => StatusCode::CONFLICT,
            ApiError::BridgeNotConfigured
            | ApiError::NoTrustList(_)
            | ApiError::ReceiptsNotConfigured
            | ApiError::Draining => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Timeout(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(cause) => tracing::error!(%cause, "internal error"),
            ApiError::Unavailable(cause) => tracing::error!(%cause, "database unavailable"),
            _ => {}
        }
        let mut problem = Problem::new(
            self.code(),
            self.title(),
            self.status_code(),
            self.to_string(),
        );
        match self {
            ApiError::InvalidRequest { errors, .. } => problem.errors = errors.clone(),
            ApiError::InvalidDocument { findings, .. } => problem.errors = findings.clone(),
            _ => {}
        }
        let mut response = problem.response();
        if let ApiError::RateLimited { retry_after_secs } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
        }
        if let ApiError::ClientCertificateRequired = self {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("MutualTLS"),
            );
        }
        response
    }
}
