//! Bid signatures of the demo PKI's bidders (Shanghai SM2, Jiangsu RSA, Zhejiang P-256) verified
//! under the signed demo trust list with every demo CRL: valid in every CMS shape, and each
//! failure with its precise reason (tampered content, wrong key, revoked before and after the
//! revocation with and without a timestamp, encryption-only certificate, expired, unrecognised
//! CA, malformed input).

mod common;

use ca_bridge::signature::{
    CmsOptions, Content, DigestAlgorithm, SignatureOptions, SignatureVerifier, add_timestamp,
    sign_cms, signature_value,
};
use ca_bridge::{Certificate, RevocationData, Sm2Ids, Verifier};
use common::sig::{
    AT, BID, PROVINCES, REVOKED_AT, bidder_cert, bidder_key, demo_list, demo_tsa, expect, key,
    listed_fingerprint, pki, revocation, sign, splice, verify_cms, verify_cms_with,
};
use common::{cert, t};

fn expected_alg(province: &str) -> &'static str {
    match province {
        "shanghai" => "sm2-sm3",
        "jiangsu" => "rsa-pkcs1-sha256",
        _ => "ecdsa-p256-sha256",
    }
}

fn digest_of(province: &str) -> DigestAlgorithm {
    if province == "shanghai" {
        DigestAlgorithm::Sm3
    } else {
        DigestAlgorithm::Sha256
    }
}

#[test]
fn every_province_signs_every_cms_shape_and_each_is_valid() {
    let credit_codes = [
        ("shanghai", "91310118MA1H3K8N4A", "shanghai-demo-sm2-ca"),
        ("jiangsu", "91320509MA1MQ2G59F", "jiangsu-demo-rsa-ca"),
        ("zhejiang", "91330421MA2B1C3D4B", "zhejiang-demo-ecc-ca"),
    ];
    for (province, code, service) in credit_codes {
        for attached in [true, false] {
            for signed_attributes in [true, false] {
                for gm_oids in [false, true] {
                    let what = format!(
                        "{province} attached={attached} attrs={signed_attributes} gm={gm_oids}"
                    );
                    let cms = sign(
                        province,
                        "valid",
                        &CmsOptions {
                            attached,
                            signed_attributes,
                            gm_oids,
                            signing_time: Some(t("2026-11-29T10:00:00Z")),
                            ..CmsOptions::default()
                        },
                    );
                    let content = (!attached).then_some(Content::Bytes(BID));
                    let v = verify_cms(&cms, content);
                    expect(&v, None, &what);
                    let holder = v.holder.as_ref().expect("holder");
                    assert_eq!(holder.credit_code.as_deref(), Some(code), "{what}");
                    assert_eq!(v.province, Some(province), "{what}");
                    assert_eq!(
                        v.ca.as_ref().map(|c| c.id.as_str()),
                        Some(service),
                        "{what}"
                    );
                    assert_eq!(v.trust_list_sequence, Some(1));
                    assert_eq!(
                        v.signature_algorithm.as_deref(),
                        Some(expected_alg(province))
                    );
                    let digest = v.digest.as_ref().expect("digest");
                    let alg = digest_of(province);
                    assert_eq!(digest.algorithm, alg.as_str());
                    assert_eq!(digest.value, hex::encode(alg.digest(BID)), "{what}");
                    let signer = v.signer.as_ref().expect("signer");
                    assert_eq!(
                        signer.certificate_sha256,
                        listed_fingerprint(&format!("bidders/{province}/valid.pem"))
                    );
                    assert_eq!(
                        signer.sm2_id.as_deref(),
                        (province == "shanghai").then_some("1234567812345678")
                    );
                    let c = v.content.as_ref().expect("content");
                    assert_eq!(c.attached, attached);
                    assert_eq!(c.signed_attributes, signed_attributes);
                    assert_eq!(c.oids, if gm_oids { "gm-t-0010" } else { "pkcs7" });
                    // The claimed signing time is reported, the status judged at the validation
                    // time (no timestamp).
                    assert_eq!(
                        v.claimed_signing_time.as_deref(),
                        signed_attributes.then_some("2026-11-29T10:00:00Z")
                    );
                    assert_eq!(v.signing_time_source, "validation-time");
                    assert_eq!(v.signing_time, AT);
                    // JSON contract: top-level valid, no reason.
                    let json: serde_json::Value = serde_json::from_str(&v.to_json()).expect("JSON");
                    assert_eq!(json["valid"], true);
                    assert!(json.get("reason").is_none());
                    assert_eq!(json["holder"]["credit_code"], code);
                }
            }
        }
    }
}

