//! Hostile input: garbage, truncated, oversized and lying DER; a chain of 300 CAs; issuer loops;
//! many same-named issuers in several layers; thousands of extensions. Each gives the right error
//! (exit code for the CLI), never a panic, in bounded time.

mod common;

use std::time::{Duration, Instant};

use ca_bridge::{Certificate, Crl, Error, OcspResponse, Options, RevocationData, Sm2Ids, Verifier};
use common::pki::{AT, Spec, chain, ec_key, issue, name, raw_extension};
use common::{blobs, manifest_dir};

fn real_cert() -> Vec<u8> {
    blobs(&manifest_dir().join("tests/data/real-ca/sheca-sm2-ca.pem")).remove(0)
}

fn code(r: Result<Certificate, Error>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.code(),
    }
}

#[test]
fn garbage_is_malformed() {
    let mut seed: u32 = 12345;
    for len in [0usize, 1, 2, 10, 100, 1000, 5000] {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (seed >> 16) as u8
            })
            .collect();
        assert_eq!(
            code(Certificate::from_der(&bytes)),
            "malformed",
            "{len} random bytes"
        );
        assert!(Crl::from_der(&bytes).is_err_and(|e| e.code() == "malformed"));
        assert!(OcspResponse::from_der(&bytes).is_err_and(|e| e.code() == "malformed"));
    }
}

#[test]
fn every_truncation_is_malformed() {
    let der = real_cert();
    for n in 0..der.len() {
        assert_eq!(
            code(Certificate::from_der(&der[..n])),
            "malformed",
            "first {n} bytes"
        );
    }
    let mut longer = der.clone();
    longer.push(0);
    assert_eq!(
        code(Certificate::from_der(&longer)),
        "malformed",
        "trailing byte"
    );
}

#[test]
fn lying_lengths_are_malformed() {
    let der = real_cert();
    // Outer SEQUENCE length 0x82 hi lo: claim more, less, and an absurd 4-byte length.
    for (i, v) in [(2usize, 0xffu8), (3, 0x00), (3, 0xff)] {
        let mut lie = der.clone();
        lie[i] = v;
        assert_eq!(
            code(Certificate::from_der(&lie)),
            "malformed",
            "byte {i} = {v:#x}"
        );
    }
    let mut lie = der.clone();
    lie.splice(1..4, [0x84, 0xff, 0xff, 0xff, 0xff]);
    assert_eq!(code(Certificate::from_der(&lie)), "malformed");
    // Every single-byte corruption either still parses or is malformed: no panic.
    for i in 0..der.len() {
        let mut c = der.clone();
        c[i] ^= 0xff;
        let r = code(Certificate::from_der(&c));
        assert!(r == "ok" || r == "malformed", "byte {i}: {r}");
    }
}

#[test]
fn oversized_certificate_is_malformed() {
    let big = raw_extension("1.2.3.4.5", false, &vec![0x41; 70 * 1024]);
    let mut spec = Spec::leaf("Big");
    spec.extra.push(big);
    let c = issue(spec, ec_key(), None);
    let der = c.der();
    assert!(der.len() > 64 * 1024);
    let err = Certificate::from_der(&der).err();
    assert_eq!(
        err,
        Some(Error::Malformed {
            object: "certificate",
            detail: format!("{} bytes (limit 65536)", der.len()),
        })
    );
}

#[test]
fn thousands_of_extensions_are_malformed() {
    let mut spec = Spec::leaf("Many extensions");
    for i in 0..3000 {
        spec.extra
            .push(raw_extension(&format!("1.2.3.4.{i}"), false, &[0x05, 0x00]));
    }
    let c = issue(spec, ec_key(), None);
    let start = Instant::now();
    let err = Certificate::from_der(&c.der()).err();
    assert_eq!(
        err,
        Some(Error::Malformed {
            object: "certificate",
            detail: "3002 extensions (limit 100)".into(),
        })
    );
    assert!(start.elapsed() < Duration::from_secs(5));
}

fn verify(
    anchors: Vec<Vec<u8>>,
    inters: Vec<Vec<u8>>,
    leaf: &[u8],
    opts: &Options,
) -> (ca_bridge::Verdict, Duration) {
    let parse = |v: Vec<Vec<u8>>| {
        v.iter()
            .map(|d| Certificate::from_der(d).expect("parses"))
            .collect::<Vec<_>>()
    };
    let verifier = Verifier::new(parse(anchors), parse(inters), Sm2Ids::default());
    let ee = Certificate::from_der(leaf).expect("leaf parses");
    let start = Instant::now();
    let v = verifier.verify(&ee, &RevocationData::default(), opts);
    (v, start.elapsed())
}

#[test]
fn a_chain_of_300_cas_is_path_too_long() {
    let (root, inters, leaf) = chain(300, ec_key);
    let inters: Vec<Vec<u8>> = inters.iter().map(|c| c.der()).collect();
    let (v, took) = verify(
        vec![root.der()],
        inters.clone(),
        &leaf.der(),
        &Options::at(AT),
    );
    assert_eq!(v.result(), Err(Error::PathTooLong { max_depth: 10 }));
    assert!(took < Duration::from_secs(2), "{took:?}");
    // With the depth raised the same chain validates: the bound, not a bug, refused it.
    let mut opts = Options::at(AT);
    opts.max_depth = 400;
    let (v, took) = verify(vec![root.der()], inters, &leaf.der(), &opts);
    assert_eq!(v.result(), Ok(()));
    assert_eq!(v.chain.len(), 302);
    assert!(took < Duration::from_secs(10), "{took:?}");
}

