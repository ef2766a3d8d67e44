//! Checks the committed demo PKI in `seeds/pki/` against what `seeds/README.md` documents.
//!
//! Independent of the generator: parsing with x509-parser, RSA/ECDSA chains and CRLs through
//! OpenSSL's `X509_verify_cert`, SM2 signatures with the RustCrypto `sm2` crate over the TBS bytes,
//! credit codes with a separate GB 32100 implementation. Verification times are fixed.
//!
//! `DEMO_PKI_DIR=DIR cargo test -p xtask` runs the same checks on another copy, e.g. one just made
//! with `cargo run -p xtask -- demo-pki --out DIR`.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use openssl::pkey::PKey;
use openssl::ssl::SslFiletype;
use openssl::stack::Stack;
use openssl::x509::store::{X509Lookup, X509StoreBuilder};
use openssl::x509::verify::{X509VerifyFlags, X509VerifyParam};
use openssl::x509::{X509, X509Crl, X509StoreContext, X509VerifyResult};
use sha2::{Digest, Sha256};
use sm2::dsa::signature::Verifier;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::{FromDer, X509Extension};
use x509_parser::revocation_list::CertificateRevocationList;

const SM2_ID: &str = "1234567812345678";
const BIDDERS: [&str; 6] = [
    "valid",
    "expired",
    "not-yet-valid",
    "revoked",
    "wrong-usage",
    "bad-credit-code",
];
/// `(province, region code, credit-code extension OID)`.
const PROVINCES: [(&str, &str, &str); 3] = [
    ("shanghai", "310118", "1.2.156.10260.4.1.4"),
    ("jiangsu", "320509", "1.2.86.11.7.4"),
    ("zhejiang", "330421", "1.2.156.10260.4.4"),
];

/// 2030-01-01T00:00:00Z: a time at which the CAs and the "valid" certificates are valid.
const T2030: i64 = 1_893_456_000;