#[test]
fn detached_signatures_verify_against_the_content_digest() {
    for province in PROVINCES {
        let alg = digest_of(province);
        let digest = alg.digest(BID);
        let with_attrs = sign(
            province,
            "valid",
            &CmsOptions {
                attached: false,
                ..CmsOptions::default()
            },
        );
        let v = verify_cms(
            &with_attrs,
            Some(Content::Digest {
                algorithm: alg,
                value: &digest,
            }),
        );
        expect(&v, None, province);
        // A digest by another algorithm cannot be compared: the content is missing.
        let other = if province == "shanghai" {
            DigestAlgorithm::Sha256
        } else {
            DigestAlgorithm::Sm3
        };
        let v = verify_cms(
            &with_attrs,
            Some(Content::Digest {
                algorithm: other,
                value: &other.digest(BID),
            }),
        );
        expect(&v, Some("content-missing"), province);
        // No content at all.
        expect(
            &verify_cms(&with_attrs, None),
            Some("content-missing"),
            province,
        );
        // Without signed attributes the signature covers the content itself: RSA and ECDSA can
        // be checked over its digest, SM2 (SM3 of Z and the content) cannot.
        let bare = sign(
            province,
            "valid",
            &CmsOptions {
                attached: false,
                signed_attributes: false,
                ..CmsOptions::default()
            },
        );
        let v = verify_cms(
            &bare,
            Some(Content::Digest {
                algorithm: alg,
                value: &digest,
            }),
        );
        let expected = (province == "shanghai").then_some("unsupported-signature");
        expect(&v, expected, province);
    }
}

#[test]
fn tampered_content_is_a_digest_mismatch() {
    let tampered = BID
        .iter()
        .map(|&b| if b == b'2' { b'9' } else { b })
        .collect::<Vec<u8>>();
    for province in PROVINCES {
        // Attached content altered inside the SignedData.
        let cms = sign(province, "valid", &CmsOptions::default());
        let altered = splice(&cms, BID, &tampered);
        let v = verify_cms(&altered, None);
        expect(&v, Some("digest-mismatch"), province);
        // The verdict still says who signed it, and what the signature covers.
        assert_eq!(v.province, Some(province));
        match v.error {
            Some(ca_bridge::Error::DigestMismatch {
                ref signed,
                ref computed,
                ..
            }) => {
                assert_eq!(*signed, hex::encode(digest_of(province).digest(BID)));
                assert_eq!(
                    *computed,
                    hex::encode(digest_of(province).digest(&tampered))
                );
            }
            ref other => panic!("{province}: {other:?}"),
        }
        // Detached: another document, or another digest.
        let detached = sign(
            province,
            "valid",
            &CmsOptions {
                attached: false,
                ..CmsOptions::default()
            },
        );
        expect(
            &verify_cms(&detached, Some(Content::Bytes(&tampered))),
            Some("digest-mismatch"),
            province,
        );
        let wrong = digest_of(province).digest(&tampered);
        expect(
            &verify_cms(
                &detached,
                Some(Content::Digest {
                    algorithm: digest_of(province),
                    value: &wrong,
                }),
            ),
            Some("digest-mismatch"),
            province,
        );
        // Attached, with another document supplied by the caller.
        expect(
            &verify_cms(&cms, Some(Content::Bytes(&tampered))),
            Some("digest-mismatch"),
            province,
        );
        expect(&verify_cms(&cms, Some(Content::Bytes(BID))), None, province);
        // Without signed attributes, the signature itself covers the content.
        let bare = sign(
            province,
            "valid",
            &CmsOptions {
                signed_attributes: false,
                ..CmsOptions::default()
            },
        );
        let altered = splice(&bare, BID, &tampered);
        expect(
            &verify_cms(&altered, None),
            Some("signature-invalid"),
            province,
        );
    }
}

