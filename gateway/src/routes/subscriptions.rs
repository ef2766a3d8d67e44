//! Webhook subscriptions and the state of deliveries, for platforms and operators.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use crate::db::deliveries::{self, Delivery, Filters};
use crate::db::{audit, timestamp_text};
use crate::delivery;
use crate::http::AppState;
use crate::http::extract::{Operator, RequestId};
use crate::problem::ApiError;
use crate::registry::{Caller, Role};

/// Body of `PUT /v1/subscriptions/self`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SubscriptionBody {
    url: String,
    secret: String,
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    filters: Filters,
}

fn platform_only(caller: &Caller) -> Result<(), ApiError> {
    if caller.role == Role::Platform {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "subscriptions belong to platforms".to_owned(),
        ))
    }
}

fn delivery_json(d: &Delivery) -> serde_json::Value {
    json!({
        "id": d.id,
        "platform": d.platform_id,
        "event_cursor": d.event_seq.to_string(),
        "status": d.status,
        "attempts": d.attempts,
        "next_attempt_at": d.next_attempt_at,
        "last_error": d.last_error,
        "committed_at": d.committed_at,
        "delivered_at": d.delivered_at,
        "retry": format!("/v1/deliveries/{}/retry", d.id),
    })
}

/// `PUT /v1/subscriptions/self`: register or replace the caller's webhook.
pub(super) async fn put(
    caller: Caller,
    RequestId(request_id): RequestId,
    state: web::Data<AppState>,
    body: web::Json<SubscriptionBody>,
) -> Result<HttpResponse, ApiError> {
    platform_only(&caller)?;
    let body = body.into_inner();
    let mut errors = Vec::new();
    if let Err(e) = delivery::check_url(&state.settings.delivery, &body.url).await {
        errors.push(("/url", "refused-url", e.to_string()));
    }
    if !(16..=256).contains(&body.secret.len()) {
        errors.push((
            "/secret",
            "weak-secret",
            "the secret is 16 to 256 bytes".to_owned(),
        ));
    }
    let format = body.format.clone().unwrap_or_else(|| {
        crate::routes::announcements::caller_dialect(&caller)
            .map_or("canonical", |d| d.name())
            .to_owned()
    });
    if format.parse::<interchange::Dialect>().is_err() {
        errors.push((
            "/format",
            "unknown-dialect",
            format!("unknown format `{format}`"),
        ));
    }
    for (i, kind) in body.filters.kinds.iter().enumerate() {
        if kind.parse::<interchange::NoticeKind>().is_err() {
            errors.push((
                "/filters/kinds",
                "unknown-kind",
                format!("[{i}] `{kind}` is not a notice kind"),
            ));
        }
    }
    for (i, c) in body.filters.categories.iter().enumerate() {
        if c.parse::<interchange::TradeCategory>().is_err() {
            errors.push((
                "/filters/categories",
                "unknown-category",
                format!("[{i}] `{c}` is not a trade category"),
            ));
        }
    }
    for (i, r) in body.filters.regions.iter().enumerate() {
        if interchange::RegionCode::parse(r).is_err() {
            errors.push((
                "/filters/regions",
                "invalid-region",
                format!("[{i}] `{r}` is not a region code"),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::InvalidRequest {
            detail: format!("the subscription has {} error(s)", errors.len()),
            errors: errors
                .into_iter()
                .map(|(path, code, message)| crate::problem::FieldError {
                    path: path.to_owned(),
                    code: code.to_owned(),
                    message,
                    message_zh: None,
                    severity: None,
                })
                .collect(),
        });
    }
    let overlap_until = timestamp_text(
        OffsetDateTime::now_utc()
            + std::time::Duration::from_secs(state.settings.delivery.secret_overlap_secs),
    );
    let platform = caller.id.to_string();
    let (url, filters) = (body.url.clone(), body.filters.clone());
    let created = state
        .db
        .run_write(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                let created = deliveries::upsert_subscription(
                    conn,
                    &platform,
                    &url,
                    &body.secret,
                    &format,
                    &filters,
                    &overlap_until,
                )?;
                audit::append(
                    conn,
                    &audit::AuditEntry {
                        actor: &platform,
                        action: "subscription.put",
                        subject: &format!("subscription:{platform}"),
                        request_id: &request_id,
                        content_sha256: None,
                        detail: json!({"url": url, "format": format, "filters": filters}),
                    },
                )?;
                Ok(created)
            })
        })
        .await?;
    let sub = get_json(&state, caller.id.as_str()).await?;
    Ok(if created {
        HttpResponse::Created().json(sub)
    } else {
        HttpResponse::Ok().json(sub)
    })
}