/// The PKI under test: `seeds/pki`, or `$DEMO_PKI_DIR` (to check a freshly generated copy).
fn pki() -> PathBuf {
    match std::env::var_os("DEMO_PKI_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => workspace().join("seeds/pki"),
    }
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(relative: &str) -> Vec<u8> {
    let path = pki().join(relative);
    fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The DER of the single PEM block in `relative`.
fn der(relative: &str) -> Vec<u8> {
    let pem = read(relative);
    let (rest, pem) = x509_parser::pem::parse_x509_pem(&pem).expect(relative);
    assert!(
        rest.iter().all(u8::is_ascii_whitespace),
        "{relative}: trailing data"
    );
    pem.contents
}

fn with_cert<T>(relative: &str, f: impl FnOnce(&X509Certificate<'_>) -> T) -> T {
    let der = der(relative);
    let (rest, cert) = X509Certificate::from_der(&der).expect(relative);
    assert!(rest.is_empty(), "{relative}: trailing data");
    f(&cert)
}

fn with_crl<T>(relative: &str, f: impl FnOnce(&CertificateRevocationList<'_>) -> T) -> T {
    let der = der(relative);
    let (rest, crl) = CertificateRevocationList::from_der(&der).expect(relative);
    assert!(rest.is_empty(), "{relative}: trailing data");
    f(&crl)
}

fn openssl_cert(relative: &str) -> X509 {
    X509::from_pem(&read(relative)).expect(relative)
}

/// Every certificate path (relative, `.pem`) of the documented layout.
fn certificates() -> Vec<String> {
    let mut paths: Vec<String> = [
        "server-ca",
        "server",
        "platform-ca",
        "bridge-operator",
        "platforms/shanghai",
        "platforms/jiangsu",
        "platforms/zhejiang",
        "platforms/operator",
        "platforms/expired",
        "platforms/intruder-ca",
        "platforms/intruder",
    ]
    .iter()
    .map(|s| format!("{s}.pem"))
    .collect();
    for (province, _, _) in PROVINCES {
        for name in ["root", "issuing-ca"].iter().chain(&BIDDERS) {
            paths.push(format!("bidders/{province}/{name}.pem"));
        }
    }
    paths
}

/// Every file under `seeds/pki`, relative, sorted.
fn files_on_disk() -> BTreeSet<String> {
    fn walk(dir: &Path, base: &Path, out: &mut BTreeSet<String>) {
        for entry in fs::read_dir(dir).expect("readable directory") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                walk(&path, base, out);
            } else {
                let relative = path.strip_prefix(base).expect("under base");
                out.insert(relative.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(&pki(), &pki(), &mut out);
    out
}

#[test]
fn layout_is_exactly_the_documented_one() {
    let mut expected = BTreeSet::new();
    for cert in certificates() {
        expected.insert(cert.replace(".pem", ".key"));
        expected.insert(cert);
    }
    for (province, _, _) in PROVINCES {
        expected.insert(format!("bidders/{province}/crl.pem"));
        expected.insert(format!("bidders/{province}/arl.pem"));
    }
    expected.insert("fingerprints.txt".to_owned());
    // The demo timestamping authority is made apart (ca-bridge/scripts/demo-tsa.sh), additively.
    for f in [
        "tsa/root.pem",
        "tsa/root.key",
        "tsa/tsa.pem",
        "tsa/tsa.key",
        "tsa/crl.pem",
        // The demo gateway's receipt signing key, made apart too (seeds/README.md).
        "receipts/gateway.pem",
        "receipts/gateway.key",
    ] {
        expected.insert(f.to_owned());
    }
    assert_eq!(files_on_disk(), expected);
}

#[test]
fn every_file_parses_and_every_key_matches_its_certificate() {
    for path in certificates() {
        with_cert(&path, |cert| {
            assert_eq!(cert.version().0, 2, "{path}: version 3");
            let serial = cert.raw_serial();
            assert!(
                serial.len() <= 20 && serial[0] & 0x80 == 0,
                "{path}: serial"
            );
            assert!(serial.iter().any(|&b| b != 0), "{path}: serial is zero");
            let ski = cert
                .extensions()
                .iter()
                .find_map(|e| match e.parsed_extension() {
                    ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0.to_vec()),
                    _ => None,
                });
            let aki = cert
                .extensions()
                .iter()
                .find_map(|e| match e.parsed_extension() {
                    ParsedExtension::AuthorityKeyIdentifier(aki) => aki.key_identifier.clone(),
                    _ => None,
                });
            assert!(ski.is_some() && aki.is_some(), "{path}: key identifiers");
            for ext in cert.extensions() {
                assert!(
                    !matches!(
                        ext.parsed_extension(),
                        ParsedExtension::UnsupportedExtension { .. }
                    ) || is_credit_code_oid(&ext.oid.to_id_string()),
                    "{path}: unexpected extension {}",
                    ext.oid
                );
            }
        });

        let key_path = path.replace(".pem", ".key");
        let key_pem = read(&key_path);
        assert!(
            key_pem.starts_with(b"-----BEGIN PRIVATE KEY-----\n"),
            "{key_path}: PKCS#8 PEM"
        );
        let key = PKey::private_key_from_pem(&key_pem).expect(&key_path);
        let cert = openssl_cert(&path);
        let cert_key = cert.public_key().expect("public key");
        assert!(cert_key.public_eq(&key), "{key_path} does not match {path}");
    }
    for (province, _, _) in PROVINCES {
        for crl in ["crl", "arl"] {
            with_crl(&format!("bidders/{province}/{crl}.pem"), |crl| {
                assert_eq!(crl.version().map(|v| v.0), Some(1), "CRL v2");
            });
        }
    }
}

fn is_credit_code_oid(oid: &str) -> bool {
    PROVINCES.iter().any(|(_, _, o)| *o == oid)
}

#[test]
fn fingerprints_list_every_certificate() {
    let text = String::from_utf8(read("fingerprints.txt")).expect("UTF-8");
    let mut listed = Vec::new();
    for line in text.lines() {
        let (fingerprint, path) = line.split_once("  ").expect("`HEX  PATH` lines");
        assert_eq!(
            fingerprint,
            hex::encode(Sha256::digest(der(path))),
            "{path}"
        );
        listed.push(path.to_owned());
    }
    let mut expected = certificates();
    expected.sort();
    assert_eq!(listed, expected);
}

/// OpenSSL's verdict for `leaf` under `anchor` with `intermediates` at `time`, optionally with
/// CRL checking over the whole chain.
fn openssl_verify(
    anchor: &str,
    intermediates: &[&str],
    leaf: &str,
    time: i64,
    crls: &[&str],
) -> X509VerifyResult {
    let mut store = X509StoreBuilder::new().expect("store");
    store.add_cert(openssl_cert(anchor)).expect("anchor");
    let mut param = X509VerifyParam::new().expect("param");
    param.set_time(time);
    if !crls.is_empty() {
        param
            .set_flags(X509VerifyFlags::CRL_CHECK | X509VerifyFlags::CRL_CHECK_ALL)
            .expect("flags");
        let lookup = store.add_lookup(X509Lookup::file()).expect("lookup");
        for crl in crls {
            let path = pki().join(crl);
            lookup.load_crl_file(&path, SslFiletype::PEM).expect(crl);
        }
    }
    store.set_param(&param).expect("param");
    let store = store.build();
    let mut chain = Stack::new().expect("stack");
    for i in intermediates {
        chain.push(openssl_cert(i)).expect("push");
    }
    let mut context = X509StoreContext::new().expect("context");
    context
        .init(&store, &openssl_cert(leaf), &chain, |c| {
            c.verify_cert()?;
            Ok(c.error())
        })
        .expect("verification ran")
}

#[test]
fn rsa_and_ecdsa_bidder_chains_verify_with_openssl() {
    use X509VerifyResult as R;
    for province in ["jiangsu", "zhejiang"] {
        let dir = format!("bidders/{province}");
        let root = format!("{dir}/root.pem");
        let issuing = format!("{dir}/issuing-ca.pem");
        let crls = [format!("{dir}/crl.pem"), format!("{dir}/arl.pem")];
        let crls = [crls[0].as_str(), crls[1].as_str()];
        let verdict = |leaf: &str, time, crls: &[&str]| {
            openssl_verify(&root, &[&issuing], &format!("{dir}/{leaf}.pem"), time, crls)
        };
        for leaf in ["valid", "wrong-usage", "bad-credit-code", "revoked"] {
            assert_eq!(verdict(leaf, T2030, &[]), R::OK, "{province} {leaf}");
        }
        for leaf in ["valid", "wrong-usage", "bad-credit-code"] {
            assert_eq!(
                verdict(leaf, T2030, &crls),
                R::OK,
                "{province} {leaf} with CRLs"
            );
        }
        // X509_V_ERR_CERT_REVOKED = 23, CERT_HAS_EXPIRED = 10, CERT_NOT_YET_VALID = 9.
        assert_eq!(
            verdict("revoked", T2030, &crls).as_raw(),
            23,
            "{province} revoked"
        );
        assert_eq!(
            verdict("expired", T2030, &[]).as_raw(),
            10,
            "{province} expired"
        );
        assert_eq!(
            verdict("not-yet-valid", T2030, &[]).as_raw(),
            9,
            "{province}"
        );
        // 2042-01-01: the not-yet-valid certificate has started.
        assert_eq!(
            verdict("not-yet-valid", 2_272_147_200, &crls),
            R::OK,
            "{province}"
        );

        // The CRLs are signed by the right keys.
        for (crl, signer) in [("crl", &issuing), ("arl", &root)] {
            let crl = X509Crl::from_pem(&read(&format!("{dir}/{crl}.pem"))).expect("CRL");
            let key = openssl_cert(signer).public_key().expect("key");
            assert!(crl.verify(&key).expect("verify ran"), "{dir} {signer}");
        }
    }
}

#[test]
fn tls_certificates_verify_with_openssl() {
    use X509VerifyResult as R;
    let v = |anchor: &str, leaf: &str| openssl_verify(anchor, &[], leaf, T2030, &[]);
    assert_eq!(v("server-ca.pem", "server.pem"), R::OK);
    for p in ["shanghai", "jiangsu", "zhejiang", "operator"] {
        assert_eq!(
            v("platform-ca.pem", &format!("platforms/{p}.pem")),
            R::OK,
            "{p}"
        );
    }
    assert_eq!(v("platform-ca.pem", "platforms/expired.pem").as_raw(), 10);
    // X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY = 20.
    assert_eq!(v("platform-ca.pem", "platforms/intruder.pem").as_raw(), 20);
    assert_eq!(
        v("platforms/intruder-ca.pem", "platforms/intruder.pem"),
        R::OK
    );
    assert_eq!(v("bridge-operator.pem", "bridge-operator.pem"), R::OK);
    // The platforms' keys: RSA for Jiangsu, ECDSA P-256 for the others.
    let jiangsu = openssl_cert("platforms/jiangsu.pem")
        .public_key()
        .expect("key");
    assert_eq!(jiangsu.rsa().expect("RSA").size(), 256);
    let shanghai = openssl_cert("platforms/shanghai.pem")
        .public_key()
        .expect("key");
    assert!(shanghai.ec_key().is_ok());
}

/// Verifies an SM2 signature over `tbs` by the key in `issuer` with the distinguishing `id`.
fn sm2_verifies(issuer: &X509Certificate<'_>, tbs: &[u8], signature: &[u8], id: &str) -> bool {
    let point = &issuer.public_key().subject_public_key.data;
    let key = sm2::dsa::VerifyingKey::from_sec1_bytes(id, point).expect("SM2 public key");
    let signature = sm2::dsa::Signature::from_der(signature).expect("DER SM2 signature");
    key.verify(tbs, &signature).is_ok()
}

#[test]
fn sm2_chain_and_crls_verify_with_the_distinguishing_id_only() {
    let dir = "bidders/shanghai";
    let links: Vec<(String, &str)> = [("root", "root"), ("issuing-ca", "root")]
        .into_iter()
        .map(|(c, i)| (c.to_owned(), i))
        .chain(BIDDERS.iter().map(|b| (b.to_string(), "issuing-ca")))
        .collect();
    for (subject, issuer) in &links {
        with_cert(&format!("{dir}/{issuer}.pem"), |issuer_cert| {
            with_cert(&format!("{dir}/{subject}.pem"), |cert| {
                assert_eq!(
                    cert.signature_algorithm.algorithm.to_id_string(),
                    "1.2.156.10197.1.501"
                );
                let spki = &cert.public_key().algorithm;
                let curve = spki.parameters.as_ref().and_then(|p| p.as_oid().ok());
                assert_eq!(
                    curve.map(|c| c.to_id_string()).as_deref(),
                    Some("1.2.156.10197.1.301")
                );
                let tbs = cert.tbs_certificate.as_ref();
                let sig = &cert.signature_value.data;
                assert!(
                    sm2_verifies(issuer_cert, tbs, sig, SM2_ID),
                    "{subject} by {issuer}"
                );
                assert!(
                    !sm2_verifies(issuer_cert, tbs, sig, ""),
                    "{subject}: empty ID"
                );
            })
        });
    }
    for (crl, issuer) in [("crl", "issuing-ca"), ("arl", "root")] {
        with_cert(&format!("{dir}/{issuer}.pem"), |issuer_cert| {
            with_crl(&format!("{dir}/{crl}.pem"), |crl_der| {
                assert_eq!(
                    crl_der.signature_algorithm.algorithm.to_id_string(),
                    "1.2.156.10197.1.501"
                );
                let tbs = crl_der.tbs_cert_list.as_ref();
                let sig = &crl_der.signature_value.data;
                assert!(sm2_verifies(issuer_cert, tbs, sig, SM2_ID), "{crl}");
                assert!(!sm2_verifies(issuer_cert, tbs, sig, ""), "{crl}: empty ID");
            })
        });
    }
}

/// GB 32100 check character, written independently of the generator.
fn gb32100_check(code: &str) -> Option<char> {
    const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    let mut sum = 0usize;
    let mut weight = 1usize;
    for c in code.chars().take(17) {
        sum += ALPHABET.find(c)? * weight;
        weight = weight * 3 % 31;
    }
    ALPHABET.chars().nth((31 - sum % 31) % 31)
}

/// The credit code in extension `oid`: a DER PrintableString.
fn credit_code_extension(cert: &X509Certificate<'_>, oid: &str) -> String {
    let ext: &X509Extension<'_> = cert
        .extensions()
        .iter()
        .find(|e| e.oid.to_id_string() == oid)
        .unwrap_or_else(|| panic!("no extension {oid}"));
    assert!(!ext.critical, "credit-code extension is non-critical");
    let value = ext.value;
    assert_eq!(value[0], 0x13, "PrintableString tag");
    assert_eq!(usize::from(value[1]), value.len() - 2, "short length");
    String::from_utf8(value[2..].to_vec()).expect("ASCII")
}

#[test]
fn credit_codes_are_where_each_province_puts_them() {
    let readme = fs::read_to_string(workspace().join("seeds/README.md")).expect("seeds/README.md");
    let mut seen = BTreeSet::new();
    for (province, region, oid) in PROVINCES {
        for bidder in BIDDERS {
            let path = format!("bidders/{province}/{bidder}.pem");
            let code = with_cert(&path, |cert| {
                let code = credit_code_extension(cert, oid);
                let serial_number = cert
                    .subject()
                    .iter_by_oid(&x509_parser::oid_registry::OID_X509_SERIALNUMBER)
                    .next()
                    .map(|a| a.as_str().expect("string").to_owned());
                if province == "zhejiang" {
                    assert_eq!(serial_number.as_deref(), Some(code.as_str()), "{path}");
                } else {
                    assert_eq!(serial_number, None, "{path}");
                }
                code
            });
            assert_eq!(code.len(), 18, "{path}");
            assert_eq!(&code[2..8], region, "{path}: region code");
            let check_ok = gb32100_check(&code) == code.chars().nth(17);
            assert_eq!(check_ok, bidder != "bad-credit-code", "{path}: {code}");
            assert!(seen.insert(code.clone()), "{path}: duplicate {code}");
            assert!(
                readme.contains(&code),
                "seeds/README.md does not list {code}"
            );
        }
    }
}

#[test]
fn crls_list_exactly_the_revoked_bidder() {
    for (province, _, _) in PROVINCES {
        let dir = format!("bidders/{province}");
        let revoked_serial = with_cert(&format!("{dir}/revoked.pem"), |c| c.raw_serial().to_vec());
        let key_id = |path: &str| {
            with_cert(path, |c| {
                c.extensions()
                    .iter()
                    .find_map(|e| match e.parsed_extension() {
                        ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0.to_vec()),
                        _ => None,
                    })
            })
        };
        for (crl, issuer, entries) in [("crl", "issuing-ca", 1), ("arl", "root", 0)] {
            let issuer_key_id = key_id(&format!("{dir}/{issuer}.pem"));
            let issuer_name =
                with_cert(&format!("{dir}/{issuer}.pem"), |c| c.subject().to_string());
            with_crl(&format!("{dir}/{crl}.pem"), |list| {
                assert_eq!(list.issuer().to_string(), issuer_name);
                assert_eq!(list.last_update().timestamp(), 1_772_323_200, "2026-03-01");
                assert_eq!(
                    list.next_update().map(|t| t.timestamp()),
                    Some(2_366_841_600)
                );
                assert!(list.crl_number().is_some(), "{dir}/{crl}: CRL number");
                let aki = list
                    .extensions()
                    .iter()
                    .find_map(|e| match e.parsed_extension() {
                        ParsedExtension::AuthorityKeyIdentifier(a) => {
                            a.key_identifier.as_ref().map(|k| k.0.to_vec())
                        }
                        _ => None,
                    });
                assert_eq!(aki, issuer_key_id, "{dir}/{crl}: authority key id");
                let revoked: Vec<_> = list.iter_revoked_certificates().collect();
                assert_eq!(revoked.len(), entries, "{dir}/{crl}");
                if let Some(entry) = revoked.first() {
                    assert_eq!(entry.raw_serial(), revoked_serial.as_slice());
                    assert_eq!(entry.revocation_date.timestamp(), 1_772_323_200);
                    let reason = entry.reason_code().map(|(_, r)| r.0);
                    assert_eq!(reason, Some(1), "keyCompromise");
                }
            });
        }
    }
}

/// `(notBefore, notAfter)` as Unix times.
fn validity(path: &str) -> (i64, i64) {
    with_cert(path, |c| {
        (
            c.validity().not_before.timestamp(),
            c.validity().not_after.timestamp(),
        )
    })
}

#[test]
fn validity_windows_are_as_documented() {
    const Y2020: i64 = 1_577_836_800; // 2020-01-01T00:00:00Z
    const Y2021: i64 = 1_609_459_200; // 2021-01-01T00:00:00Z
    const Y2025: i64 = 1_735_689_600; // 2025-01-01T00:00:00Z
    const JUNE_2025: i64 = 1_748_736_000; // 2025-06-01T00:00:00Z
    const END_2040: i64 = 2_240_611_199; // 2040-12-31T23:59:59Z
    const Y2040: i64 = 2_208_988_800; // 2040-01-01T00:00:00Z
    const END_2045: i64 = 2_398_377_599; // 2045-12-31T23:59:59Z
    for path in certificates() {
        let expected = match path.rsplit('/').next().unwrap_or_default() {
            "expired.pem" => (Y2020, Y2021),
            "not-yet-valid.pem" => (Y2040, END_2045),
            "valid.pem" | "revoked.pem" | "wrong-usage.pem" | "bad-credit-code.pem" => {
                (JUNE_2025, END_2040)
            }
            _ => (Y2025, END_2045),
        };
        assert_eq!(validity(&path), expected, "{path}");
    }
}

#[test]
fn profiles_have_the_documented_usages() {
    for (province, _, _) in PROVINCES {
        let dir = format!("bidders/{province}");
        for (ca, path_len) in [("root", None), ("issuing-ca", Some(0))] {
            with_cert(&format!("{dir}/{ca}.pem"), |c| {
                let bc = c.basic_constraints().expect("one").expect("present");
                assert!(bc.critical && bc.value.ca, "{dir}/{ca}");
                assert_eq!(bc.value.path_len_constraint, path_len, "{dir}/{ca}");
                let ku = c.key_usage().expect("one").expect("present");
                assert!(ku.critical && ku.value.key_cert_sign() && ku.value.crl_sign());
                assert!(!ku.value.digital_signature());
            });
        }
        for bidder in BIDDERS {
            with_cert(&format!("{dir}/{bidder}.pem"), |c| {
                let ku = c.key_usage().expect("one").expect("present");
                assert!(ku.critical, "{dir}/{bidder}");
                let signing = ku.value.digital_signature() && ku.value.non_repudiation();
                let encryption_only = ku.value.flags == 1 << 2;
                if bidder == "wrong-usage" {
                    assert!(encryption_only && !signing, "{dir}/{bidder}");
                } else {
                    assert_eq!(ku.value.flags, 0b11, "{dir}/{bidder}");
                }
                let dp = c
                    .extensions()
                    .iter()
                    .find_map(|e| match e.parsed_extension() {
                        ParsedExtension::CRLDistributionPoints(p) => Some(format!("{p:?}")),
                        _ => None,
                    });
                let url = format!("http://127.0.0.1/crl/{province}.crl");
                assert!(
                    dp.is_some_and(|d| d.contains(&url)),
                    "{dir}/{bidder}: {url}"
                );
            });
        }
    }
    with_cert("server.pem", |c| {
        let san = c.subject_alternative_name().expect("one").expect("present");
        let text = format!("{:?}", san.value.general_names);
        assert!(text.contains("DNSName(\"localhost\")") && text.contains("[127, 0, 0, 1]"));
        let eku = c.extended_key_usage().expect("one").expect("present");
        assert!(eku.value.server_auth && !eku.value.client_auth);
    });
    for p in [
        "shanghai", "jiangsu", "zhejiang", "operator", "intruder", "expired",
    ] {
        with_cert(&format!("platforms/{p}.pem"), |c| {
            let eku = c.extended_key_usage().expect("one").expect("present");
            assert!(eku.value.client_auth && !eku.value.server_auth, "{p}");
            let ku = c.key_usage().expect("one").expect("present");
            assert_eq!(ku.value.flags, 1, "{p}: digitalSignature only");
            let cn = c
                .subject()
                .iter_common_name()
                .next()
                .map(|a| a.as_str().ok());
            let expected = if p == "expired" { "shanghai" } else { p };
            assert_eq!(cn, Some(Some(expected)), "{p}");
        });
    }
    with_cert("bridge-operator.pem", |c| {
        assert_eq!(c.subject(), c.issuer());
        let ku = c.key_usage().expect("one").expect("present");
        assert_eq!(ku.value.flags, 1, "digitalSignature only");
    });
}
