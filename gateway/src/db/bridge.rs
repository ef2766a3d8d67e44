//! The bridge's shared data: installed trust lists, the CRLs in use, and the revocation-data
//! version that tells every instance when to reload them.
//!
//! Every change bumps `bridge_state.revocation_version` in the same transaction, so an instance
//! that reads the version before answering never answers from data older than the last commit.

use diesel::prelude::*;

use super::schema::{bridge_state, crls, trust_lists};
use super::{DbConnection, DbError, audit, now_text};

/// A signed trust list as installed.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = trust_lists)]
pub struct StoredTrustList {
    /// The list's sequence number.
    pub sequence: i64,
    /// SHA-256 (hex) of the signed payload.
    pub payload_sha256: String,
    /// issued_at, Unix seconds.
    pub issued_at: i64,
    /// next_update, Unix seconds.
    pub next_update: i64,
    /// The signed envelope exactly as installed.
    pub signed_document: Vec<u8>,
    /// When it was installed (RFC 3339).
    pub installed_at: String,
    /// Who installed it (`cli`, `demo` or the operator's id).
    pub installed_by: String,
}

/// A trust list to install (already loaded and checked by `ca_bridge`).
#[derive(Debug, Clone)]
pub struct NewTrustList<'a> {
    /// Sequence number.
    pub sequence: u64,
    /// SHA-256 (hex) of the signed payload.
    pub payload_sha256: &'a str,
    /// issued_at, Unix seconds.
    pub issued_at: i64,
    /// next_update, Unix seconds.
    pub next_update: i64,
    /// The signed envelope.
    pub signed_document: &'a [u8],
}

/// What installing a trust list or storing a CRL did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// It is now in use.
    Installed,
    /// The same document was already in use: nothing changed.
    Unchanged,
}

/// Why a trust list or CRL was not stored.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// A list with a higher sequence is installed (or a newer CRL of that issuer and scope).
    #[error("{0}")]
    Outdated(String),
    /// Another document with the same sequence (or the same CRL number and time) is installed.
    #[error("{0}")]
    Conflict(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for Refused {
    fn from(e: diesel::result::Error) -> Self {
        Refused::Db(e.into())
    }
}

/// Who and which request changed the bridge's data, for the audit log.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    /// `cli`, `demo`, `fetcher` or the caller's id.
    pub id: &'a str,
    /// The request id (or a generated one).
    pub request_id: &'a str,
}

fn bump_version(conn: &mut DbConnection) -> Result<i64, DbError> {
    Ok(diesel::update(bridge_state::table.find(1))
        .set(bridge_state::revocation_version.eq(bridge_state::revocation_version + 1))
        .returning(bridge_state::revocation_version)
        .get_result(conn)?)
}

/// The revocation-data version: changes whenever a trust list or CRL is stored.
pub fn revocation_version(conn: &mut DbConnection) -> Result<i64, DbError> {
    Ok(bridge_state::table
        .find(1)
        .select(bridge_state::revocation_version)
        .first(conn)?)
}

/// Installs `list` unless a higher sequence is installed, in one transaction with its audit record.
pub fn install_trust_list(
    conn: &mut DbConnection,
    list: &NewTrustList<'_>,
    actor: Actor<'_>,
) -> Result<Stored, Refused> {
    let sequence = i64::try_from(list.sequence)
        .map_err(|_| Refused::Conflict(format!("sequence {} is too large", list.sequence)))?;
    super::write_transaction(conn, |conn| {
        let current: Option<(i64, String)> = trust_lists::table
            .order(trust_lists::sequence.desc())
            .select((trust_lists::sequence, trust_lists::payload_sha256))
            .first(conn)
            .optional()?;
        match current {
            Some((installed, _)) if installed > sequence => {
                return Ok(Err(Refused::Outdated(format!(
                    "trust list sequence {sequence} is older than the installed sequence {installed}"
                ))));
            }
            Some((_, sha)) if sha == list.payload_sha256 => return Ok(Ok(Stored::Unchanged)),
            Some((installed, _)) if installed == sequence => {
                return Ok(Err(Refused::Conflict(format!(
                    "a different trust list with sequence {sequence} is installed"
                ))));
            }
            _ => {}
        }
        diesel::insert_into(trust_lists::table)
            .values((
                trust_lists::sequence.eq(sequence),
                trust_lists::payload_sha256.eq(list.payload_sha256),
                trust_lists::issued_at.eq(list.issued_at),
                trust_lists::next_update.eq(list.next_update),
                trust_lists::signed_document.eq(list.signed_document),
                trust_lists::installed_at.eq(now_text()),
                trust_lists::installed_by.eq(actor.id),
            ))
            .execute(conn)?;
        let version = bump_version(conn)?;
        audit::append(
            conn,
            &audit::AuditEntry {
                actor: actor.id,
                action: "trust-list.install",
                subject: &format!("trust-list:{sequence}"),
                request_id: actor.request_id,
                content_sha256: Some(list.payload_sha256),
                detail: serde_json::json!({"revocation_version": version}),
            },
        )?;
        Ok(Ok(Stored::Installed))
    })?
}

