//! Signed verification receipts: a JSON payload signed as a compact JWS (RFC 7515), so that anyone
//! holding the signer's certificate can check offline what the gateway verified.
//!
//! Why this module exists: a platform must be able to prove later that it checked a bid's
//! signature. The gateway signs a receipt (what was verified: document digest, signer, certificate
//! fingerprint, verdict, trust-list sequence, time) with its receipt key, stores it and hands it
//! out; [`verify_receipt`] (and `ca-bridge receipt verify`) checks it against the receipt
//! certificate. Pure functions: the key and the certificate are passed in.
//!
//! **Format.** `BASE64URL(header) . BASE64URL(payload) . BASE64URL(signature)`, no padding, the
//! payload being the compact JSON serialisation of the value given to [`ReceiptSigner::sign`]
//! (signed as those exact bytes: no canonicalisation). The protected header is
//! `{"alg": ALG, "typ": "JOSE", "x5t#S256": BASE64URL(SHA-256 of the certificate's DER)}`.
//!
//! **Algorithms.**
//! - `ES256` (RFC 7518 3.4, the default): ECDSA P-256 with SHA-256 over the ASCII signing input
//!   `header.payload`; the signature is the 64-byte `r || s` (each 32 bytes, big-endian), not DER.
//! - `SM2SM3` (**private**, not registered with IANA: JOSE has no SM2 algorithm): SM2 with SM3
//!   (GB/T 32918.2) over the same signing input, with the distinguishing ID `1234567812345678`
//!   ([`RECEIPT_SM2_ID`]); the signature is the 64-byte `r || s`. Chosen by giving
//!   [`ReceiptSigner`] an SM2 key. Generic JOSE libraries will not verify it; `ca-bridge receipt
//!   verify` does.
//!
//! **Verification** ([`verify_receipt`]) checks, in order: the shape (three base64url parts, a
//! JSON object header without `crit`, a known `alg` that fits the certificate's key: `ES256` needs
//! a P-256 key, `SM2SM3` an SM2 key, anything else `receipt-malformed`), `x5t#S256` against the
//! given certificate (`receipt-wrong-certificate`: an unauthenticated hint, to tell "another
//! certificate" from "altered"), the signature (`receipt-bad-signature`), then that the payload is
//! JSON. The certificate's own validity and trust are the caller's business (it is pinned: the
//! gateway publishes it).

use base64::Engine as _;
use openssl::bn::BigNum;
use openssl::ecdsa::EcdsaSig;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use serde_json::Value;
use sm2::dsa::signature::Verifier as _;

use crate::Error;
use crate::der_limits::MAX_RECEIPT_BYTES;
use crate::parse::Certificate;
use crate::signature::SigningKey;
use crate::signature::build::KeyAlg;

/// The JWS algorithm name for ECDSA P-256 with SHA-256 (RFC 7518).
pub const RECEIPT_ALG_ES256: &str = "ES256";
/// The private JWS algorithm name for SM2 with SM3 (not IANA-registered).
pub const RECEIPT_ALG_SM2: &str = "SM2SM3";
/// The SM2 distinguishing ID of `SM2SM3` receipts (GM/T 0009's default).
pub const RECEIPT_SM2_ID: &str = crate::DEFAULT_SM2_ID;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

fn malformed(detail: impl Into<String>) -> Error {
    Error::ReceiptMalformed {
        detail: detail.into(),
    }
}

/// The `x5t#S256` thumbprint of a certificate: base64url (no padding) of the SHA-256 of its DER.
pub fn thumbprint(cert: &Certificate) -> String {
    B64.encode(openssl::sha::sha256(cert.der()))
}

/// Signs receipts with the gateway's receipt key; build once, share between threads.
#[derive(Debug)]
pub struct ReceiptSigner {
    key: SigningKey,
    cert: Certificate,
    alg: &'static str,
    thumbprint: String,
}

