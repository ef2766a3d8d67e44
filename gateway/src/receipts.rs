//! Signed verification receipts: proof, later and offline, of what the gateway verified.
//!
//! Why this module exists: a platform that accepted a bid signed in another province must be able
//! to show afterwards that it checked the signature and what the answer was. A receipt is a JWS
//! (`ca_bridge::receipt`) over the verified document's digest, the signer's identity and
//! certificate fingerprint, the verdict, the trust-list sequence and the time, signed with the
//! gateway's receipt key; it is stored append-only with an audit record and can be checked by
//! anyone holding the receipt certificate (`ca-bridge receipt verify`).

use ca_bridge::receipt::ReceiptSigner;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::config::Settings;
use crate::db::Database;
use crate::db::receipts::{self, NewReceipt};
use crate::problem::ApiError;

/// The receipt key of this gateway, when configured.
pub struct Receipts {
    signer: Option<(ReceiptSigner, String)>,
}

/// What kind of verification a receipt is about.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// `POST /v1/certificates/verify`.
    Certificate,
    /// `POST /v1/signatures/verify`.
    Signature,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Certificate => "certificate",
            Kind::Signature => "signature",
        }
    }
}

impl Receipts {
    /// Loads the configured key and certificate (none configured: receipts are off).
    pub fn from_settings(settings: &Settings) -> Result<Receipts, String> {
        let (Some(key), Some(cert)) = (&settings.receipts.key, &settings.receipts.certificate)
        else {
            return Ok(Receipts { signer: None });
        };
        let read = |p: &std::path::Path| {
            let path = settings.resolve(p);
            std::fs::read(&path).map_err(|e| format!("receipts: {}: {e}", path.display()))
        };
        let (key, cert) = (read(key)?, read(cert)?);
        let signer = ReceiptSigner::from_pem(&key, &cert).map_err(|e| format!("receipts: {e}"))?;
        let pem = String::from_utf8(cert)
            .ok()
            .filter(|t| t.contains("-----BEGIN CERTIFICATE-----"))
            .ok_or("receipts.certificate must be a PEM certificate")?;
        Ok(Receipts {
            signer: Some((signer, pem)),
        })
    }

    /// The receipt certificate (PEM), when receipts are configured.
    pub fn certificate_pem(&self) -> Option<&str> {
        self.signer.as_ref().map(|(_, pem)| pem.as_str())
    }

    /// The receipt certificate's DER, when configured.
    pub fn certificate_der(&self) -> Option<&[u8]> {
        self.signer.as_ref().map(|(s, _)| s.certificate().der())
    }

    /// Signs `facts` (what was verified) as a receipt for `platform`, stores it, and returns
    /// `{"id", "url", "jws"}`.
    pub async fn issue(
        &self,
        db: &Database,
        platform: &str,
        kind: Kind,
        valid: bool,
        facts: Value,
        request_id: &str,
    ) -> Result<Value, ApiError> {
        let (signer, _) = self
            .signer
            .as_ref()
            .ok_or(ApiError::ReceiptsNotConfigured)?;
        let id = uuid::Uuid::now_v7().to_string();
        let payload = json!({
            "receipt_id": id,
            "issued_at": crate::db::unix_text(crate::bridge::unix_now()),
            "issuer": "yrd-gateway",
            "requested_by": platform,
            "kind": kind.as_str(),
            "valid": valid,
            "facts": facts,
        });
        let payload_sha256 = hex::encode(Sha256::digest(payload.to_string().as_bytes()));
        let jws = signer
            .sign(&payload)
            .map_err(|e| ApiError::Internal(format!("receipt signing: {e}")))?;
        let (stored_id, platform, jws_stored, request_id) = (
            id.clone(),
            platform.to_owned(),
            jws.clone(),
            request_id.to_owned(),
        );
        db.run_write(move |conn| {
            receipts::insert(
                conn,
                &NewReceipt {
                    id: &stored_id,
                    platform_id: &platform,
                    kind: kind.as_str(),
                    valid,
                    jws: &jws_stored,
                    payload_sha256: &payload_sha256,
                    request_id: &request_id,
                },
            )
        })
        .await?;
        Ok(json!({"id": id, "url": format!("/v1/receipts/{id}"), "jws": jws}))
    }
}
