//! Certificate path validation and signature verification for the CA mutual-recognition bridge of
//! the Yangtze River Delta demonstration zone.
//!
//! A pure library: no I/O, no clock, no global state. The caller passes the validation time, the
//! trust anchors, the candidate intermediates and the revocation data; [`Verifier::verify`] returns
//! a [`Verdict`] that says whether a path to an anchor passes RFC 5280 section 6 (signatures,
//! validity, name chaining, basic constraints and path length, key usage and extended key usage,
//! policies with mapping and the inhibit/explicit controls, name constraints, unknown critical
//! extensions) and the revocation rule of [`revocation`], and if not, why ([`Error`]).
//!
//! Algorithms: RSA PKCS#1 v1.5 and PSS (at least 2048 bits), ECDSA P-256/P-384, and SM2 with SM3
//! and a distinguishing ID ([`Sm2Ids`], default `1234567812345678`), for certificates, CRLs and OCSP
//! responses alike. MD5, SHA-1 and short RSA keys are refused as `weak-algorithm`, DSA and unknown
//! algorithms as `unsupported-algorithm`.
//!
//! ```
//! use ca_bridge::{Certificate, Options, RevocationData, Sm2Ids, Verifier};
//! # fn demo(root: &[u8], leaf: &[u8]) -> Result<(), ca_bridge::Error> {
//! let verifier = Verifier::new(vec![Certificate::from_der(root)?], vec![], Sm2Ids::default());
//! let verdict = verifier.verify(&Certificate::from_der(leaf)?, &RevocationData::default(), &Options::at(1_795_000_000));
//! println!("{}", verdict.to_json());
//! # Ok(()) }
//! ```
//!
//! Under a signed trust list ([`trust_list`]), [`TrustListVerifier::verify`] takes its anchors,
//! intermediates and SM2 IDs from the list, judges each CA service's status at the signing time,
//! enforces the list's algorithms and policies, and adds the province, the CA service, the list's
//! sequence and the holder (name and GB 32100-checked credit code) to the verdict. Personal ID
//! numbers are masked in every output ([`mask`]).
//!
//! Bid signatures ([`signature`]): [`signature::SignatureVerifier`] checks a CMS SignedData
//! (attached or detached, with or without signed attributes, PKCS#7 or GM/T 0010 OIDs) or a raw
//! signature by an RSA, ECDSA or SM2 key, an optional RFC 3161 timestamp from a recognised
//! timestamping authority, and the signer's certificate at the signing time (the timestamp's,
//! else the validation time) for purpose `bid-signing`; the [`signature::SignatureVerdict`] says
//! who signed, when, over what digest, and why not.
//!
//! ```
//! use ca_bridge::signature::{Content, SignatureOptions, SignatureVerifier};
//! use ca_bridge::{RevocationData, TrustListVerifier};
//! # fn demo(list: &TrustListVerifier, cms: &[u8], bid: &[u8], crls: &RevocationData, now: i64) {
//! let verdict = SignatureVerifier::with_trust_list(list).verify_cms(
//!     cms,
//!     Some(Content::Bytes(bid)), // detached content (optional when attached)
//!     crls,
//!     &SignatureOptions::at(now),
//! );
//! if !verdict.valid {
//!     println!("refused: {}", verdict.reason.unwrap_or_default());
//! }
//! # }
//! ```
//!
//! Verification receipts ([`receipt`]): [`receipt::ReceiptSigner`] signs a JSON payload as a
//! compact JWS (ES256, or the private `SM2SM3`) with the certificate's thumbprint in the header;
//! [`receipt::verify_receipt`] checks one offline against that certificate.
//!
//! Input limits are documented in [`der_limits`]; path-building bounds in [`verdict`]
//! ([`DEFAULT_MAX_DEPTH`], [`DEFAULT_MAX_STEPS`], [`DEFAULT_MAX_SIGNATURES`]).

mod algorithms;
mod checks;
pub mod credit_code;
pub mod der_limits;
mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod mask;
mod name;
mod name_constraints;
mod parse;
mod path_builder;
mod policy;
pub mod receipt;
pub mod revocation;
pub mod signature;
pub mod trust_list;
pub mod verdict;
mod verifier;

pub use algorithms::{DEFAULT_SM2_ID, MIN_RSA_BITS};
pub use credit_code::{CreditCodeCheck, CreditCodeRule, check_credit_code};
pub use error::Error;
pub use name::Name;
pub use parse::{Certificate, Crl, decode_pem_or_der};
pub use policy::{ANY_POLICY, PolicyInputs};
pub use revocation::ocsp::OcspResponse;
pub use trust_list::{
    CaRef, CreditCodePolicy, Holder, Province, Service, ServiceType, Status, TrustList,
    TrustListSigner, TrustListVerifier, TrustOptions, sign_trust_list,
};
pub use verdict::{
    ChainEntry, DEFAULT_MAX_DEPTH, DEFAULT_MAX_SIGNATURES, DEFAULT_MAX_STEPS, Options, Purpose,
    RevocationEntry, RevocationSummary, Verdict,
};
pub use verifier::{RevocationData, Sm2Ids, Verifier};
