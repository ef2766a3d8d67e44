//! The signed envelope of a trust list.
//!
//! Why this module exists: signing JSON needs a canonical serialisation, and canonicalisation bugs
//! are signature bypasses. The envelope avoids both: the list travels as the exact bytes that were
//! signed, base64-encoded, next to the signature.
//!
//! ```json
//! {"alg": "ES256", "kid": "sha256:<hex SHA-256 of the signer's SubjectPublicKeyInfo>",
//!  "payload": "<base64 of the list's JSON bytes>",
//!  "signature": "<base64 of a DER ECDSA-Sig-Value over the payload bytes, P-256, SHA-256>"}
//! ```
//!
//! `alg` is the only one defined: ECDSA P-256 with SHA-256 (the JOSE name, but the signature is the
//! DER `SEQUENCE { r, s }` that OpenSSL produces and checks, not JWS's raw `r || s`). Base64 is the
//! standard alphabet with padding. The signature covers the decoded payload bytes, nothing else:
//! `kid` is an unauthenticated hint used only to tell "signed by another key" from "altered". The
//! verifier pins the signer (the bridge operator's certificate, from configuration); there is no
//! chain to build and no key in the envelope to trust. Equivalent check with the OpenSSL command
//! line: `jq -r .payload | base64 -d > list.json`, `jq -r .signature | base64 -d > sig.der`,
//! `openssl dgst -sha256 -verify <(openssl x509 -in signer.pem -pubkey -noout) -signature sig.der
//! list.json`.

use base64::Engine as _;
use openssl::hash::MessageDigest;
use openssl::pkey::{Id, PKey, Public};
use serde::{Deserialize, Serialize};

use super::{MAX_TRUST_LIST_BYTES, TrustList, key_id};
use crate::Error;
use crate::error::fmt_time;
use crate::parse::Certificate;

/// The one signature algorithm of the envelope.
pub const ENVELOPE_ALG: &str = "ES256";

/// The envelope as serialised.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedEnvelope {
    /// Always [`ENVELOPE_ALG`].
    pub alg: String,
    /// The signer's key id (`sha256:<hex>`), a hint.
    pub kid: String,
    /// Base64 of the list's exact JSON bytes.
    pub payload: String,
    /// Base64 of the DER ECDSA signature over the payload bytes.
    pub signature: String,
}

/// The pinned signer of trust lists: the operator's certificate, with its P-256 key prepared.
#[derive(Clone, Debug)]
pub struct TrustListSigner {
    cert: Certificate,
    key: PKey<Public>,
    kid: String,
}

fn bad(detail: impl Into<String>) -> Error {
    Error::TrustListMalformed {
        detail: detail.into(),
    }
}

fn is_p256(key: &PKey<impl openssl::pkey::HasPublic>) -> bool {
    key.id() == Id::EC
        && key
            .ec_key()
            .ok()
            .and_then(|k| k.group().curve_name())
            .is_some_and(|n| n == openssl::nid::Nid::X9_62_PRIME256V1)
}

impl TrustListSigner {
    /// Pins `cert` as the signer.
    ///
    /// # Errors
    /// [`Error::Malformed`] (object `trust-list-signer`) when its key is not ECDSA P-256.
    pub fn new(cert: Certificate) -> Result<TrustListSigner, Error> {
        let key = PKey::public_key_from_der(&cert.spki)
            .ok()
            .filter(is_p256)
            .ok_or_else(|| Error::Malformed {
                object: "trust-list-signer",
                detail: format!("{}: the key is not ECDSA P-256", cert.subject().display()),
            })?;
        let kid = key_id(&cert);
        Ok(TrustListSigner { cert, key, kid })
    }

    /// The signer's key id, `sha256:<hex of its SubjectPublicKeyInfo>`.
    pub fn key_id(&self) -> &str {
        &self.kid
    }

    /// The signer's certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.cert
    }

    fn check_validity(&self, now: i64) -> Result<(), Error> {
        let c = &self.cert;
        if now > c.not_after {
            return Err(Error::Expired {
                subject: c.subject().display().to_owned(),
                not_after: fmt_time(c.not_after),
                at: fmt_time(now),
            });
        }
        if now < c.not_before {
            return Err(Error::NotYetValid {
                subject: c.subject().display().to_owned(),
                not_before: fmt_time(c.not_before),
                at: fmt_time(now),
            });
        }
        Ok(())
    }
}

