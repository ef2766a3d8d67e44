//! The entry point of the cargo-fuzz target (`fuzz/fuzz_targets/parse_and_verify.rs`), also used
//! by the test that replays the fuzz corpus.
//!
//! Why this module exists: the fuzz target and its replay test must exercise the same code; it is
//! hidden from the documentation because it is not part of the API.

use crate::{
    Certificate, Crl, OcspResponse, Options, Purpose, RevocationData, Sm2Ids, Verifier,
    decode_pem_or_der,
};

/// A fixed validation time (2027-01-01T00:00:00Z), so that runs are reproducible.
const AT: i64 = 1_798_761_600;

/// Decodes `data` as every input kind (PEM/DER container, certificate, CRL, OCSP response), then
/// validates the certificate, if it is one, against itself as the trust anchor with the CRL view of
/// the same bytes as revocation data. Returns the reason code, `valid`, or the decoding error code.
pub fn parse_and_verify(data: &[u8]) -> &'static str {
    let blobs = decode_pem_or_der(data).unwrap_or_default();
    let der = blobs.first().map_or(data, |(_, d)| d.as_slice());
    let crl = Crl::from_der(der).ok();
    let _ = OcspResponse::from_der(der);
    match Certificate::from_der(der) {
        Err(e) => e.code(),
        Ok(cert) => {
            let _ = cert.to_json();
            let verifier = Verifier::new(vec![cert.clone()], vec![cert.clone()], Sm2Ids::default());
            let mut opts = Options::at(AT);
            opts.purpose = Purpose::Any;
            let rev = RevocationData {
                crls: crl.into_iter().collect(),
                ocsp: Vec::new(),
            };
            let v = verifier.verify(&cert, &rev, &opts);
            let _ = v.to_json();
            v.reason.unwrap_or("valid")
        }
    }
}

/// Decodes `data` as a CMS SignedData and verifies it with every certificate it carries as a trust
/// anchor (and as a TSA anchor), over its attached content or, when detached, over `data` itself;
/// also runs the builder helpers that read a SignedData. Returns the reason code or `valid`.
pub fn verify_signed_data(data: &[u8]) -> &'static str {
    use crate::signature::{Content, SignatureOptions, SignatureVerifier};
    let _ = crate::signature::signature_value(data);
    let _ = crate::signature::add_timestamp(data, data);
    let carried = crate::signature::carried_certificates(data);
    let anchors = Verifier::new(carried.clone(), Vec::new(), Sm2Ids::default());
    let tsa = Verifier::new(carried, Vec::new(), Sm2Ids::default());
    let verifier = SignatureVerifier::with_anchors(&anchors).tsa_anchors(&tsa);
    let opts = SignatureOptions::at(AT);
    let rev = RevocationData::default();
    let attached = verifier.verify_cms(data, None, &rev, &opts);
    let _ = attached.to_json();
    if attached.reason == Some("content-missing") {
        let v = verifier.verify_cms(data, Some(Content::Bytes(data)), &rev, &opts);
        let _ = v.to_json();
        return v.reason.unwrap_or("valid");
    }
    attached.reason.unwrap_or("valid")
}
