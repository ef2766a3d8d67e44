//! Publishing, reading, searching and the pull feed of announcements.
//!
//! A platform publishes in its own dialect; the document must translate into every other
//! province's format before anything is stored, so every province can always receive it.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use interchange::{Dialect, NoticeKind};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::db::announcements::{self as store, Published, Search};
use crate::db::timestamp_text;
use crate::exchange;
use crate::http::AppState;
use crate::http::extract::RequestId;
use crate::problem::ApiError;
use crate::registry::{Caller, Province, Role};

/// Default page size of the feed and the search.
pub(crate) const PAGE_DEFAULT: i64 = 50;
/// The largest page a client may ask for.
pub(crate) const PAGE_MAX: i64 = 100;

pub(crate) fn caller_dialect(caller: &Caller) -> Option<Dialect> {
    caller.province.map(|p| match p {
        Province::Shanghai => Dialect::Shanghai,
        Province::Jiangsu => Dialect::Jiangsu,
        Province::Zhejiang => Dialect::Zhejiang,
    })
}

fn format_param(raw: Option<&str>, caller: &Caller) -> Result<Dialect, ApiError> {
    match raw {
        Some(name) => super::interchange::dialect("format", name, false),
        None => Ok(caller_dialect(caller).unwrap_or(Dialect::Canonical)),
    }
}

fn links(id: &str, version: i32) -> Value {
    json!({
        "self": format!("/v1/announcements/{id}"),
        "version": format!("/v1/announcements/{id}/versions/{version}"),
        "versions": format!("/v1/announcements/{id}/versions"),
        "original": format!("/v1/announcements/{id}/original"),
    })
}

fn media_type_ok(req: &HttpRequest, dialect: Dialect) -> Result<(), ApiError> {
    let given = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    let expected = dialect.content_type();
    let acceptable = match given.as_deref() {
        Some("text/xml") => expected == "application/xml",
        Some(t) => t == expected,
        None => false,
    };
    if acceptable {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(format!(
            "{dialect} announcements are sent as {expected}, not {}",
            given.as_deref().unwrap_or("(no content type)")
        )))
    }
}

/// `POST /v1/announcements`: publish in the caller's own dialect.
pub(super) async fn publish(
    caller: Caller,
    RequestId(request_id): RequestId,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let dialect = match (caller.role, caller_dialect(&caller)) {
        (Role::Platform, Some(d)) => d,
        _ => {
            return Err(ApiError::Forbidden(
                "only platforms publish announcements".to_owned(),
            ));
        }
    };
    media_type_ok(&req, dialect)?;
    let idempotency_key = match req.headers().get("idempotency-key") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .filter(|k| (1..=200).contains(&k.len()))
                .ok_or_else(|| {
                    ApiError::invalid(
                        "Idempotency-Key",
                        "invalid-idempotency-key",
                        "1 to 200 visible ASCII characters",
                    )
                })?
                .to_owned(),
        ),
    };
    let prepared = exchange::prepare(
        &state,
        &caller.id,
        dialect,
        &body,
        request_id,
        idempotency_key,
    )?;
    let ann = prepared.announcement;
    let identity = ann.identity();
    let doc = prepared.document;
    let published = state
        .db
        .run_write(move |conn| store::publish(conn, &doc))
        .await?;
    let warnings = prepared.warnings;
    let respond = |status: actix_web::http::StatusCode, id: &str, version: i32, created: bool| {
        let mut r = HttpResponse::build(status);
        if created {
            r.insert_header((header::LOCATION, format!("/v1/announcements/{id}")));
        }
        r.json(json!({
            "id": id,
            "version": version,
            "created": created,
            "warnings": warnings,
            "links": links(id, version),
        }))
    };
    use actix_web::http::StatusCode;
    match published {
        Published::Created { id, version } | Published::Versioned { id, version } => {
            state
                .metrics
                .announcements_published
                .with_label_values(&[caller.id.as_str(), ann.kind.as_str()])
                .inc();
            Ok(respond(StatusCode::CREATED, &id, version, true))
        }
        Published::Unchanged { id, version } => Ok(respond(StatusCode::OK, &id, version, false)),
        Published::Conflict { id, version } => Err(ApiError::Conflict(format!(
            "document `{}` is stored already as version {version} of announcement {id} with other content; \
             publish a correction, clarification, extension or termination to change it",
            ann.source.notice_id
        ))),
        Published::Terminated { id } => Err(ApiError::Conflict(format!(
            "announcement {id} is terminated: it takes no further versions"
        ))),
        Published::KeyReused { id, version } => Err(ApiError::Conflict(format!(
            "this Idempotency-Key was used for another request (announcement {id}, version {version})"
        ))),
        Published::UnknownOriginal => Err(ApiError::InvalidRequest {
            detail: format!(
                "no announcement `{}` of platform `{}` to {}",
                identity.notice_id, caller.id, ann.kind
            ),
            errors: vec![crate::problem::FieldError {
                path: "original".to_owned(),
                code: "unknown-original".to_owned(),
                message: format!(
                    "the original notice `{}` was not published through the gateway",
                    identity.notice_id
                ),
                message_zh: Some(format!("原公告 `{}` 未经本网关发布", identity.notice_id)),
                severity: Some("error"),
            }],
        }),
    }
}

