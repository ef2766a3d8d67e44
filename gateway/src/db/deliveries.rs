//! Webhook subscriptions and the delivery outbox.
//!
//! [`enqueue`] runs inside the publishing transaction, so an event and its deliveries commit
//! together. Workers [`claim`] the oldest pending delivery of a subscriber with a compare-and-set
//! on a lease: on PostgreSQL the `UPDATE ... WHERE locked_until < now` re-checks the row after
//! waiting for a concurrent writer, so only one instance sends a given delivery at a time, and
//! one subscriber's deliveries go out one at a time, in feed order.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::schema::{deliveries, subscriptions};
use super::{DbConnection, DbError, now_text};

/// What a subscriber wants pushed; empty lists mean everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Filters {
    /// Notice kinds (`tender`, `correction`, ...).
    pub kinds: Vec<String>,
    /// Trade categories.
    pub categories: Vec<String>,
    /// Project region codes (6 digits).
    pub regions: Vec<String>,
}

impl Filters {
    /// Whether an event about a notice of this kind, category and region is wanted.
    pub fn matches(&self, kind: &str, category: &str, region: &str) -> bool {
        let ok = |list: &[String], v: &str| list.is_empty() || list.iter().any(|x| x == v);
        ok(&self.kinds, kind) && ok(&self.categories, category) && ok(&self.regions, region)
    }
}

/// A platform's webhook subscription.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = subscriptions)]
pub struct Subscription {
    /// The subscriber.
    pub platform_id: String,
    /// Where deliveries are POSTed.
    pub url: String,
    /// HMAC secret.
    pub secret: String,
    /// The secret before the last rotation, still used to sign until `previous_secret_until`.
    pub previous_secret: Option<String>,
    /// End of the rotation overlap.
    pub previous_secret_until: Option<String>,
    /// Dialect of the pushed documents.
    pub format: String,
    /// Filters as JSON.
    pub filters: String,
    /// Created at.
    pub created_at: String,
    /// Last changed at.
    pub updated_at: String,
}

/// A delivery as listed.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = deliveries)]
pub struct Delivery {
    /// Delivery id (also in URLs).
    pub id: String,
    /// Subscriber.
    pub platform_id: String,
    /// Feed sequence of the event.
    pub event_seq: i64,
    /// `pending`, `delivered` or `dead`.
    pub status: String,
    /// Attempts made.
    pub attempts: i32,
    /// Earliest time of the next attempt.
    pub next_attempt_at: String,
    /// Worker holding the lease.
    pub locked_by: Option<String>,
    /// Lease end.
    pub locked_until: Option<String>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// Enqueued at.
    pub created_at: String,
    /// When the event was committed (for latency).
    pub committed_at: String,
    /// When the receiver acknowledged.
    pub delivered_at: Option<String>,
}

/// Creates or replaces a subscription. A new secret keeps the old one valid until
/// `overlap_until`. Returns whether the subscription is new.
pub fn upsert_subscription(
    conn: &mut DbConnection,
    platform: &str,
    url: &str,
    secret: &str,
    format: &str,
    filters: &Filters,
    overlap_until: &str,
) -> Result<bool, DbError> {
    let filters = serde_json::to_string(filters)
        .map_err(|e| DbError::Task(format!("filters do not serialise: {e}")))?;
    let now = now_text();
    let existing = find_subscription(conn, platform)?;
    match existing {
        None => {
            diesel::insert_into(subscriptions::table)
                .values((
                    subscriptions::platform_id.eq(platform),
                    subscriptions::url.eq(url),
                    subscriptions::secret.eq(secret),
                    subscriptions::format.eq(format),
                    subscriptions::filters.eq(&filters),
                    subscriptions::created_at.eq(&now),
                    subscriptions::updated_at.eq(&now),
                ))
                .execute(conn)?;
            Ok(true)
        }
        Some(old) => {
            let (previous, until) = if old.secret == secret {
                (old.previous_secret, old.previous_secret_until)
            } else {
                (Some(old.secret), Some(overlap_until.to_owned()))
            };
            diesel::update(subscriptions::table.find(platform))
                .set((
                    subscriptions::url.eq(url),
                    subscriptions::secret.eq(secret),
                    subscriptions::previous_secret.eq(previous),
                    subscriptions::previous_secret_until.eq(until),
                    subscriptions::format.eq(format),
                    subscriptions::filters.eq(&filters),
                    subscriptions::updated_at.eq(&now),
                ))
                .execute(conn)?;
            Ok(false)
        }
    }
}