async fn get_json(state: &AppState, platform: &str) -> Result<serde_json::Value, ApiError> {
    let p = platform.to_owned();
    let sub = state
        .db
        .run(move |conn| deliveries::find_subscription(conn, &p))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("platform `{platform}` has no subscription")))?;
    let filters: Filters = serde_json::from_str(&sub.filters).unwrap_or_default();
    Ok(json!({
        "platform": sub.platform_id,
        "url": sub.url,
        "format": sub.format,
        "filters": filters,
        "previous_secret_valid_until": sub.previous_secret_until,
        "created_at": sub.created_at,
        "updated_at": sub.updated_at,
    }))
}

/// `GET /v1/subscriptions/self` (the secret is never shown).
pub(super) async fn get(
    caller: Caller,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    platform_only(&caller)?;
    Ok(HttpResponse::Ok().json(get_json(&state, caller.id.as_str()).await?))
}

/// `DELETE /v1/subscriptions/self`: stop pushing; pending deliveries are dropped.
pub(super) async fn delete(
    caller: Caller,
    RequestId(request_id): RequestId,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    platform_only(&caller)?;
    let platform = caller.id.to_string();
    let removed = state
        .db
        .run_write(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                let removed = deliveries::delete_subscription(conn, &platform)?;
                if removed {
                    audit::append(
                        conn,
                        &audit::AuditEntry {
                            actor: &platform,
                            action: "subscription.delete",
                            subject: &format!("subscription:{platform}"),
                            request_id: &request_id,
                            content_sha256: None,
                            detail: json!({}),
                        },
                    )?;
                }
                Ok(removed)
            })
        })
        .await?;
    if removed {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound("no subscription".to_owned()))
    }
}

/// Query of the delivery listings.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DeliveryQuery {
    status: Option<String>,
    platform: Option<String>,
    limit: Option<i64>,
}

fn check_status(status: Option<&str>) -> Result<(), ApiError> {
    match status {
        None | Some("pending" | "delivered" | "dead") => Ok(()),
        Some(other) => Err(ApiError::invalid(
            "?status",
            "unknown-status",
            format!("`{other}` is not pending, delivered or dead"),
        )),
    }
}

async fn list(
    state: &AppState,
    platform: Option<String>,
    query: DeliveryQuery,
) -> Result<HttpResponse, ApiError> {
    check_status(query.status.as_deref())?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid(
            "?limit",
            "out-of-range",
            "limit is 1 to 500",
        ));
    }
    let status = query.status;
    let found = state
        .db
        .run(move |conn| deliveries::list(conn, platform.as_deref(), status.as_deref(), limit))
        .await?;
    Ok(HttpResponse::Ok().json(json!({
        "deliveries": found.iter().map(delivery_json).collect::<Vec<_>>()
    })))
}

/// `GET /v1/deliveries?status=`: the caller's deliveries, newest first.
pub(super) async fn list_own(
    caller: Caller,
    state: web::Data<AppState>,
    query: web::Query<DeliveryQuery>,
) -> Result<HttpResponse, ApiError> {
    platform_only(&caller)?;
    let query = query.into_inner();
    if query.platform.is_some() {
        return Err(ApiError::invalid(
            "?platform",
            "operators-only",
            "platforms see their own deliveries only",
        ));
    }
    list(&state, Some(caller.id.to_string()), query).await
}

/// `GET /v1/admin/deliveries?status=&platform=`: every platform's deliveries (operators).
pub(super) async fn list_all(
    _op: Operator,
    state: web::Data<AppState>,
    query: web::Query<DeliveryQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let platform = query.platform.clone();
    list(&state, platform, query).await
}

async fn retry(
    state: &AppState,
    actor: &str,
    request_id: String,
    id: String,
    restrict_to: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let actor = actor.to_owned();
    let shown = id.clone();
    let found = state
        .db
        .run_write(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                let found = deliveries::retry(conn, &id, restrict_to.as_deref())?;
                if let Some(d) = &found {
                    audit::append(
                        conn,
                        &audit::AuditEntry {
                            actor: &actor,
                            action: "delivery.retry",
                            subject: &format!("delivery:{}", d.id),
                            request_id: &request_id,
                            content_sha256: None,
                            detail: json!({"platform": d.platform_id, "status": d.status}),
                        },
                    )?;
                }
                Ok(found)
            })
        })
        .await?;
    let d = found.ok_or_else(|| ApiError::NotFound(format!("no delivery {shown}")))?;
    Ok(HttpResponse::Accepted().json(delivery_json(&d)))
}

/// `POST /v1/deliveries/{id}/retry`: queue one of the caller's deliveries again.
pub(super) async fn retry_own(
    caller: Caller,
    RequestId(request_id): RequestId,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    platform_only(&caller)?;
    retry(
        &state,
        caller.id.as_str(),
        request_id,
        path.into_inner(),
        Some(caller.id.to_string()),
    )
    .await
}

/// `POST /v1/admin/deliveries/{id}/retry`: queue any platform's delivery again (operators).
pub(super) async fn retry_any(
    Operator(op): Operator,
    RequestId(request_id): RequestId,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    retry(&state, op.id.as_str(), request_id, path.into_inner(), None).await
}
