//! The entry point: [`SignatureVerifier`] checks a CMS SignedData or a raw signature, its optional
//! timestamp, and the signer's certificate at the signing time, and returns a
//! [`SignatureVerdict`].
//!
//! Why this module exists: it fixes the order of the checks, and so which reason a verdict gives
//! when several things are wrong (see [`crate::signature`]), and it is the seam between the
//! signature machinery and the certificate verifiers ([`Verifier`], [`TrustListVerifier`]).

use super::DigestAlgorithm;
use super::cms::{self, SignedMessage};
use super::scheme::{Scheme, check_shape, cms_scheme, default_raw_digest, key_kind, raw_scheme};
use super::timestamp::{self, TsaContext, TsaTrust};
use super::verdict::{ContentSummary, DigestSummary, SignatureVerdict, SignerSummary};
use crate::algorithms::{Signed, VerifyKey, verify_prehashed, verify_signature};
use crate::credit_code::{CreditCodeCheck, holder_name};
use crate::der_limits::{MAX_SIGNATURE_BYTES, MAX_SIGNED_DATA_BYTES};
use crate::error::fmt_time;
use crate::parse::Certificate;
use crate::trust_list::{CreditCodePolicy, Holder, TrustOptions};
use crate::verdict::{Options, Purpose};
use crate::{DEFAULT_SM2_ID, Error, RevocationData, TrustListVerifier, Verdict, Verifier};

/// What a signature is checked against, as the caller supplies it.
#[derive(Clone, Copy, Debug)]
pub enum Content<'a> {
    /// The signed document itself.
    Bytes(&'a [u8]),
    /// The document's digest. For CMS it must be by the signer's digest algorithm; a signature
    /// without signed attributes can then be checked for RSA and ECDSA only (SM2 hashes its Z
    /// value with the content). For a raw SM2 signature, the digest is the value SM2 signs,
    /// e = SM3(Z || document) (GM/T 0009; what SKF/SDF devices take, see [`super::sm2_prehash`]).
    Digest {
        /// The digest algorithm.
        algorithm: DigestAlgorithm,
        /// The digest.
        value: &'a [u8],
    },
}

/// How to verify a signature.
#[derive(Clone, Copy, Debug)]
pub struct SignatureOptions<'a> {
    /// The validation time, Unix seconds (the library never reads the clock). The signer's
    /// certificate is judged at a valid timestamp's genTime, else at this time.
    pub at: i64,
    /// Extra untrusted certificates: path-building candidates, and candidates for the signer's
    /// and the timestamping authority's certificates.
    pub chain: &'a [Certificate],
    /// An RFC 3161 timestamp token (or TimeStampResp) over the signature value, supplied apart
    /// from the signature; for CMS it replaces an embedded one.
    pub timestamp: Option<&'a [u8]>,
    /// The signer's SM2 distinguishing ID. Default: under a trust list, the `sm2_id` of the
    /// signer's CA service; with anchors, the verifier's [`crate::Sm2Ids`] default.
    pub sm2_id: Option<&'a str>,
    /// Raw RSA signatures are RSASSA-PSS (MGF1 with the same hash, salt length recovered from the
    /// signature) instead of PKCS#1 v1.5.
    pub rsa_pss: bool,
    /// What a bad credit code does (under a trust list).
    pub credit_code: CreditCodePolicy,
    /// Seconds a CRL or OCSP response stays usable after its nextUpdate.
    pub crl_grace_secs: i64,
    /// Accept certificates whose revocation status the supplied data cannot determine.
    pub soft_fail: bool,
    /// Refuse the signer's certificate when no revocation data was supplied at all.
    pub require_revocation: bool,
}

impl SignatureOptions<'static> {
    /// Defaults at the given time: no extra certificates, no separate timestamp, the SM2 ID of the
    /// CA, PKCS#1 v1.5 for raw RSA, hard-fail revocation, credit codes reported only.
    pub fn at(at: i64) -> SignatureOptions<'static> {
        SignatureOptions {
            at,
            chain: &[],
            timestamp: None,
            sm2_id: None,
            rsa_pss: false,
            credit_code: CreditCodePolicy::Report,
            crl_grace_secs: 0,
            soft_fail: false,
            require_revocation: false,
        }
    }
}