/// Checks the envelope against the pinned signer at `now` and returns the payload bytes.
pub(super) fn open(signed: &[u8], signer: &TrustListSigner, now: i64) -> Result<Vec<u8>, Error> {
    if signed.len() > MAX_TRUST_LIST_BYTES * 2 {
        return Err(bad(format!(
            "{} bytes (limit {})",
            signed.len(),
            MAX_TRUST_LIST_BYTES * 2
        )));
    }
    let value: serde_json::Value =
        serde_json::from_slice(signed).map_err(|e| bad(format!("envelope: {e}")))?;
    let Some(obj) = value.as_object() else {
        return Err(bad("envelope: not a JSON object"));
    };
    // A bare list, or an envelope whose signature is missing or empty, is unsigned.
    let signature_missing = obj
        .get("signature")
        .is_none_or(|s| s.as_str().is_some_and(str::is_empty) || s.is_null());
    if obj.contains_key("sequence") || signature_missing {
        return Err(Error::TrustListUnsigned);
    }
    let env: SignedEnvelope =
        serde_json::from_value(value).map_err(|e| bad(format!("envelope: {e}")))?;
    if env.alg != ENVELOPE_ALG {
        return Err(bad(format!(
            "envelope: alg {:?} (only {ENVELOPE_ALG})",
            env.alg
        )));
    }
    signer.check_validity(now)?;
    if env.kid != signer.kid {
        return Err(Error::TrustListWrongSigner {
            expected: signer.kid.clone(),
            found: env.kid,
        });
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    let payload = b64
        .decode(env.payload.as_bytes())
        .map_err(|e| bad(format!("envelope: payload is not base64 ({e})")))?;
    let sig = b64
        .decode(env.signature.as_bytes())
        .map_err(|e| bad(format!("envelope: signature is not base64 ({e})")))?;
    let ok = openssl::sign::Verifier::new(MessageDigest::sha256(), &signer.key)
        .and_then(|mut v| v.verify_oneshot(&sig, &payload))
        .unwrap_or(false);
    if !ok {
        return Err(Error::TrustListBadSignature {
            signer: signer.kid.clone(),
        });
    }
    Ok(payload)
}

/// Signs a trust list: checks that `list_json` is a well-formed list (same rules as loading) and
/// that `key_pem` (PKCS#8 or SEC1 PEM, ECDSA P-256) is the key of `signer`, then returns the
/// envelope as pretty JSON. The list bytes are signed exactly as given.
///
/// # Errors
/// [`Error::TrustListMalformed`] for a bad list; [`Error::Malformed`] (object `signing-key`) for a
/// key that cannot be read, is not P-256 or does not match `signer`.
pub fn sign_trust_list(
    list_json: &[u8],
    key_pem: &[u8],
    signer: &TrustListSigner,
) -> Result<String, Error> {
    TrustList::parse_payload(list_json)?;
    let key_err = |d: String| Error::Malformed {
        object: "signing-key",
        detail: d,
    };
    let key = PKey::private_key_from_pem(key_pem).map_err(|e| key_err(e.to_string()))?;
    if !is_p256(&key) {
        return Err(key_err("the key is not ECDSA P-256".into()));
    }
    let matches = key
        .public_key_to_der()
        .ok()
        .and_then(|d| PKey::public_key_from_der(&d).ok())
        .is_some_and(|p| p.public_eq(&signer.key));
    if !matches {
        return Err(key_err(format!(
            "the key is not the key of {}",
            signer.cert.subject().display()
        )));
    }
    let sig = openssl::sign::Signer::new(MessageDigest::sha256(), &key)
        .and_then(|mut s| s.sign_oneshot_to_vec(list_json))
        .map_err(|e| key_err(e.to_string()))?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let env = SignedEnvelope {
        alg: ENVELOPE_ALG.to_owned(),
        kid: signer.kid.clone(),
        payload: b64.encode(list_json),
        signature: b64.encode(sig),
    };
    serde_json::to_string_pretty(&env).map_err(|e| bad(e.to_string()))
}