#[test]
fn a_signature_by_another_key_is_signature_invalid() {
    // CMS: the same signed attributes (same content, same signing time) signed by the revoked
    // certificate's key, spliced into the valid certificate's SignedData (RSA PKCS#1 v1.5 is
    // deterministic and of fixed length).
    let opts = CmsOptions {
        signing_time: Some(t("2026-11-29T10:00:00Z")),
        ..CmsOptions::default()
    };
    let good = sign("jiangsu", "valid", &opts);
    let other = sign("jiangsu", "revoked", &opts);
    let forged = splice(
        &good,
        &signature_value(&good).expect("value"),
        &signature_value(&other).expect("value"),
    );
    let v = verify_cms(&forged, None);
    expect(&v, Some("signature-invalid"), "jiangsu CMS");
    assert_eq!(v.province, Some("jiangsu"));
    // Raw signatures, every algorithm: signed with the revoked certificate's key, checked with
    // the valid certificate.
    let list = demo_list();
    for province in PROVINCES {
        let alg = digest_of(province);
        let sig = bidder_key(province, "revoked")
            .sign(BID, alg, "1234567812345678", false)
            .expect("signs");
        let v = SignatureVerifier::with_trust_list(&list).verify_raw(
            &sig,
            &bidder_cert(province, "valid"),
            Content::Bytes(BID),
            &revocation(),
            &SignatureOptions::at(t(AT)),
        );
        expect(&v, Some("signature-invalid"), province);
        // The right key verifies.
        let sig = bidder_key(province, "valid")
            .sign(BID, alg, "1234567812345678", false)
            .expect("signs");
        let v = SignatureVerifier::with_trust_list(&list).verify_raw(
            &sig,
            &bidder_cert(province, "valid"),
            Content::Bytes(BID),
            &revocation(),
            &SignatureOptions::at(t(AT)),
        );
        expect(&v, None, province);
        assert_eq!(v.format, "raw");
    }
}