/// Query with an optional output format.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FormatQuery {
    format: Option<String>,
}

async fn respond_version(
    caller: &Caller,
    state: &web::Data<AppState>,
    id: String,
    version: Option<i32>,
    format: Option<&str>,
) -> Result<HttpResponse, ApiError> {
    let format = format_param(format, caller)?;
    let shown = id.clone();
    let row = state
        .db
        .run(move |conn| {
            let Some(notice) = store::find_notice(conn, &id)? else {
                return Ok(None);
            };
            let v = version.unwrap_or(notice.current_version);
            Ok(store::find_version(conn, &id, v)?.map(|row| (notice, row)))
        })
        .await?;
    let (notice, row) = row.ok_or_else(|| match version {
        Some(v) => ApiError::NotFound(format!("announcement {shown} has no version {v}")),
        None => ApiError::NotFound(format!("no announcement {shown}")),
    })?;
    let body = exchange::render_stored(state, &row.canonical, format)?;
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header(("x-announcement-version", row.version.to_string()))
        .insert_header((
            "x-announcement-current-version",
            notice.current_version.to_string(),
        ))
        .insert_header(("x-announcement-status", notice.status))
        .body(body))
}

fn parse_version(raw: &str) -> Result<i32, ApiError> {
    raw.parse::<i32>().ok().filter(|v| *v >= 1).ok_or_else(|| {
        ApiError::invalid(
            "{version}",
            "invalid-version",
            "a version is a number from 1",
        )
    })
}

/// `GET /v1/announcements/{id}?format=X`: the current version.
pub(super) async fn get(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<FormatQuery>,
) -> Result<HttpResponse, ApiError> {
    respond_version(
        &caller,
        &state,
        path.into_inner(),
        None,
        query.format.as_deref(),
    )
    .await
}

/// `GET /v1/announcements/{id}/versions/{version}?format=X`.
pub(super) async fn get_version(
    caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    query: web::Query<FormatQuery>,
) -> Result<HttpResponse, ApiError> {
    let (id, version) = path.into_inner();
    let version = parse_version(&version)?;
    respond_version(&caller, &state, id, Some(version), query.format.as_deref()).await
}

/// `GET /v1/announcements/{id}/versions`.
pub(super) async fn versions(
    _caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let lookup = id.clone();
    let found = state
        .db
        .run(move |conn| {
            let Some(notice) = store::find_notice(conn, &lookup)? else {
                return Ok(None);
            };
            Ok(Some((notice, store::list_versions(conn, &lookup)?)))
        })
        .await?;
    let (notice, versions) =
        found.ok_or_else(|| ApiError::NotFound(format!("no announcement {id}")))?;
    let list: Vec<Value> = versions
        .into_iter()
        .map(|v| {
            json!({
                "version": v.version,
                "document_id": v.document_id,
                "kind": v.kind,
                "canonical_sha256": v.canonical_sha256,
                "original_sha256": v.original_sha256,
                "stored_at": v.created_at,
                "href": format!("/v1/announcements/{id}/versions/{}", v.version),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "announcement": notice,
        "versions": list,
    })))
}

/// Query of `GET /v1/announcements/{id}/original`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OriginalQuery {
    version: Option<String>,
}