/// The trust list in use: the highest sequence installed.
pub fn current_trust_list(conn: &mut DbConnection) -> Result<Option<StoredTrustList>, DbError> {
    Ok(trust_lists::table
        .order(trust_lists::sequence.desc())
        .select(StoredTrustList::as_select())
        .first(conn)
        .optional()?)
}

/// A stored CRL.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = crls)]
pub struct StoredCrl {
    /// The issuer's normalised name.
    pub issuer_key: String,
    /// What the CRL covers (`full` or `idp:HEX`).
    pub scope: String,
    /// The issuer name for display.
    pub issuer: String,
    /// The trust-list service whose CA issued it.
    pub service_id: String,
    /// That service's province.
    pub province: String,
    /// thisUpdate, Unix seconds.
    pub this_update: i64,
    /// nextUpdate, Unix seconds.
    pub next_update: i64,
    /// cRLNumber (hex).
    pub crl_number: Option<String>,
    /// The DER bytes.
    pub der: Vec<u8>,
    /// SHA-256 (hex) of the DER bytes.
    pub sha256: String,
    /// Where it came from: `demo`, `push:CALLER` or the supply point URL.
    pub source: String,
    /// When it was stored (RFC 3339).
    pub stored_at: String,
}

/// Stores `crl` unless a newer one of the same issuer and scope is in use.
///
/// Newer means a later thisUpdate, or the same thisUpdate and a higher cRLNumber.
pub fn store_crl(
    conn: &mut DbConnection,
    crl: &StoredCrl,
    actor: Actor<'_>,
) -> Result<Stored, Refused> {
    super::write_transaction(conn, |conn| {
        let existing: Option<StoredCrl> = crls::table
            .find((&crl.issuer_key, &crl.scope))
            .select(StoredCrl::as_select())
            .first(conn)
            .optional()?;
        if let Some(old) = &existing {
            if old.sha256 == crl.sha256 {
                return Ok(Ok(Stored::Unchanged));
            }
            if !is_newer(crl, old) {
                return Ok(Err(Refused::Outdated(format!(
                    "a newer CRL of {} is in use (thisUpdate {}, number {})",
                    old.issuer,
                    super::unix_text(old.this_update),
                    old.crl_number.as_deref().unwrap_or("none")
                ))));
            }
            diesel::delete(crls::table.find((&old.issuer_key, &old.scope))).execute(conn)?;
        }
        diesel::insert_into(crls::table)
            .values((
                crls::issuer_key.eq(&crl.issuer_key),
                crls::scope.eq(&crl.scope),
                crls::issuer.eq(&crl.issuer),
                crls::service_id.eq(&crl.service_id),
                crls::province.eq(&crl.province),
                crls::this_update.eq(crl.this_update),
                crls::next_update.eq(crl.next_update),
                crls::crl_number.eq(&crl.crl_number),
                crls::der.eq(&crl.der),
                crls::sha256.eq(&crl.sha256),
                crls::source.eq(&crl.source),
                crls::stored_at.eq(now_text()),
            ))
            .execute(conn)?;
        let version = bump_version(conn)?;
        audit::append(
            conn,
            &audit::AuditEntry {
                actor: actor.id,
                action: "crl.store",
                subject: &format!(
                    "crl:{}:{}",
                    crl.service_id,
                    crl.sha256.get(..16).unwrap_or("")
                ),
                request_id: actor.request_id,
                content_sha256: Some(&crl.sha256),
                detail: serde_json::json!({
                    "issuer": crl.issuer,
                    "this_update": super::unix_text(crl.this_update),
                    "next_update": super::unix_text(crl.next_update),
                    "crl_number": crl.crl_number,
                    "source": crl.source,
                    "revocation_version": version,
                }),
            },
        )?;
        Ok(Ok(Stored::Installed))
    })?
}

fn is_newer(new: &StoredCrl, old: &StoredCrl) -> bool {
    let number = |c: &StoredCrl| {
        c.crl_number.as_deref().map(|h| {
            (
                h.trim_start_matches('0').len(),
                h.trim_start_matches('0').to_owned(),
            )
        })
    };
    new.this_update > old.this_update
        || (new.this_update == old.this_update && number(new) > number(old))
}

/// Every CRL in use, by province and issuer.
pub fn list_crls(conn: &mut DbConnection) -> Result<Vec<StoredCrl>, DbError> {
    Ok(crls::table
        .order((crls::province.asc(), crls::issuer.asc(), crls::scope.asc()))
        .select(StoredCrl::as_select())
        .load(conn)?)
}