impl ReceiptSigner {
    /// From a PEM private key (P-256: `ES256`; SM2: `SM2SM3`) and its certificate (PEM or DER).
    ///
    /// # Errors
    /// [`Error::Malformed`] (object `signing-key` or `certificate`) when the key or certificate
    /// cannot be read, the key is of another type, or is not the certificate's key.
    pub fn from_pem(key_pem: &[u8], cert_pem: &[u8]) -> Result<ReceiptSigner, Error> {
        let der = crate::decode_pem_or_der(cert_pem)?
            .into_iter()
            .next()
            .map(|(_, d)| d)
            .ok_or_else(|| Error::Malformed {
                object: "certificate",
                detail: "no certificate".into(),
            })?;
        ReceiptSigner::new(SigningKey::from_pem(key_pem)?, Certificate::from_der(&der)?)
    }

    /// From a key and its certificate.
    ///
    /// # Errors
    /// As [`ReceiptSigner::from_pem`].
    pub fn new(key: SigningKey, cert: Certificate) -> Result<ReceiptSigner, Error> {
        let alg = match key.alg() {
            KeyAlg::P256 => RECEIPT_ALG_ES256,
            KeyAlg::Sm2 => RECEIPT_ALG_SM2,
            other => {
                return Err(Error::Malformed {
                    object: "signing-key",
                    detail: format!("receipts are signed with P-256 or SM2 keys, not {other:?}"),
                });
            }
        };
        if !key.matches(&cert) {
            return Err(Error::Malformed {
                object: "signing-key",
                detail: format!("the key is not the key of {}", cert.subject().display()),
            });
        }
        let thumbprint = thumbprint(&cert);
        Ok(ReceiptSigner {
            key,
            cert,
            alg,
            thumbprint,
        })
    }

    /// `ES256` or `SM2SM3`.
    pub fn algorithm(&self) -> &'static str {
        self.alg
    }

    /// The receipt certificate (publish it: receipts are checked against it).
    pub fn certificate(&self) -> &Certificate {
        &self.cert
    }

    /// Its `x5t#S256` thumbprint.
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// Signs `payload` (its compact JSON serialisation) as a compact JWS.
    ///
    /// # Errors
    /// [`Error::Malformed`] (object `signing-key`) when signing fails.
    pub fn sign(&self, payload: &Value) -> Result<String, Error> {
        let header = serde_json::json!({
            "alg": self.alg,
            "typ": "JOSE",
            "x5t#S256": self.thumbprint,
        });
        let enc = |v: &Value| {
            serde_json::to_vec(v).map_err(|e| Error::Malformed {
                object: "receipt",
                detail: e.to_string(),
            })
        };
        let input = format!(
            "{}.{}",
            B64.encode(enc(&header)?),
            B64.encode(enc(payload)?)
        );
        let raw = if self.alg == RECEIPT_ALG_SM2 {
            let der = self.key.sign(
                input.as_bytes(),
                crate::signature::DigestAlgorithm::Sm3,
                RECEIPT_SM2_ID,
                false,
            )?;
            let sig = sm2::dsa::Signature::from_der(&der).map_err(|_| Error::Malformed {
                object: "signing-key",
                detail: "SM2 signature encoding".into(),
            })?;
            sig.to_bytes().to_vec()
        } else {
            let der = self.key.sign_es256(input.as_bytes())?;
            let sig = EcdsaSig::from_der(&der).map_err(|e| Error::Malformed {
                object: "signing-key",
                detail: e.to_string(),
            })?;
            let mut out = sig.r().to_vec_padded(32).map_err(|e| Error::Malformed {
                object: "signing-key",
                detail: e.to_string(),
            })?;
            out.extend(sig.s().to_vec_padded(32).map_err(|e| Error::Malformed {
                object: "signing-key",
                detail: e.to_string(),
            })?);
            out
        };
        Ok(format!("{input}.{}", B64.encode(raw)))
    }
}

