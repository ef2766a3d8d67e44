//! The bridge data one instance uses, parsed once per revocation-data version.
//!
//! Why this module exists: parsing a trust list and its CRLs costs milliseconds; verifying a
//! certificate should not. A [`Snapshot`] is immutable and shared (`Arc`) by concurrent requests.

use ca_bridge::{Crl, RevocationData, TrustList, TrustListSigner, TrustListVerifier};

use crate::db::DbConnection;
use crate::db::DbError;
use crate::db::bridge::{self, StoredCrl, StoredTrustList};
use crate::problem::ApiError;

/// The trust list and CRLs of one revocation-data version.
pub struct Snapshot {
    /// The revocation-data version it was loaded at (`None`: nothing loaded yet).
    pub version: Option<i64>,
    /// The installed list as stored (without re-parsing), when one is installed.
    pub stored_list: Option<StoredTrustList>,
    /// The list ready for verification, or why the installed list cannot be used (e.g. it
    /// expired). `None` when no list is installed.
    pub verifier: Option<Result<TrustListVerifier, ca_bridge::Error>>,
    /// The CRLs in use, as stored (DER bytes dropped: `revocation` holds them parsed).
    pub crls: Vec<StoredCrl>,
    /// The CRLs, parsed, for `ca_bridge`.
    pub revocation: RevocationData,
}

impl Snapshot {
    /// A snapshot before anything was loaded.
    pub fn empty() -> Snapshot {
        Snapshot {
            version: None,
            stored_list: None,
            verifier: None,
            crls: Vec::new(),
            revocation: RevocationData::default(),
        }
    }

    /// Loads the current data. The version is read first, so the data is at least that recent.
    pub fn load(
        conn: &mut DbConnection,
        signer: &TrustListSigner,
        now: i64,
    ) -> Result<Snapshot, DbError> {
        let version = bridge::revocation_version(conn)?;
        let stored_list = bridge::current_trust_list(conn)?;
        let verifier = stored_list
            .as_ref()
            .map(|s| TrustList::load(&s.signed_document, signer, now).map(TrustListVerifier::new));
        let mut crls = bridge::list_crls(conn)?;
        let mut revocation = RevocationData::default();
        for stored in &mut crls {
            match Crl::from_der(&stored.der) {
                Ok(crl) => revocation.crls.push(crl),
                // Stored only after decoding: a failure here means the row was altered.
                Err(e) => {
                    tracing::error!(issuer = %stored.issuer, error = %e, "stored CRL does not decode; ignored")
                }
            }
            stored.der = Vec::new();
        }
        Ok(Snapshot {
            version: Some(version),
            stored_list,
            verifier,
            crls,
            revocation,
        })
    }

    /// The installed list's sequence, when one is installed.
    pub fn sequence(&self) -> Option<i64> {
        self.stored_list.as_ref().map(|l| l.sequence)
    }

    /// The list for verification at `now`.
    ///
    /// # Errors
    /// [`ApiError::NoTrustList`] (503): none is installed, or the installed one cannot be used
    /// now (it expired), with the reason.
    pub fn verifier_at(&self, now: i64) -> Result<&TrustListVerifier, ApiError> {
        let unusable = |e: ca_bridge::Error| {
            ApiError::NoTrustList(format!("the installed trust list cannot be used: {e}"))
        };
        match &self.verifier {
            None => Err(ApiError::NoTrustList(
                "no trust list is installed".to_owned(),
            )),
            Some(Err(e)) => Err(unusable(e.clone())),
            Some(Ok(v)) => v
                .trust_list()
                .check_current(now)
                .map(|()| v)
                .map_err(unusable),
        }
    }
}