#[test]
fn a_revoked_certificate_is_judged_at_the_timestamped_signing_time() {
    let tsa = demo_tsa();
    let before = t("2026-02-15T08:00:00Z");
    let after = t("2026-03-15T08:00:00Z");
    for province in PROVINCES {
        // Timestamped before the revocation: valid, judged at the timestamp's time.
        let cms = sign(
            province,
            "revoked",
            &CmsOptions {
                timestamp: Some((&tsa, before)),
                ..CmsOptions::default()
            },
        );
        let v = verify_cms(&cms, None);
        expect(&v, None, &format!("{province} timestamped before"));
        assert_eq!(v.signing_time_source, "timestamp");
        assert_eq!(v.signing_time, "2026-02-15T08:00:00Z");
        let ts = v.timestamp.as_ref().expect("timestamp");
        assert!(ts.valid);
        assert_eq!(
            ts.service.as_ref().map(|s| s.id.as_str()),
            Some("yrd-demo-tsa")
        );
        assert_eq!(
            ts.tsa_certificate_sha256.as_deref(),
            Some(cert(&pki("tsa/tsa.pem")).sha256_hex().as_str())
        );
        // Timestamped after: revoked.
        let cms_after = sign(
            province,
            "revoked",
            &CmsOptions {
                timestamp: Some((&tsa, after)),
                ..CmsOptions::default()
            },
        );
        let v = verify_cms(&cms_after, None);
        expect(
            &v,
            Some("revoked"),
            &format!("{province} timestamped after"),
        );
        assert_eq!(v.signing_time, "2026-03-15T08:00:00Z");
        match &v.error {
            Some(ca_bridge::Error::Revoked { revoked_at, .. }) => {
                assert_eq!(revoked_at, REVOKED_AT);
            }
            other => panic!("{province}: {other:?}"),
        }
        // No timestamp: judged at the validation time, whatever signing time it claims.
        let untimed = sign(
            province,
            "revoked",
            &CmsOptions {
                signing_time: Some(before),
                ..CmsOptions::default()
            },
        );
        let v = verify_cms(&untimed, None);
        expect(
            &v,
            Some("revoked"),
            &format!("{province} without timestamp"),
        );
        assert_eq!(
            v.claimed_signing_time.as_deref(),
            Some("2026-02-15T08:00:00Z")
        );
        assert_eq!(v.signing_time_source, "validation-time");
        // Validated at a time before the revocation without a timestamp, the CRL (published at
        // the revocation) is from after the validation time and does not count: the status is
        // unknown. Only a timestamp lets later revocation data speak about an earlier time.
        let v = verify_cms_with(
            &untimed,
            None,
            &SignatureOptions::at(t("2026-02-20T00:00:00Z")),
        );
        expect(
            &v,
            Some("revocation-unknown"),
            &format!("{province} validated before the revocation"),
        );
        // A separately supplied token works the same (raw signature).
        let list = demo_list();
        let raw = bidder_key(province, "revoked")
            .sign(BID, digest_of(province), "1234567812345678", false)
            .expect("signs");
        let token = tsa.stamp(&raw, before, 7).expect("stamp");
        let mut opts = SignatureOptions::at(t(AT));
        opts.timestamp = Some(&token);
        let v = SignatureVerifier::with_trust_list(&list).verify_raw(
            &raw,
            &bidder_cert(province, "revoked"),
            Content::Bytes(BID),
            &revocation(),
            &opts,
        );
        expect(&v, None, &format!("{province} raw timestamped before"));
        opts.timestamp = None;
        let v = SignatureVerifier::with_trust_list(&list).verify_raw(
            &raw,
            &bidder_cert(province, "revoked"),
            Content::Bytes(BID),
            &revocation(),
            &opts,
        );
        expect(
            &v,
            Some("revoked"),
            &format!("{province} raw without timestamp"),
        );
    }
}

#[test]
fn certificate_problems_give_the_certificate_reason() {
    for province in PROVINCES {
        // keyUsage keyEncipherment only: an encryption certificate used to sign.
        let v = verify_cms(&sign(province, "wrong-usage", &CmsOptions::default()), None);
        expect(&v, Some("key-usage"), &format!("{province} wrong-usage"));
        let cert_verdict = v.certificate.as_ref().expect("certificate verdict");
        assert_eq!(cert_verdict.reason, Some("key-usage"));
        let v = verify_cms(&sign(province, "expired", &CmsOptions::default()), None);
        expect(&v, Some("expired"), &format!("{province} expired"));
        let v = verify_cms(
            &sign(province, "not-yet-valid", &CmsOptions::default()),
            None,
        );
        expect(
            &v,
            Some("not-yet-valid"),
            &format!("{province} not-yet-valid"),
        );
        // A bad credit code is reported, and refused when strict.
        let cms = sign(province, "bad-credit-code", &CmsOptions::default());
        let v = verify_cms(&cms, None);
        expect(&v, None, &format!("{province} bad-credit-code"));
        assert_eq!(
            v.holder.as_ref().map(|h| h.credit_code_check.as_str()),
            Some("bad-check-digit")
        );
        let mut strict = SignatureOptions::at(t(AT));
        strict.credit_code = ca_bridge::CreditCodePolicy::Strict;
        expect(
            &verify_cms_with(&cms, None, &strict),
            Some("bad-credit-code"),
            province,
        );
    }
}

