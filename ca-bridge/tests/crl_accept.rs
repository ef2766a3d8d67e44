//! Accepting CRLs into a store under the demo trust list: each province's CRL and ARL are
//! accepted and filed by issuer and scope; CRLs of unknown issuers, altered CRLs and stale CRLs
//! are refused with their reason.

mod common;

use ca_bridge::{Crl, TrustList, TrustListSigner};
use common::{cert, crl, manifest_dir, t};

const AT: &str = "2026-11-30T00:00:00Z";

fn seeds() -> std::path::PathBuf {
    manifest_dir().join("../seeds")
}

fn demo_list() -> TrustList {
    let signer =
        TrustListSigner::new(cert(&seeds().join("pki/bridge-operator.pem"))).expect("signer");
    let bytes = std::fs::read(seeds().join("trust-list.json")).expect("signed list");
    TrustList::load(&bytes, &signer, t(AT)).expect("demo list loads")
}

fn demo_crl(province: &str, file: &str) -> Crl {
    crl(&seeds().join(format!("pki/bidders/{province}/{file}.pem")))
}

#[test]
fn every_demo_crl_and_arl_is_accepted_with_its_service_and_scope() {
    let list = demo_list();
    for province in ["shanghai", "jiangsu", "zhejiang"] {
        let c = list
            .accept_crl(&demo_crl(province, "crl"), t(AT))
            .expect("CRL accepted");
        let a = list
            .accept_crl(&demo_crl(province, "arl"), t(AT))
            .expect("ARL accepted");
        assert_eq!(c.province.as_str(), province);
        assert_eq!(
            c.service_id, a.service_id,
            "both belong to the province's service"
        );
        assert!(c.issuer.contains("Issuing CA"), "{}", c.issuer);
        assert!(a.issuer.contains("Root CA"), "{}", a.issuer);
        assert_ne!(
            c.issuer_key, a.issuer_key,
            "different issuers, stored apart"
        );
        assert_eq!(c.number.as_deref(), Some("01"));
        assert_eq!(c.this_update, t("2026-03-01T00:00:00Z"));
        assert_eq!(c.next_update, t("2045-01-01T00:00:00Z"));
    }
}

#[test]
fn a_crl_of_a_ca_outside_the_list_is_refused() {
    let list = demo_list();
    // A CRL issued by a CA the list does not know: made here with the intruder CA's key.
    let dir = tempfile::tempdir().expect("tmp");
    let pki = seeds().join("pki/platforms");
    let crl_path = dir.path().join("intruder.crl");
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "cd {d} && touch index.txt && printf 'default_md = sha256\\n[ca]\\ndefault_ca=c\\n[c]\\ndatabase=index.txt\\ndefault_crl_days=30\\n' > ca.cnf && \
             openssl ca -config ca.cnf -gencrl -keyfile {k} -cert {c} -out {o} 2>/dev/null",
            d = dir.path().display(),
            k = pki.join("intruder-ca.key").display(),
            c = pki.join("intruder-ca.pem").display(),
            o = crl_path.display(),
        ))
        .status()
        .expect("openssl runs");
    assert!(status.success(), "openssl ca -gencrl");
    let intruder = crl(&crl_path);
    let now = intruder.this_update();
    let err = list.accept_crl(&intruder, now).expect_err("refused");
    assert_eq!(err.code(), "unknown-issuer", "{err}");
}

#[test]
fn an_altered_crl_is_refused() {
    let list = demo_list();
    let pem = std::fs::read(seeds().join("pki/bidders/jiangsu/crl.pem")).expect("pem");
    let der = ca_bridge::decode_pem_or_der(&pem).expect("pem")[0]
        .1
        .clone();
    // Flip a bit in the last byte of the signature.
    let mut bad = der.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let altered = Crl::from_der(&bad).expect("still decodes");
    let err = list.accept_crl(&altered, t(AT)).expect_err("refused");
    assert_eq!(err.code(), "bad-signature", "{err}");
}

#[test]
fn a_stale_crl_is_refused_and_a_future_one_too() {
    let list = demo_list();
    let c = demo_crl("zhejiang", "crl");
    let err = list
        .accept_crl(&c, t("2045-01-01T00:00:01Z"))
        .expect_err("after nextUpdate");
    assert_eq!(err.code(), "crl-expired", "{err}");
    let err = list
        .accept_crl(&c, t("2026-02-28T00:00:00Z"))
        .expect_err("before thisUpdate");
    assert_eq!(err.code(), "malformed", "{err}");
}
