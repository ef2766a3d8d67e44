//! Checking and storing trust lists and CRLs: one path for the API, the CLI, the demo and the
//! CRL fetcher.
//!
//! Why this module exists: what may enter the bridge's data is decided here, once. A trust list
//! must carry the pinned operator's signature and be current; a CRL must be issued by a CA of
//! the list in use and be current; the database then keeps the highest list sequence and the
//! newest CRL per issuer and scope ([`crate::db::bridge`]).

use ca_bridge::{Crl, TrustList, TrustListSigner};
use sha2::{Digest, Sha256};

use crate::db::DbConnection;
use crate::db::bridge::{self, Actor, NewTrustList, Refused, Stored, StoredCrl};

/// Why a trust list or CRL was not installed.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// The document itself was refused by `ca_bridge` (format, signature, signer, freshness, issuer).
    #[error("{0}")]
    Invalid(ca_bridge::Error),
    /// The store refused it (older than the one in use, or a conflicting document) or failed.
    #[error(transparent)]
    Refused(#[from] Refused),
}

/// A trust list after installation.
#[derive(Debug, Clone)]
pub struct InstalledList {
    /// Its sequence number.
    pub sequence: u64,
    /// Whether it is new or was already installed.
    pub stored: Stored,
    /// `ca_bridge`'s summary of it (provinces, services, times).
    pub summary: serde_json::Value,
}

/// Checks `signed` against the pinned `signer` at `now` and installs it unless a higher sequence
/// is installed.
pub fn install_trust_list(
    conn: &mut DbConnection,
    signer: &TrustListSigner,
    signed: &[u8],
    now: i64,
    actor: Actor<'_>,
) -> Result<InstalledList, InstallError> {
    let list = TrustList::load(signed, signer, now).map_err(InstallError::Invalid)?;
    let stored = bridge::install_trust_list(
        conn,
        &NewTrustList {
            sequence: list.sequence(),
            payload_sha256: list.payload_sha256(),
            issued_at: list.issued_at(),
            next_update: list.next_update(),
            signed_document: signed,
        },
        actor,
    )?;
    Ok(InstalledList {
        sequence: list.sequence(),
        stored,
        summary: list.summary_json(),
    })
}

/// Decodes one CRL (PEM `X509 CRL` or DER) and checks it under `list` at `now`; `source` says
/// where it came from (`push:CALLER`, `demo`, or the supply point's URL).
pub fn accept_crl(
    list: &TrustList,
    bytes: &[u8],
    now: i64,
    source: &str,
) -> Result<StoredCrl, ca_bridge::Error> {
    let blocks = ca_bridge::decode_pem_or_der(bytes)?;
    let der = match blocks.as_slice() {
        [(label, der)] if label.is_empty() || label == "X509 CRL" => der,
        _ => {
            return Err(ca_bridge::Error::Malformed {
                object: "crl",
                detail: "expected exactly one CRL (DER, or PEM `X509 CRL`)".to_owned(),
            });
        }
    };
    let crl = Crl::from_der(der)?;
    let accepted = list.accept_crl(&crl, now)?;
    Ok(StoredCrl {
        issuer_key: accepted.issuer_key,
        scope: accepted.scope,
        issuer: accepted.issuer,
        service_id: accepted.service_id,
        province: accepted.province.as_str().to_owned(),
        this_update: accepted.this_update,
        next_update: accepted.next_update,
        crl_number: accepted.number,
        sha256: hex::encode(Sha256::digest(der)),
        der: der.clone(),
        source: source.to_owned(),
        stored_at: String::new(),
    })
}

/// Checks and stores a CRL under `list` (see [`accept_crl`] and [`bridge::store_crl`]).
pub fn install_crl(
    conn: &mut DbConnection,
    list: &TrustList,
    bytes: &[u8],
    now: i64,
    source: &str,
    actor: Actor<'_>,
) -> Result<(StoredCrl, Stored), InstallError> {
    let crl = accept_crl(list, bytes, now, source).map_err(InstallError::Invalid)?;
    let stored = bridge::store_crl(conn, &crl, actor)?;
    Ok((crl, stored))
}