#[test]
fn an_unrecognised_ca_is_never_trusted_even_when_its_certificate_comes_along() {
    let intruder_key = key(&pki("platforms/intruder.key"));
    let intruder = cert(&pki("platforms/intruder.pem"));
    let intruder_ca = cert(&pki("platforms/intruder-ca.pem"));
    let cms = sign_cms(
        BID,
        &intruder_key,
        &intruder,
        &CmsOptions {
            certificates: std::slice::from_ref(&intruder_ca),
            ..CmsOptions::default()
        },
    )
    .expect("signs");
    let v = verify_cms(&cms, None);
    expect(&v, Some("unknown-issuer"), "intruder under the list");
    assert!(v.ca.is_none());
    // Under explicit anchors the same signature is valid with the intruder CA as anchor (no
    // trust-list rules: key usage only, no credit code).
    let anchors = Verifier::new(vec![intruder_ca], vec![], Sm2Ids::default());
    let v = SignatureVerifier::with_anchors(&anchors).verify_cms(
        &cms,
        None,
        &RevocationData::default(),
        &SignatureOptions::at(t(AT)),
    );
    expect(&v, None, "intruder under its own anchor");
    assert!(v.ca.is_none() && v.province.is_none());
    let holder = v.holder.as_ref().expect("holder");
    assert_eq!(holder.credit_code, None);
    // A demo bidder under its province's root as the only anchor.
    let anchors = Verifier::new(
        vec![bidder_cert("jiangsu", "root")],
        vec![bidder_cert("jiangsu", "issuing-ca")],
        Sm2Ids::default(),
    );
    let verifier = SignatureVerifier::with_anchors(&anchors);
    let rsa = sign("jiangsu", "valid", &CmsOptions::default());
    expect(
        &verifier.verify_cms(&rsa, None, &revocation(), &SignatureOptions::at(t(AT))),
        None,
        "jiangsu under its root",
    );
    // Zhejiang's signature under Jiangsu's root: no path.
    let ecc = sign("zhejiang", "valid", &CmsOptions::default());
    expect(
        &verifier.verify_cms(&ecc, None, &revocation(), &SignatureOptions::at(t(AT))),
        Some("unknown-issuer"),
        "zhejiang under jiangsu's root",
    );
}

#[test]
fn malformed_signed_data_gets_a_precise_reason() {
    let good = sign("zhejiang", "valid", &CmsOptions::default());
    let garbage: Vec<u8> = (0..200u8).map(|i| i.wrapping_mul(37)).collect();
    let not_cms = bidder_cert("zhejiang", "valid").der().to_vec();
    for (what, input) in [
        ("empty", Vec::new()),
        ("garbage", garbage),
        ("truncated", good[..good.len() / 2].to_vec()),
        ("one byte short", good[..good.len() - 1].to_vec()),
        ("trailing data", [good.as_slice(), &[0u8]].concat()),
        ("a certificate", not_cms),
    ] {
        let v = verify_cms(&input, None);
        expect(&v, Some("malformed"), what);
        assert!(
            matches!(
                v.error,
                Some(ca_bridge::Error::Malformed {
                    object: "signed-data",
                    ..
                })
            ),
            "{what}: {:?}",
            v.error
        );
    }
    // A ContentInfo of another type is named.
    let data = [
        0x30, 0x0f, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01, 0xa0, 0x02,
        0x05, 0x00,
    ];
    let v = verify_cms(&data, None);
    expect(&v, Some("malformed"), "id-data");
    assert!(
        v.detail
            .as_deref()
            .is_some_and(|d| d.contains("1.2.840.113549.1.7.1 is not signedData")),
        "{:?}",
        v.detail
    );
    // An ECDSA signature value that is not DER SEQUENCE { r, s }.
    let value = signature_value(&good).expect("value");
    let mut mangled = value.clone();
    mangled[0] = 0x31;
    let v = verify_cms(&splice(&good, &value, &mangled), None);
    expect(&v, Some("malformed"), "signature value");
    // The signer's certificate left out and not supplied.
    let without = sign(
        "zhejiang",
        "valid",
        &CmsOptions {
            include_signer_certificate: false,
            ..CmsOptions::default()
        },
    );
    expect(
        &verify_cms(&without, None),
        Some("signer-not-found"),
        "no certificate",
    );
    let chain = [bidder_cert("zhejiang", "valid")];
    let mut opts = SignatureOptions::at(t(AT));
    opts.chain = &chain;
    expect(
        &verify_cms_with(&without, None, &opts),
        None,
        "certificate supplied",
    );
}