#[test]
fn issuer_loops_end() {
    // A and B cross-certify each other; neither reaches the anchor.
    let (ka, kb) = (ec_key(), ec_key());
    let (na, nb) = (name("Loop A"), name("Loop B"));
    let a_by_b = issue(Spec::ca("Loop A"), ka.clone(), Some((&nb, &kb)));
    let b_by_a = issue(Spec::ca("Loop B"), kb.clone(), Some((&na, &ka)));
    let leaf = issue(Spec::leaf("Leaf"), ec_key(), Some((&na, &ka)));
    let anchor = issue(Spec::ca("Unrelated Root"), ec_key(), None);
    let (v, took) = verify(
        vec![anchor.der()],
        vec![a_by_b.der(), b_by_a.der()],
        &leaf.der(),
        &Options::at(AT),
    );
    assert_eq!(
        v.result(),
        Err(Error::UnknownIssuer {
            subject: "C=CN, O=ca-bridge tests, CN=Loop B".into(),
            issuer: "C=CN, O=ca-bridge tests, CN=Loop A".into(),
        })
    );
    assert!(took < Duration::from_secs(2));
    // A self-issued certificate pointing to itself does not loop either.
    let self_loop = issue(Spec::ca("Loop A"), ka.clone(), Some((&na, &ka)));
    let (v, _) = verify(
        vec![anchor.der()],
        vec![self_loop.der()],
        &leaf.der(),
        &Options::at(AT),
    );
    assert_eq!(v.reason, Some("unknown-issuer"));
}

#[test]
fn many_same_named_issuers_in_several_layers_stay_bounded() {
    // Three layers of 8 keys each, every key of a layer certified by every key of the layer above;
    // the top layer is certified by a key that is not the anchor's: no path exists.
    const K: usize = 8;
    let layers = ["Layer 1", "Layer 2", "Layer 3"];
    let keys: Vec<Vec<_>> = layers
        .iter()
        .map(|_| (0..K).map(|_| ec_key()).collect())
        .collect();
    let anchor = issue(Spec::ca("Root"), ec_key(), None);
    let impostor = ec_key();
    let mut inters: Vec<Vec<u8>> = Vec::new();
    let mut serial = 1000;
    for (li, layer) in layers.iter().enumerate() {
        for child in &keys[li] {
            let parents: Vec<_> = if li + 1 < layers.len() {
                keys[li + 1].clone()
            } else {
                vec![impostor.clone()]
            };
            let pname = name(layers.get(li + 1).copied().unwrap_or("Root"));
            for p in &parents {
                serial += 1;
                let c = issue(
                    Spec {
                        serial,
                        ..Spec::ca(layer)
                    },
                    child.clone(),
                    Some((&pname, p)),
                );
                inters.push(c.der());
            }
        }
    }
    let leaf = issue(
        Spec::leaf("Leaf"),
        ec_key(),
        Some((&name("Layer 1"), &keys[0][0])),
    );
    let (v, took) = verify(
        vec![anchor.der()],
        inters.clone(),
        &leaf.der(),
        &Options::at(AT),
    );
    // 8^3 candidate paths, each ending in a bad signature: the signature budget (500) stops the
    // search long before it is exhausted.
    assert_eq!(v.reason, Some("budget-exceeded"), "{:?}", v.error);
    assert!(took < Duration::from_secs(5), "{took:?}");
    // With a small budget the search stops early and says so.
    let mut opts = Options::at(AT);
    opts.max_steps = 50;
    let (v, _) = verify(vec![anchor.der()], inters, &leaf.der(), &opts);
    assert_eq!(v.reason, Some("budget-exceeded"));
    assert!(
        matches!(v.error, Some(Error::BudgetExceeded { steps }) if (51..60).contains(&steps)),
        "{:?}",
        v.error
    );
}

#[test]
fn cli_exit_codes_on_hostile_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).expect("write");
        p.to_str().expect("utf-8").to_owned()
    };
    let run = |args: &[&str]| {
        let start = Instant::now();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ca-bridge"))
            .args(args)
            .output()
            .expect("runs");
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{args:?} took {:?}",
            start.elapsed()
        );
        let json: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
        (
            out.status.code().expect("exit code"),
            json["reason"].as_str().map(str::to_owned),
        )
    };
    let (root, inters, leaf) = chain(300, ec_key);
    let root_pem = write("root.pem", &root.cert.to_pem().expect("pem"));
    let bundle: Vec<u8> = inters
        .iter()
        .flat_map(|c| c.cert.to_pem().expect("pem"))
        .collect();
    let bundle_pem = write("inters.pem", &bundle);
    let leaf_pem = write("leaf.pem", &leaf.cert.to_pem().expect("pem"));
    let at = "2026-11-30T00:53:20Z";
    assert_eq!(
        run(&[
            "verify",
            "--anchor",
            &root_pem,
            "--intermediate",
            &bundle_pem,
            "--at",
            at,
            &leaf_pem
        ]),
        (1, Some("path-too-long".into()))
    );
    let truncated = write("truncated.der", &real_cert()[..200]);
    assert_eq!(
        run(&["verify", "--anchor", &root_pem, &truncated]),
        (1, Some("malformed".into()))
    );
    let mut spec = Spec::leaf("Many extensions");
    for i in 0..2000 {
        spec.extra
            .push(raw_extension(&format!("1.2.3.4.{i}"), false, &[0x05, 0x00]));
    }
    let many = write("many.der", &issue(spec, ec_key(), None).der());
    assert_eq!(
        run(&["verify", "--anchor", &root_pem, &many]),
        (1, Some("malformed".into()))
    );
    let binary = write("binary.bin", &[0xff, 0x00, 0x13, 0x37]);
    assert_eq!(run(&["verify", "--anchor", &root_pem, &binary]), (2, None));
    assert_eq!(run(&["inspect", &truncated]), (2, None));
}