/// A platform's subscription.
pub fn find_subscription(
    conn: &mut DbConnection,
    platform: &str,
) -> Result<Option<Subscription>, DbError> {
    Ok(subscriptions::table
        .find(platform)
        .select(Subscription::as_select())
        .first(conn)
        .optional()?)
}

/// Removes a subscription; pending deliveries to it are dropped (delivered and dead stay).
pub fn delete_subscription(conn: &mut DbConnection, platform: &str) -> Result<bool, DbError> {
    diesel::delete(
        deliveries::table
            .filter(deliveries::platform_id.eq(platform))
            .filter(deliveries::status.eq("pending")),
    )
    .execute(conn)?;
    Ok(diesel::delete(subscriptions::table.find(platform)).execute(conn)? == 1)
}

/// Inside the publishing transaction: one delivery per matching subscriber other than the publisher.
pub fn enqueue(
    conn: &mut DbConnection,
    seq: i64,
    publisher: &str,
    kind: &str,
    category: &str,
    region: &str,
    committed_at: &str,
) -> Result<usize, DbError> {
    let subs: Vec<(String, String)> = subscriptions::table
        .filter(subscriptions::platform_id.ne(publisher))
        .select((subscriptions::platform_id, subscriptions::filters))
        .load(conn)?;
    let mut n = 0;
    for (platform, filters) in subs {
        let filters: Filters = serde_json::from_str(&filters).unwrap_or_default();
        if !filters.matches(kind, category, region) {
            continue;
        }
        diesel::insert_into(deliveries::table)
            .values((
                deliveries::id.eq(uuid::Uuid::now_v7().to_string()),
                deliveries::platform_id.eq(&platform),
                deliveries::event_seq.eq(seq),
                deliveries::status.eq("pending"),
                deliveries::attempts.eq(0),
                deliveries::next_attempt_at.eq(committed_at),
                deliveries::created_at.eq(committed_at),
                deliveries::committed_at.eq(committed_at),
            ))
            .execute(conn)?;
        n += 1;
    }
    Ok(n)
}

/// Takes the lease on the oldest pending delivery of some subscriber, if one is due and no other
/// worker holds that subscriber's head.
pub fn claim(
    conn: &mut DbConnection,
    worker: &str,
    now: &str,
    lease_until: &str,
) -> Result<Option<Delivery>, DbError> {
    let platforms: Vec<String> = subscriptions::table
        .select(subscriptions::platform_id)
        .order(subscriptions::platform_id.asc())
        .load(conn)?;
    for platform in platforms {
        let head: Option<Delivery> = deliveries::table
            .filter(deliveries::platform_id.eq(&platform))
            .filter(deliveries::status.eq("pending"))
            .order(deliveries::event_seq.asc())
            .select(Delivery::as_select())
            .first(conn)
            .optional()?;
        let Some(head) = head else { continue };
        let leased = head.locked_until.as_deref().is_some_and(|t| t > now);
        if head.next_attempt_at.as_str() > now || leased {
            continue;
        }
        let taken = super::in_writer_turn(conn, |conn| {
            Ok(diesel::update(
                deliveries::table
                    .filter(deliveries::id.eq(&head.id))
                    .filter(deliveries::status.eq("pending"))
                    .filter(
                        deliveries::locked_until
                            .is_null()
                            .or(deliveries::locked_until.le(now)),
                    ),
            )
            .set((
                deliveries::locked_by.eq(worker),
                deliveries::locked_until.eq(lease_until),
            ))
            .execute(conn)?)
        })?;
        if taken == 1 {
            return Ok(Some(Delivery {
                locked_by: Some(worker.to_owned()),
                locked_until: Some(lease_until.to_owned()),
                ..head
            }));
        }
    }
    Ok(None)
}