#[test]
fn timestamps_that_prove_nothing_are_refused() {
    let tsa = demo_tsa();
    let before = t("2026-02-15T08:00:00Z");
    let cms = sign("jiangsu", "revoked", &CmsOptions::default());
    let value = signature_value(&cms).expect("value");
    let cause = |v: &ca_bridge::signature::SignatureVerdict| match &v.error {
        Some(ca_bridge::Error::TimestampUntrusted { cause, .. }) => cause.clone(),
        other => panic!("{other:?}"),
    };
    // A token over another signature.
    let other = tsa.stamp(b"another signature", before, 1).expect("stamp");
    let v = verify_cms(&add_timestamp(&cms, &other).expect("adds"), None);
    expect(&v, Some("timestamp-untrusted"), "imprint");
    assert_eq!(cause(&v), "imprint-mismatch");
    assert_eq!(v.signing_time_source, "validation-time");
    // A token from after the validation time.
    let future = tsa.stamp(&value, t(AT) + 3600, 2).expect("stamp");
    let v = verify_cms(&add_timestamp(&cms, &future).expect("adds"), None);
    assert_eq!(cause(&v), "future");
    // A token by a "TSA" the list does not recognise (and whose certificate is no TSA's).
    let rogue = ca_bridge::signature::TimestampAuthority::new(
        bidder_key("zhejiang", "valid"),
        bidder_cert("zhejiang", "valid"),
        "1.2.3.4",
    )
    .expect("rogue TSA");
    let token = rogue.stamp(&value, before, 3).expect("stamp");
    let v = verify_cms(&add_timestamp(&cms, &token).expect("adds"), None);
    expect(&v, Some("timestamp-untrusted"), "rogue");
    assert_eq!(cause(&v), "unknown-issuer");
    // The demo TSA without its CRL: its certificate's status is unknown.
    let good_token = tsa.stamp(&value, before, 4).expect("stamp");
    let stamped = add_timestamp(&cms, &good_token).expect("adds");
    let mut rev = revocation();
    rev.crls.pop();
    let list = demo_list();
    let v = SignatureVerifier::with_trust_list(&list).verify_cms(
        &stamped,
        None,
        &rev,
        &SignatureOptions::at(t(AT)),
    );
    assert_eq!(cause(&v), "revocation-unknown");
    // Under anchors without TSA anchors no timestamp is trusted; with them it is.
    let anchors = Verifier::new(
        vec![bidder_cert("jiangsu", "root")],
        vec![bidder_cert("jiangsu", "issuing-ca")],
        Sm2Ids::default(),
    );
    let v = SignatureVerifier::with_anchors(&anchors).verify_cms(
        &stamped,
        None,
        &revocation(),
        &SignatureOptions::at(t(AT)),
    );
    assert_eq!(cause(&v), "no-tsa-trusted");
    let tsa_anchor = Verifier::new(vec![cert(&pki("tsa/root.pem"))], vec![], Sm2Ids::default());
    let v = SignatureVerifier::with_anchors(&anchors)
        .tsa_anchors(&tsa_anchor)
        .verify_cms(&stamped, None, &revocation(), &SignatureOptions::at(t(AT)));
    expect(&v, None, "TSA anchor");
    assert_eq!(v.signing_time, "2026-02-15T08:00:00Z");
    // A token altered after signing.
    let mut altered = good_token.clone();
    let pos = altered
        .windows(15)
        .position(|w| w == b"20260215080000Z")
        .expect("genTime");
    altered[pos + 3] = b'5';
    let v = verify_cms(&add_timestamp(&cms, &altered).expect("adds"), None);
    assert_eq!(cause(&v), "digest-mismatch");
    // Garbage as a token.
    let mut opts = SignatureOptions::at(t(AT));
    opts.timestamp = Some(b"not a token");
    let v = verify_cms_with(&cms, None, &opts);
    assert_eq!(cause(&v), "malformed");
}