/// What the signature value is checked over.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Message<'a> {
    /// The signed bytes (signed attributes, or the content).
    Bytes(&'a [u8]),
    /// Their digest (RSA, ECDSA) or, for SM2, e = SM3(Z || M).
    Prehash(&'a [u8]),
}

/// Checks a signature value's shape, then the value itself; a value that does not verify is
/// `signature-invalid`.
pub(crate) fn verify_value(
    scheme: &Scheme,
    key: &VerifyKey,
    cert: &Certificate,
    message: Message<'_>,
    signature: &[u8],
) -> Result<(), Error> {
    check_shape(scheme, cert, signature)?;
    let subject = cert.subject().display();
    let what = Signed {
        object: "signature",
        subject,
        issuer: subject,
    };
    let result = match message {
        Message::Bytes(m) => verify_signature(&scheme.alg, key, m, signature, &what),
        Message::Prehash(d) => verify_prehashed(&scheme.alg, key, d, signature, &what),
    };
    result.map_err(|e| match e {
        Error::BadSignature { .. } => Error::SignatureInvalid {
            signer: subject.to_owned(),
            algorithm: scheme.name.clone(),
        },
        other => other,
    })
}

#[derive(Clone, Copy, Debug)]
enum Anchors<'a> {
    List(&'a TrustListVerifier),
    Verifier(&'a Verifier),
}

/// Verifies bid signatures: CMS SignedData (attached or detached, with or without signed
/// attributes, PKCS#7 or GM/T 0010 object identifiers) and raw signatures, with optional RFC 3161
/// timestamps, and validates the signer's certificate at the signing time for purpose
/// `bid-signing`.
///
/// Cheap to build (it borrows the prepared certificate verifiers): make one per request.
///
/// ```
/// use ca_bridge::signature::{Content, SignatureOptions, SignatureVerifier};
/// use ca_bridge::{RevocationData, TrustListVerifier};
/// # fn demo(list: &TrustListVerifier, cms: &[u8], bid: &[u8], now: i64) {
/// let verdict = SignatureVerifier::with_trust_list(list).verify_cms(
///     cms,
///     Some(Content::Bytes(bid)),
///     &RevocationData::default(),
///     &SignatureOptions::at(now),
/// );
/// println!("{}", verdict.to_json());
/// # }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct SignatureVerifier<'a> {
    signers: Anchors<'a>,
    tsa: Option<&'a Verifier>,
}

impl<'a> SignatureVerifier<'a> {
    /// Under a trust list: signers' certificates chain to its `bidder-signing-ca` services (whose
    /// rules apply: status at the signing time, algorithms, policies, credit code), timestamps to
    /// its `timestamping-authority` services.
    pub fn with_trust_list(list: &'a TrustListVerifier) -> SignatureVerifier<'a> {
        SignatureVerifier {
            signers: Anchors::List(list),
            tsa: None,
        }
    }

    /// Under explicit anchors: no trust list applies (the signer's certificate needs the key
    /// usage of purpose `bid-signing`, no credit code or policy). Timestamps are trusted only with
    /// [`SignatureVerifier::tsa_anchors`].
    pub fn with_anchors(anchors: &'a Verifier) -> SignatureVerifier<'a> {
        SignatureVerifier {
            signers: Anchors::Verifier(anchors),
            tsa: None,
        }
    }

    /// Also trusts timestamps whose authority's certificate chains to these anchors (in addition
    /// to a trust list's `timestamping-authority` services).
    pub fn tsa_anchors(mut self, tsa: &'a Verifier) -> SignatureVerifier<'a> {
        self.tsa = Some(tsa);
        self
    }

    /// Verifies a CMS SignedData (DER or BER). `content` is the detached content or its digest;
    /// with attached content it is optional and, when given, must be the attached document.
    pub fn verify_cms(
        &self,
        signed_data: &[u8],
        content: Option<Content<'_>>,
        revocation: &RevocationData,
        opts: &SignatureOptions<'_>,
    ) -> SignatureVerdict {
        let v = SignatureVerdict::new("cms", opts.at);
        let msg = match cms::decode(signed_data, "signed-data", MAX_SIGNED_DATA_BYTES) {
            Ok(m) => m,
            Err(e) => return v.fail(e),
        };
        self.verify_message(v, &msg, content, revocation, opts)
    }

    fn verify_message(
        &self,
        mut v: SignatureVerdict,
        msg: &SignedMessage,
        content: Option<Content<'_>>,
        revocation: &RevocationData,
        opts: &SignatureOptions<'_>,
    ) -> SignatureVerdict {
        let signer = &msg.signer;
        v.content = Some(ContentSummary {
            content_type: msg.econtent_type.clone(),
            attached: msg.content.is_some(),
            signed_attributes: signer.signed_attrs.is_some(),
            oids: msg.oids.as_str(),
        });
        v.claimed_signing_time = signer
            .signed_attrs
            .as_ref()
            .and_then(|a| a.signing_time)
            .map(fmt_time);
        // The signer's certificate: carried in the SignedData or supplied by the caller; either
        // way only a candidate, validated below.
        let Some(cert) = msg
            .certificates
            .iter()
            .chain(opts.chain)
            .find(|c| signer.sid.matches(c))
            .cloned()
        else {
            return v.fail(Error::SignerNotFound {
                sid: signer.sid.describe(),
            });
        };
        v.signer = Some(SignerSummary::of(&cert));
        let chain: Vec<Certificate> = msg
            .certificates
            .iter()
            .chain(opts.chain)
            .filter(|c| c.der() != cert.der())
            .cloned()
            .collect();
        let subject = cert.subject().display().to_owned();
        let digest_alg = match DigestAlgorithm::from_oid(&signer.digest_alg_oid, &subject) {
            Ok(a) => a,
            Err(e) => return v.fail(e),
        };
        let scheme = match cms_scheme(
            &signer.sig_alg_oid,
            signer.sig_alg_params.as_deref(),
            digest_alg,
            &cert,
            "signed-data",
        ) {
            Ok(s) => s,
            Err(e) => return v.fail(e),
        };
        v.signature_algorithm = Some(scheme.name.clone());
        // What was signed, and the first content check.
        let signed = match what_was_signed(msg, content, digest_alg, &scheme) {
            Ok(s) => s,
            Err(e) => return v.fail(e),
        };
        v.digest = Some(DigestSummary {
            algorithm: digest_alg.as_str(),
            value: hex::encode(&signed.digest),
            over: "content",
        });
        let token = opts.timestamp.or(signer.timestamp_token.as_deref());
        let message = match signed.bytes {
            Some(b) => Message::Bytes(b),
            None => Message::Prehash(&signed.digest),
        };
        self.finish(
            v,
            &cert,
            &chain,
            &scheme,
            message,
            &signer.signature,
            token,
            signed.mismatch,
            revocation,
            opts,
        )
    }

    /// Verifies a raw signature (`openssl dgst -sign` output: RSA PKCS#1 v1.5 or, with
    /// [`SignatureOptions::rsa_pss`], PSS; ECDSA and SM2 as DER `SEQUENCE { r, s }`) by `signer`
    /// over `content`: SHA-256 for RSA and ECDSA, SM3 with the distinguishing ID for SM2, or the
    /// algorithm of a supplied digest. A timestamp comes in [`SignatureOptions::timestamp`].
    pub fn verify_raw(
        &self,
        signature: &[u8],
        signer: &Certificate,
        content: Content<'_>,
        revocation: &RevocationData,
        opts: &SignatureOptions<'_>,
    ) -> SignatureVerdict {
        let mut v = SignatureVerdict::new("raw", opts.at);
        v.signer = Some(SignerSummary::of(signer));
        if signature.is_empty() || signature.len() > MAX_SIGNATURE_BYTES {
            return v.fail(Error::Malformed {
                object: "signature",
                detail: format!("{} bytes (1 to {MAX_SIGNATURE_BYTES})", signature.len()),
            });
        }
        let digest_alg = match content {
            Content::Bytes(_) => default_raw_digest(signer),
            Content::Digest { algorithm, .. } => algorithm,
        };
        let scheme = match raw_scheme(signer, digest_alg, opts.rsa_pss) {
            Ok(s) => s,
            Err(e) => return v.fail(e),
        };
        v.signature_algorithm = Some(scheme.name.clone());
        let sm2 = key_kind(signer) == super::scheme::KeyKind::Sm2;
        let (digest, over, message) = match content {
            Content::Bytes(b) => (digest_alg.digest(b), "content", Message::Bytes(b)),
            Content::Digest { value, .. } => {
                if value.len() != digest_alg.output_len() {
                    return v.fail(Error::ContentMissing {
                        detail: format!(
                            "a {digest_alg} digest is {} bytes, {} were supplied",
                            digest_alg.output_len(),
                            value.len()
                        ),
                    });
                }
                (
                    value.to_vec(),
                    if sm2 { "sm2-z-and-content" } else { "content" },
                    Message::Prehash(value),
                )
            }
        };
        v.digest = Some(DigestSummary {
            algorithm: digest_alg.as_str(),
            value: hex::encode(&digest),
            over,
        });
        let chain: Vec<Certificate> = opts
            .chain
            .iter()
            .filter(|c| c.der() != signer.der())
            .cloned()
            .collect();
        self.finish(
            v,
            signer,
            &chain,
            &scheme,
            message,
            signature,
            opts.timestamp,
            None,
            revocation,
            opts,
        )
    }

    /// The common end: timestamp, certificate at the signing time, then the checks in order.
    #[expect(clippy::too_many_arguments, reason = "two private call sites")]
    fn finish(
        &self,
        mut v: SignatureVerdict,
        cert: &Certificate,
        chain: &[Certificate],
        scheme: &Scheme,
        message: Message<'_>,
        signature: &[u8],
        token: Option<&[u8]>,
        content_mismatch: Option<Error>,
        revocation: &RevocationData,
        opts: &SignatureOptions<'_>,
    ) -> SignatureVerdict {
        // 1. The timestamp gives the signing time.
        let mut timestamp_error = None;
        let mut signing_time = opts.at;
        if let Some(token) = token {
            let ctx = TsaContext {
                trust: TsaTrust {
                    list: match self.signers {
                        Anchors::List(l) => Some(l),
                        Anchors::Verifier(_) => None,
                    },
                    anchors: self.tsa,
                },
                chain,
                revocation,
                at: opts.at,
                crl_grace_secs: opts.crl_grace_secs,
                soft_fail: opts.soft_fail,
            };
            let (summary, result) = timestamp::check(token, signature, &ctx);
            v.timestamp = Some(summary);
            match result {
                Ok(t) => {
                    signing_time = t;
                    v.signing_time = fmt_time(t);
                    v.signing_time_source = "timestamp";
                }
                Err(e) => timestamp_error = Some(e),
            }
        }
        // 2. The signer's certificate at the signing time.
        let cert_verdict =
            self.validate_signer(cert, chain, revocation, opts, signing_time, token.is_some());
        v.holder = cert_verdict.holder.clone().or_else(|| {
            Some(Holder {
                name: holder_name(cert),
                credit_code: None,
                credit_code_check: CreditCodeCheck::Missing,
            })
        });
        v.province = cert_verdict.province;
        v.ca = cert_verdict.ca.clone();
        v.trust_list_sequence = cert_verdict.trust_list_sequence;
        // 3. The signature value, with the signer's SM2 ID.
        let sm2_id = self.signer_sm2_id(cert, &cert_verdict, opts);
        if key_kind(cert) == super::scheme::KeyKind::Sm2
            && let Some(s) = v.signer.as_mut()
        {
            s.sm2_id = Some(sm2_id.clone());
        }
        let key = cert.verify_key(&sm2_id);
        let signature_result = verify_value(scheme, &key, cert, message, signature);
        let cert_error = cert_verdict.error.clone();
        v.certificate = Some(cert_verdict);
        // The order of the reasons: the content, the signature, the timestamp, the certificate.
        let first = content_mismatch
            .or(signature_result.err())
            .or(timestamp_error)
            .or(cert_error);
        match first {
            Some(e) => v.fail(e),
            None => {
                v.valid = true;
                v
            }
        }
    }

    fn validate_signer(
        &self,
        cert: &Certificate,
        chain: &[Certificate],
        revocation: &RevocationData,
        opts: &SignatureOptions<'_>,
        signing_time: i64,
        timestamped: bool,
    ) -> Verdict {
        let mut o = Options::at(signing_time);
        o.purpose = Purpose::BidSigning;
        o.crl_grace_secs = opts.crl_grace_secs;
        o.soft_fail = opts.soft_fail;
        o.require_revocation = opts.require_revocation;
        o.later_revocation_info = timestamped;
        match self.signers {
            Anchors::List(list) => {
                let topts = TrustOptions {
                    signing_time: Some(signing_time),
                    credit_code: opts.credit_code,
                };
                list.verify(cert, chain, revocation, &o, &topts)
            }
            Anchors::Verifier(anchors) => {
                let owned = anchors.with_candidates(chain);
                owned
                    .as_ref()
                    .unwrap_or(anchors)
                    .verify(cert, revocation, &o)
            }
        }
    }

    fn signer_sm2_id(
        &self,
        cert: &Certificate,
        verdict: &Verdict,
        opts: &SignatureOptions<'_>,
    ) -> String {
        if let Some(id) = opts.sm2_id {
            return id.to_owned();
        }
        match self.signers {
            Anchors::List(list) => verdict
                .ca
                .as_ref()
                .and_then(|ca| list.trust_list().service_by_id(&ca.id))
                .map_or(DEFAULT_SM2_ID, |s| s.sm2_id.as_str())
                .to_owned(),
            Anchors::Verifier(anchors) => anchors.sm2_ids().for_signer(cert.subject()).to_owned(),
        }
    }
}

/// What the signature value covers.
#[derive(Debug)]
struct WhatWasSigned<'m> {
    /// The content's digest by the signer's digest algorithm.
    digest: Vec<u8>,
    /// The signed bytes (signed attributes or content); `None`: only `digest` is known, the
    /// signature is checked over it.
    bytes: Option<&'m [u8]>,
    /// A content check that failed (reported first).
    mismatch: Option<Error>,
}

fn is_data(oid: &str) -> bool {
    oid == "1.2.840.113549.1.7.1" || oid == "1.2.156.10197.6.1.4.2.1"
}

fn what_was_signed<'m>(
    msg: &'m SignedMessage,
    content: Option<Content<'m>>,
    digest_alg: DigestAlgorithm,
    scheme: &Scheme,
) -> Result<WhatWasSigned<'m>, Error> {
    let wrong_alg = |a: DigestAlgorithm| Error::ContentMissing {
        detail: format!("the signer digests with {digest_alg}; a {a} digest was supplied"),
    };
    let bad_len = |n: usize| Error::ContentMissing {
        detail: format!(
            "a {digest_alg} digest is {} bytes, {n} were supplied",
            digest_alg.output_len()
        ),
    };
    let mismatch = |signed: &[u8], computed: &[u8]| Error::DigestMismatch {
        algorithm: digest_alg.as_str().to_owned(),
        signed: hex::encode(signed),
        computed: hex::encode(computed),
    };
    let mut out_mismatch = None;
    // The content the signature is checked against: attached, else the caller's.
    let (bytes, digest): (Option<&'m [u8]>, Vec<u8>) = match (msg.content.as_deref(), content) {
        (Some(a), supplied) => {
            let d = digest_alg.digest(a);
            // A document supplied next to attached content must be the attached one.
            let supplied_digest = match supplied {
                None => None,
                Some(Content::Bytes(b)) => Some(digest_alg.digest(b)),
                Some(Content::Digest { algorithm, value }) => {
                    if algorithm == digest_alg {
                        Some(value.to_vec())
                    } else if algorithm.digest(a) == value {
                        Some(d.clone())
                    } else {
                        out_mismatch = Some(Error::DigestMismatch {
                            algorithm: algorithm.as_str().to_owned(),
                            signed: hex::encode(algorithm.digest(a)),
                            computed: hex::encode(value),
                        });
                        None
                    }
                }
            };
            if let Some(s) = supplied_digest
                && s != d
            {
                out_mismatch = Some(mismatch(&d, &s));
            }
            (Some(a), d)
        }
        (None, Some(Content::Bytes(b))) => (Some(b), digest_alg.digest(b)),
        (None, Some(Content::Digest { algorithm, value })) => {
            if algorithm != digest_alg {
                return Err(wrong_alg(algorithm));
            }
            if value.len() != digest_alg.output_len() {
                return Err(bad_len(value.len()));
            }
            (None, value.to_vec())
        }
        (None, None) => {
            return Err(Error::ContentMissing {
                detail: "the signature is detached: supply the content or its digest".into(),
            });
        }
    };
    let malformed = |d: String| Error::Malformed {
        object: "signed-attributes",
        detail: d,
    };
    match &msg.signer.signed_attrs {
        Some(attrs) => {
            let md = attrs
                .message_digest
                .as_ref()
                .ok_or_else(|| malformed("no message-digest attribute".into()))?;
            match &attrs.content_type {
                None => return Err(malformed("no content-type attribute".into())),
                Some(ct) if *ct != msg.econtent_type => {
                    return Err(malformed(format!(
                        "the content-type attribute {ct} differs from eContentType {}",
                        msg.econtent_type
                    )));
                }
                Some(_) => {}
            }
            if out_mismatch.is_none() && *md != digest {
                out_mismatch = Some(mismatch(md, &digest));
            }
            Ok(WhatWasSigned {
                digest,
                bytes: Some(&attrs.der),
                mismatch: out_mismatch,
            })
        }
        None => {
            if !is_data(&msg.econtent_type) {
                return Err(malformed(format!(
                    "signed attributes are required for content type {}",
                    msg.econtent_type
                )));
            }
            if bytes.is_none() && matches!(scheme.alg, crate::algorithms::SigAlg::Sm2Sm3) {
                return Err(Error::UnsupportedSignature {
                    detail: "an SM2 signature without signed attributes covers SM3(Z || content): \
                             supply the content, not its digest"
                        .into(),
                });
            }
            Ok(WhatWasSigned {
                digest,
                bytes,
                mismatch: out_mismatch,
            })
        }
    }
}
