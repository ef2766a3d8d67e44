//! The platform registry in the database.

use diesel::prelude::*;

use super::schema::platforms;
use super::{DbConnection, DbError, now_text};
use crate::registry::{Caller, CertFingerprint, PlatformId, PlatformStatus, Province, Role};

#[derive(Queryable, Selectable)]
#[diesel(table_name = platforms)]
struct Row {
    id: String,
    role: String,
    province: Option<String>,
    name: String,
    status: String,
    cert_sha256: String,
}

impl Row {
    /// Rows are written only through this module, so a value that does not parse is corruption.
    fn into_caller(self) -> Result<Caller, DbError> {
        let corrupt = |what: &str, e: String| {
            DbError::Query(diesel::result::Error::DeserializationError(
                format!("platforms.{what} of `{}`: {e}", self.id).into(),
            ))
        };
        Ok(Caller {
            id: self.id.parse().map_err(|e| corrupt("id", e))?,
            role: self.role.parse().map_err(|e| corrupt("role", e))?,
            province: self
                .province
                .as_deref()
                .map(str::parse::<Province>)
                .transpose()
                .map_err(|e| corrupt("province", e))?,
            name: self.name.clone(),
            status: self.status.parse().map_err(|e| corrupt("status", e))?,
            cert_sha256: self
                .cert_sha256
                .parse()
                .map_err(|e| corrupt("cert_sha256", e))?,
        })
    }
}

/// The caller whose client certificate has this fingerprint, if registered.
pub fn find_by_fingerprint(
    conn: &mut DbConnection,
    fingerprint: &CertFingerprint,
) -> Result<Option<Caller>, DbError> {
    platforms::table
        .filter(platforms::cert_sha256.eq(fingerprint.as_str()))
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(Row::into_caller)
        .transpose()
}

/// One registered caller by id.
pub fn find(conn: &mut DbConnection, id: &PlatformId) -> Result<Option<Caller>, DbError> {
    platforms::table
        .find(id.as_str())
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(Row::into_caller)
        .transpose()
}

/// Every registered caller, by id.
pub fn list(conn: &mut DbConnection) -> Result<Vec<Caller>, DbError> {
    platforms::table
        .order(platforms::id.asc())
        .select(Row::as_select())
        .load(conn)?
        .into_iter()
        .map(Row::into_caller)
        .collect()
}

/// Registers a caller unless one with that id exists already. Returns whether it was added.
pub fn insert_if_missing(
    conn: &mut DbConnection,
    id: &PlatformId,
    role: Role,
    province: Option<Province>,
    name: &str,
    fingerprint: &CertFingerprint,
) -> Result<bool, DbError> {
    if find(conn, id)?.is_some() {
        return Ok(false);
    }
    let now = now_text();
    diesel::insert_into(platforms::table)
        .values((
            platforms::id.eq(id.as_str()),
            platforms::role.eq(role.as_str()),
            platforms::province.eq(province.map(Province::as_str)),
            platforms::name.eq(name),
            platforms::status.eq(PlatformStatus::Active.as_str()),
            platforms::cert_sha256.eq(fingerprint.as_str()),
            platforms::created_at.eq(&now),
            platforms::updated_at.eq(&now),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Sets a caller's status. Returns `false` when no such caller exists.
pub fn set_status(
    conn: &mut DbConnection,
    id: &PlatformId,
    status: PlatformStatus,
) -> Result<bool, DbError> {
    let n = diesel::update(platforms::table.find(id.as_str()))
        .set((
            platforms::status.eq(status.as_str()),
            platforms::updated_at.eq(now_text()),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Replaces a caller's certificate fingerprint. Returns `false` when no such caller exists.
pub fn set_fingerprint(
    conn: &mut DbConnection,
    id: &PlatformId,
    fingerprint: &CertFingerprint,
) -> Result<bool, DbError> {
    let n = diesel::update(platforms::table.find(id.as_str()))
        .set((
            platforms::cert_sha256.eq(fingerprint.as_str()),
            platforms::updated_at.eq(now_text()),
        ))
        .execute(conn)?;
    Ok(n == 1)
}