#[test]
fn the_sm2_distinguishing_id_matters() {
    // Signed with an empty ID: the CA service's ID (1234567812345678) does not verify it.
    let cms = sign(
        "shanghai",
        "valid",
        &CmsOptions {
            sm2_id: "",
            ..CmsOptions::default()
        },
    );
    expect(
        &verify_cms(&cms, None),
        Some("signature-invalid"),
        "empty ID",
    );
    let mut opts = SignatureOptions::at(t(AT));
    opts.sm2_id = Some("");
    let v = verify_cms_with(&cms, None, &opts);
    expect(&v, None, "empty ID given");
    assert_eq!(v.signer.and_then(|s| s.sm2_id).as_deref(), Some(""));
}

#[test]
fn raw_sm2_over_a_digest_takes_the_sm2_prehash() {
    let list = demo_list();
    let cert = bidder_cert("shanghai", "valid");
    let sig = bidder_key("shanghai", "valid")
        .sign(BID, DigestAlgorithm::Sm3, "1234567812345678", false)
        .expect("signs");
    let e = ca_bridge::signature::sm2_prehash(&cert, "1234567812345678", BID).expect("e");
    let verify = |value: &[u8]| {
        SignatureVerifier::with_trust_list(&list).verify_raw(
            &sig,
            &cert,
            Content::Digest {
                algorithm: DigestAlgorithm::Sm3,
                value,
            },
            &revocation(),
            &SignatureOptions::at(t(AT)),
        )
    };
    let v = verify(&e);
    expect(&v, None, "e");
    assert_eq!(v.digest.as_ref().map(|d| d.over), Some("sm2-z-and-content"));
    // SM3 of the document alone is not what SM2 signs.
    expect(
        &verify(&DigestAlgorithm::Sm3.digest(BID)),
        Some("signature-invalid"),
        "SM3(document)",
    );
}

#[test]
fn raw_rsa_pss_on_request() {
    let list = demo_list();
    let cert: Certificate = bidder_cert("jiangsu", "valid");
    let sig = bidder_key("jiangsu", "valid")
        .sign(BID, DigestAlgorithm::Sha256, "", true)
        .expect("signs");
    let mut opts = SignatureOptions::at(t(AT));
    opts.rsa_pss = true;
    let v = SignatureVerifier::with_trust_list(&list).verify_raw(
        &sig,
        &cert,
        Content::Bytes(BID),
        &revocation(),
        &opts,
    );
    expect(&v, None, "PSS");
    assert_eq!(v.signature_algorithm.as_deref(), Some("rsa-pss-sha256"));
    // Over the digest as well.
    let digest = DigestAlgorithm::Sha256.digest(BID);
    let v = SignatureVerifier::with_trust_list(&list).verify_raw(
        &sig,
        &cert,
        Content::Digest {
            algorithm: DigestAlgorithm::Sha256,
            value: &digest,
        },
        &revocation(),
        &opts,
    );
    expect(&v, None, "PSS over the digest");
    // Checked as PKCS#1 v1.5 it does not verify.
    expect(
        &SignatureVerifier::with_trust_list(&list).verify_raw(
            &sig,
            &cert,
            Content::Bytes(BID),
            &revocation(),
            &SignatureOptions::at(t(AT)),
        ),
        Some("signature-invalid"),
        "PSS as PKCS#1",
    );
    // A truncated RSA signature is malformed, not merely invalid.
    expect(
        &SignatureVerifier::with_trust_list(&list).verify_raw(
            &sig[1..],
            &cert,
            Content::Bytes(BID),
            &revocation(),
            &opts,
        ),
        Some("malformed"),
        "short RSA signature",
    );
}