/// `GET /v1/announcements/{id}/original[?version=N]`: the bytes as the publisher sent them.
pub(super) async fn original(
    _caller: Caller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<OriginalQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let version = query.version.as_deref().map(parse_version).transpose()?;
    let lookup = id.clone();
    let row = state
        .db
        .run(move |conn| {
            let Some(notice) = store::find_notice(conn, &lookup)? else {
                return Ok(None);
            };
            store::find_version(conn, &lookup, version.unwrap_or(notice.current_version))
        })
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no such announcement version of {id}")))?;
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_str(&row.original_content_type)
                .unwrap_or(HeaderValue::from_static("application/octet-stream")),
        ))
        .insert_header(("x-content-sha256", row.original_sha256))
        .insert_header(("x-announcement-version", row.version.to_string()))
        .body(row.original))
}

fn parse_limit(raw: Option<&str>) -> Result<i64, ApiError> {
    match raw {
        None => Ok(PAGE_DEFAULT),
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=PAGE_MAX).contains(n))
            .ok_or_else(|| {
                ApiError::invalid(
                    "?limit",
                    "out-of-range",
                    format!("limit is a number from 1 to {PAGE_MAX}"),
                )
            }),
    }
}

fn parse_cursor(param: &str, raw: Option<&str>) -> Result<Option<i64>, ApiError> {
    raw.map(|s| {
        s.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            ApiError::invalid(
                format!("?{param}"),
                "malformed-cursor",
                "not a cursor returned by this API",
            )
        })
    })
    .transpose()
}

/// Query of `GET /v1/announcements`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SearchQuery {
    region: Option<String>,
    category: Option<String>,
    kind: Option<String>,
    source: Option<String>,
    published_after: Option<String>,
    q: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

/// `GET /v1/announcements?region=&category=&kind=&source=&published_after=&q=&cursor=&limit=`.
pub(super) async fn search(
    _caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    if let Some(k) = &q.kind {
        k.parse::<NoticeKind>()
            .map_err(|e| ApiError::invalid("?kind", "unknown-kind", e.to_string()))?;
    }
    if let Some(c) = &q.category {
        c.parse::<interchange::TradeCategory>()
            .map_err(|e| ApiError::invalid("?category", "unknown-category", e.to_string()))?;
    }
    if let Some(r) = &q.region {
        interchange::RegionCode::parse(r)
            .map_err(|e| ApiError::invalid("?region", "invalid-region", e.to_string()))?;
    }
    let published_after = q
        .published_after
        .as_deref()
        .map(|t| {
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                .map(timestamp_text)
                .map_err(|e| {
                    ApiError::invalid(
                        "?published_after",
                        "invalid-time",
                        format!("not RFC 3339: {e}"),
                    )
                })
        })
        .transpose()?;
    if q.q
        .as_deref()
        .is_some_and(|s| s.is_empty() || s.chars().count() > 100)
    {
        return Err(ApiError::invalid(
            "?q",
            "out-of-range",
            "q is 1 to 100 characters",
        ));
    }
    let search = Search {
        region: q.region,
        category: q.category,
        kind: q.kind,
        source: q.source,
        published_after,
        q: q.q,
        before_seq: parse_cursor("cursor", q.cursor.as_deref())?,
        limit: parse_limit(q.limit.as_deref())?,
    };
    let limit = search.limit;
    let rows = state
        .db
        .run(move |conn| store::search(conn, &search))
        .await?;
    let next = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.first_seq.to_string()))
        .flatten();
    let items: Vec<Value> = rows
        .iter()
        .map(|r| {
            let mut v = json!(r);
            v["links"] = links(&r.id, r.current_version);
            v
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "announcements": items, "next_cursor": next })))
}

/// Query of `GET /v1/feed`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FeedQuery {
    after: Option<String>,
    limit: Option<String>,
    format: Option<String>,
}

/// `GET /v1/feed?after=CURSOR&limit=N&format=X`: events of the other provinces in commit order.
pub(super) async fn feed(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<FeedQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let format = format_param(q.format.as_deref(), &caller)?;
    let after = parse_cursor("after", q.after.as_deref())?.unwrap_or(0);
    let limit = parse_limit(q.limit.as_deref())?;
    let exclude = (caller.role == Role::Platform).then(|| caller.id.to_string());
    let items = state
        .db
        .run(move |conn| store::feed(conn, after, limit, exclude.as_deref()))
        .await?;
    let events = items
        .iter()
        .map(|item| exchange::event_json(&state, item, format))
        .collect::<Result<Vec<_>, _>>()?;
    let next = items.last().map_or(after, |i| i.seq);
    Ok(HttpResponse::Ok().json(json!({
        "events": events,
        "next_cursor": next.to_string(),
        "has_more": items.len() as i64 == limit,
    })))
}