/// Checks a compact-JWS receipt against the receipt certificate and returns its payload.
///
/// # Errors
/// [`Error::ReceiptMalformed`], [`Error::ReceiptWrongCertificate`],
/// [`Error::ReceiptBadSignature`] (see the module documentation for the order).
pub fn verify_receipt(jws: &str, cert: &Certificate) -> Result<Value, Error> {
    let jws = jws.trim_end_matches(['\n', '\r']);
    if jws.len() > MAX_RECEIPT_BYTES {
        return Err(malformed(format!(
            "{} bytes (limit {MAX_RECEIPT_BYTES})",
            jws.len()
        )));
    }
    let mut parts = jws.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed("a compact JWS has three parts separated by '.'"));
    };
    let header_bytes = B64
        .decode(h)
        .map_err(|e| malformed(format!("header: not base64url ({e})")))?;
    let header: Value = serde_json::from_slice(&header_bytes)
        .map_err(|e| malformed(format!("header: not JSON ({e})")))?;
    let Some(header) = header.as_object() else {
        return Err(malformed("header: not a JSON object"));
    };
    if header.contains_key("crit") {
        return Err(malformed("header: crit is not supported"));
    }
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let key_kind = crate::signature::scheme_key_kind(cert);
    let alg = match (alg, key_kind) {
        (RECEIPT_ALG_ES256, "p256") => RECEIPT_ALG_ES256,
        (RECEIPT_ALG_SM2, "sm2") => RECEIPT_ALG_SM2,
        (RECEIPT_ALG_ES256 | RECEIPT_ALG_SM2, _) => {
            return Err(malformed(format!(
                "alg {alg} does not fit the certificate's key ({})",
                cert.key_info.desc
            )));
        }
        _ => return Err(malformed(format!("alg {alg:?} (only ES256 and SM2SM3)"))),
    };
    let expected = thumbprint(cert);
    match header.get("x5t#S256").and_then(Value::as_str) {
        None => return Err(malformed("header: no x5t#S256")),
        Some(found) if found != expected => {
            return Err(Error::ReceiptWrongCertificate {
                expected,
                found: found.chars().take(128).collect(),
            });
        }
        Some(_) => {}
    }
    let bad = || Error::ReceiptBadSignature {
        thumbprint: expected.clone(),
    };
    let sig = B64
        .decode(s)
        .map_err(|e| malformed(format!("signature: not base64url ({e})")))?;
    if sig.len() != 64 {
        return Err(bad());
    }
    let input = &jws[..h.len() + 1 + p.len()];
    let ok = if alg == RECEIPT_ALG_SM2 {
        let key = sm2::dsa::VerifyingKey::from_sec1_bytes(RECEIPT_SM2_ID, &cert.key_point)
            .map_err(|_| malformed("the certificate's SM2 key does not decode"))?;
        sm2::dsa::Signature::from_slice(&sig)
            .ok()
            .is_some_and(|sig| key.verify(input.as_bytes(), &sig).is_ok())
    } else {
        let der = BigNum::from_slice(&sig[..32])
            .and_then(|r| BigNum::from_slice(&sig[32..]).map(|s| (r, s)))
            .and_then(|(r, s)| EcdsaSig::from_private_components(r, s))
            .and_then(|e| e.to_der());
        let key = PKey::public_key_from_der(cert.spki_der());
        match (der, key) {
            (Ok(der), Ok(key)) => openssl::sign::Verifier::new(MessageDigest::sha256(), &key)
                .and_then(|mut v| v.verify_oneshot(&der, input.as_bytes()))
                .unwrap_or(false),
            _ => false,
        }
    };
    if !ok {
        return Err(bad());
    }
    let payload = B64
        .decode(p)
        .map_err(|e| malformed(format!("payload: not base64url ({e})")))?;
    serde_json::from_slice(&payload).map_err(|e| malformed(format!("payload: not JSON ({e})")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn signer_is_shareable() {
        fn shareable<T: Send + Sync>() {}
        shareable::<super::ReceiptSigner>();
    }

    #[test]
    fn thumbprint_is_base64url_of_sha256() {
        // The SHA-256 of the empty string, base64url without padding.
        use base64::Engine as _;
        assert_eq!(
            super::B64.encode(openssl::sha::sha256(b"")),
            "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU"
        );
    }
}