/// Records an acknowledged delivery (only by the worker holding the lease).
pub fn mark_delivered(conn: &mut DbConnection, id: &str, worker: &str) -> Result<bool, DbError> {
    let n = super::in_writer_turn(conn, |conn| {
        Ok(diesel::update(
            deliveries::table
                .filter(deliveries::id.eq(id))
                .filter(deliveries::locked_by.eq(worker)),
        )
        .set((
            deliveries::status.eq("delivered"),
            deliveries::attempts.eq(deliveries::attempts + 1),
            deliveries::delivered_at.eq(now_text()),
            deliveries::locked_by.eq(None::<String>),
            deliveries::locked_until.eq(None::<String>),
            deliveries::last_error.eq(None::<String>),
        ))
        .execute(conn)?)
    })?;
    Ok(n == 1)
}

/// Records a failed attempt: retried at `next_attempt_at`, or dead when `dead`.
pub fn mark_failed(
    conn: &mut DbConnection,
    id: &str,
    worker: &str,
    error: &str,
    next_attempt_at: &str,
    dead: bool,
) -> Result<bool, DbError> {
    let n = super::in_writer_turn(conn, |conn| {
        Ok(diesel::update(
            deliveries::table
                .filter(deliveries::id.eq(id))
                .filter(deliveries::locked_by.eq(worker)),
        )
        .set((
            deliveries::status.eq(if dead { "dead" } else { "pending" }),
            deliveries::attempts.eq(deliveries::attempts + 1),
            deliveries::next_attempt_at.eq(next_attempt_at),
            deliveries::locked_by.eq(None::<String>),
            deliveries::locked_until.eq(None::<String>),
            deliveries::last_error.eq(error),
        ))
        .execute(conn)?)
    })?;
    Ok(n == 1)
}

/// Deliveries, newest first, optionally of one platform and one status.
pub fn list(
    conn: &mut DbConnection,
    platform: Option<&str>,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<Delivery>, DbError> {
    let mut q = deliveries::table
        .select(Delivery::as_select())
        .order(deliveries::event_seq.desc())
        .limit(limit)
        .into_boxed();
    if let Some(p) = platform {
        q = q.filter(deliveries::platform_id.eq(p.to_owned()));
    }
    if let Some(s) = status {
        q = q.filter(deliveries::status.eq(s.to_owned()));
    }
    Ok(q.load(conn)?)
}

/// Puts a dead (or pending) delivery back in the queue for an immediate attempt. `platform`
/// restricts it to that subscriber's deliveries. Returns the delivery, or `None` when not found.
pub fn retry(
    conn: &mut DbConnection,
    id: &str,
    platform: Option<&str>,
) -> Result<Option<Delivery>, DbError> {
    let mut target = deliveries::table
        .filter(deliveries::id.eq(id))
        .select(Delivery::as_select())
        .into_boxed();
    if let Some(p) = platform {
        target = target.filter(deliveries::platform_id.eq(p.to_owned()));
    }
    let Some(found) = target.first(conn).optional()? else {
        return Ok(None);
    };
    // Compare-and-set on the status read above, so a row that changed meanwhile is left alone.
    let target = deliveries::table
        .filter(deliveries::id.eq(id))
        .filter(deliveries::status.eq(found.status.clone()));
    match found.status.as_str() {
        // A dead letter starts over.
        "dead" => {
            diesel::update(target)
                .set((
                    deliveries::status.eq("pending"),
                    deliveries::attempts.eq(0),
                    deliveries::next_attempt_at.eq(now_text()),
                    deliveries::locked_by.eq(None::<String>),
                    deliveries::locked_until.eq(None::<String>),
                ))
                .execute(conn)?;
        }
        // A pending one is made due now; a lease held by a worker sending it is kept, so the
        // event is never in flight twice.
        "pending" => {
            diesel::update(target)
                .set(deliveries::next_attempt_at.eq(now_text()))
                .execute(conn)?;
        }
        _ => {}
    }
    Ok(deliveries::table
        .filter(deliveries::id.eq(id))
        .select(Delivery::as_select())
        .first(conn)
        .optional()?)
}

/// Pending and dead deliveries, for the outbox gauges.
pub fn counts(conn: &mut DbConnection) -> Result<(i64, i64), DbError> {
    let pending = deliveries::table
        .filter(deliveries::status.eq("pending"))
        .count()
        .get_result(conn)?;
    let dead = deliveries::table
        .filter(deliveries::status.eq("dead"))
        .count()
        .get_result(conn)?;
    Ok((pending, dead))
}
