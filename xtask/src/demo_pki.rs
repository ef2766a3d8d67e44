//! The demo and test PKI committed under `seeds/pki/` (layout and profiles in `seeds/README.md`).
//!
//! - server side: `server-ca` (root) -> `server` (localhost, 127.0.0.1);
//! - platforms' mutual TLS: `platform-ca` (root) -> `platforms/{shanghai,jiangsu,zhejiang,operator,
//!   expired}`, and an unrelated `platforms/intruder-ca` -> `platforms/intruder`;
//! - `bridge-operator`: self-signed, signs the trust list;
//! - bidders: per province a root -> issuing CA -> six bidder certificates, with the issuing CA's CRL
//!   (`crl.pem`) and the root's ARL (`arl.pem`), in the province's algorithm.
//!
//! Keys and serials are random on every run; names, dates and credit codes are fixed here.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use der::Encode;
use sha2::{Digest, Sha256};
use x509_cert::ext::pkix::{CrlReason, KeyUsages};
use x509_cert::time::Time;

use crate::credit_code;
use crate::x509::{self, Alg, Issued, Profile, Revocation, at, oid};

/// Start of the CA, server and platform certificates' validity.
fn ca_not_before() -> Time {
    at(2025, 1, 1, 0, 0, 0)
}

/// End of the CA, server and platform certificates' validity.
fn ca_not_after() -> Time {
    at(2045, 12, 31, 23, 59, 59)
}

/// One province's bidder CA hierarchy.
struct Province {
    /// Directory name and CRL file name.
    id: &'static str,
    alg: Alg,
    /// stateOrProvinceName and localityName of the bidders.
    st: &'static str,
    l: &'static str,
    /// GB/T 2260 code of the demonstration-zone district.
    region: &'static str,
    ca_org: &'static str,
    root_cn: &'static str,
    issuing_cn: &'static str,
    /// The extension that carries the holder's credit code.
    credit_code_oid: &'static str,
    /// Whether the credit code is also the subject's serialNumber.
    credit_code_in_subject: bool,
    /// `(NAME, company, 8-character organisation code body)` for each bidder certificate.
    bidders: [(&'static str, &'static str, &'static str); 6],
}

const PROVINCES: [Province; 3] = [
    Province {
        id: "shanghai",
        alg: Alg::Sm2,
        st: "上海市",
        l: "青浦区",
        region: "310118",
        ca_org: "YRD Demo Shanghai CA",
        root_cn: "YRD Demo Shanghai SM2 Root CA",
        issuing_cn: "YRD Demo Shanghai SM2 Issuing CA",
        credit_code_oid: "1.2.156.10260.4.1.4",
        credit_code_in_subject: false,
        bidders: [
            ("valid", "上海青浦明珠建设工程有限公司", "MA1H3K8N"),
            ("expired", "上海淀山湖市政工程有限公司", "MA1H5C2P"),
            ("not-yet-valid", "上海朱家角园林绿化有限公司", "MA1HAW6T"),
            ("revoked", "上海练塘水利建设有限公司", "MA1HBD4R"),
            ("wrong-usage", "上海金泽建筑安装有限公司", "MA1HCL7U"),
            ("bad-credit-code", "上海赵巷智能科技有限公司", "MA1HE9X3"),
        ],
    },
    Province {
        id: "jiangsu",
        alg: Alg::Rsa2048,
        st: "江苏省",
        l: "苏州市吴江区",
        region: "320509",
        ca_org: "YRD Demo Jiangsu CA",
        root_cn: "YRD Demo Jiangsu RSA Root CA",
        issuing_cn: "YRD Demo Jiangsu RSA Issuing CA",
        credit_code_oid: "1.2.86.11.7.4",
        credit_code_in_subject: false,
        bidders: [
            ("valid", "苏州吴江太湖建设集团有限公司", "MA1MQ2G5"),
            ("expired", "苏州吴江汾湖路桥工程有限公司", "MA1MR7J8"),
            ("not-yet-valid", "苏州吴江震泽园林工程有限公司", "MA1MT4K1"),
            ("revoked", "苏州吴江盛泽水利工程有限公司", "MA1MU6L3"),
            ("wrong-usage", "苏州吴江松陵建筑安装有限公司", "MA1MW8N0"),
            (
                "bad-credit-code",
                "苏州吴江黎里信息技术有限公司",
                "MA1MX2P6",
            ),
        ],
    },
    Province {
        id: "zhejiang",
        alg: Alg::EcdsaP256,
        st: "浙江省",
        l: "嘉兴市嘉善县",
        region: "330421",
        ca_org: "YRD Demo Zhejiang CA",
        root_cn: "YRD Demo Zhejiang ECC Root CA",
        issuing_cn: "YRD Demo Zhejiang ECC Issuing CA",
        credit_code_oid: "1.2.156.10260.4.4",
        credit_code_in_subject: true,
        bidders: [
            ("valid", "嘉善西塘建设工程有限公司", "MA2B1C3D"),
            ("expired", "嘉善姚庄交通工程有限公司", "MA2B4E5F"),
            ("not-yet-valid", "嘉善天凝园林工程有限公司", "MA2B6G7H"),
            ("revoked", "嘉善大云水利建设有限公司", "MA2B8J9K"),
            ("wrong-usage", "嘉善魏塘建筑安装有限公司", "MA2BAL1M"),
            ("bad-credit-code", "嘉善陶庄科技有限公司", "MA2BCN3P"),
        ],
    },
];

/// Writes the files and collects the certificates' fingerprints.
struct Output {
    root: PathBuf,
    /// `(relative path, SHA-256 of the DER certificate)`.
    fingerprints: Vec<(String, String)>,
}

impl Output {
    fn file(&self, relative: &str, contents: &str) -> Result<()> {
        let path = self.root.join(relative);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        fs::write(&path, contents).with_context(|| format!("writing {}", path.display()))
    }

    /// Writes `STEM.pem` and `STEM.key` and records the certificate's fingerprint.
    fn issued(&mut self, stem: &str, issued: &Issued) -> Result<()> {
        let pem = format!("{stem}.pem");
        self.file(&pem, &issued.cert_pem()?)?;
        self.file(&format!("{stem}.key"), &issued.key.pkcs8_pem()?)?;
        let fingerprint = hex::encode(Sha256::digest(issued.cert.to_der()?));
        self.fingerprints.push((pem, fingerprint));
        Ok(())
    }

    fn write_fingerprints(&mut self) -> Result<()> {
        self.fingerprints.sort();
        let mut text = String::new();
        for (path, fingerprint) in &self.fingerprints {
            writeln!(text, "{fingerprint}  {path}")?;
        }
        self.file("fingerprints.txt", &text)
    }
}

/// A root CA certificate (keyCertSign + cRLSign, basicConstraints CA without path length).
fn root_ca(alg: Alg, subject: &[(der::oid::ObjectIdentifier, &str)]) -> Result<Issued> {
    let profile = Profile {
        subject: x509::name(subject)?,
        not_before: ca_not_before(),
        not_after: ca_not_after(),
        extensions: vec![
            x509::basic_constraints(true, None)?,
            x509::key_usage(KeyUsages::KeyCertSign | KeyUsages::CRLSign)?,
        ],
    };
    x509::issue(alg, profile, None)
}

/// A TLS client certificate issued by `ca` (digitalSignature, clientAuth).
fn client_cert(
    alg: Alg,
    ca: &Issued,
    cn: &str,
    org: &str,
    not_before: Time,
    not_after: Time,
) -> Result<Issued> {
    let profile = Profile {
        subject: x509::name(&[(oid::C, "CN"), (oid::O, org), (oid::CN, cn)])?,
        not_before,
        not_after,
        extensions: vec![
            x509::basic_constraints(false, None)?,
            x509::key_usage(KeyUsages::DigitalSignature)?,
            x509::extended_key_usage(&[oid::CLIENT_AUTH])?,
        ],
    };
    x509::issue(alg, profile, Some(ca))
}

/// Generates the whole demo PKI into `out` (created if needed; existing files are overwritten).
pub(crate) fn generate(out: &Path) -> Result<()> {
    let mut out = Output {
        root: out.to_path_buf(),
        fingerprints: Vec::new(),
    };
    tls(&mut out)?;
    bridge_operator(&mut out)?;
    for province in &PROVINCES {
        bidders(&mut out, province).with_context(|| format!("bidder PKI of {}", province.id))?;
    }
    out.write_fingerprints()
}

/// Server CA and certificate; platform CA and the platforms' client certificates; the intruder.
fn tls(out: &mut Output) -> Result<()> {
    const OPS: &str = "YRD gateway operations";
    let server_ca = root_ca(
        Alg::EcdsaP256,
        &[
            (oid::C, "CN"),
            (oid::O, OPS),
            (oid::CN, "YRD Gateway Demo Server CA"),
        ],
    )?;
    out.issued("server-ca", &server_ca)?;
    let server = x509::issue(
        Alg::EcdsaP256,
        Profile {
            subject: x509::name(&[(oid::C, "CN"), (oid::O, OPS), (oid::CN, "localhost")])?,
            not_before: ca_not_before(),
            not_after: ca_not_after(),
            extensions: vec![
                x509::basic_constraints(false, None)?,
                x509::key_usage(KeyUsages::DigitalSignature)?,
                x509::extended_key_usage(&[oid::SERVER_AUTH])?,
                x509::subject_alt_name(&["localhost"], &[[127, 0, 0, 1]])?,
            ],
        },
        Some(&server_ca),
    )?;
    out.issued("server", &server)?;

    let platform_ca = root_ca(
        Alg::EcdsaP256,
        &[
            (oid::C, "CN"),
            (oid::O, OPS),
            (oid::CN, "YRD Gateway Demo Platform CA"),
        ],
    )?;
    out.issued("platform-ca", &platform_ca)?;
    let platforms = [
        ("shanghai", Alg::EcdsaP256, "上海市公共资源交易中心"),
        ("jiangsu", Alg::Rsa2048, "江苏省公共资源交易中心"),
        ("zhejiang", Alg::EcdsaP256, "浙江省公共资源交易中心"),
        ("operator", Alg::EcdsaP256, OPS),
    ];
    for (cn, alg, org) in platforms {
        let cert = client_cert(alg, &platform_ca, cn, org, ca_not_before(), ca_not_after())?;
        out.issued(&format!("platforms/{cn}"), &cert)?;
    }
    let expired = client_cert(
        Alg::EcdsaP256,
        &platform_ca,
        "shanghai",
        "上海市公共资源交易中心",
        at(2020, 1, 1, 0, 0, 0),
        at(2021, 1, 1, 0, 0, 0),
    )?;
    out.issued("platforms/expired", &expired)?;

    let intruder_ca = root_ca(
        Alg::EcdsaP256,
        &[
            (oid::C, "CN"),
            (oid::O, "Unrelated Demo CA"),
            (oid::CN, "Intruder Demo CA"),
        ],
    )?;
    out.issued("platforms/intruder-ca", &intruder_ca)?;
    let intruder = client_cert(
        Alg::EcdsaP256,
        &intruder_ca,
        "intruder",
        "Unrelated Trading Co.",
        ca_not_before(),
        ca_not_after(),
    )?;
    out.issued("platforms/intruder", &intruder)
}

/// The bridge operator's self-signed signing certificate.
fn bridge_operator(out: &mut Output) -> Result<()> {
    let profile = Profile {
        subject: x509::name(&[
            (oid::C, "CN"),
            (oid::O, "YRD gateway operations"),
            (oid::CN, "YRD Mutual Recognition Bridge Operator"),
        ])?,
        not_before: ca_not_before(),
        not_after: ca_not_after(),
        extensions: vec![
            x509::basic_constraints(false, None)?,
            x509::key_usage(KeyUsages::DigitalSignature)?,
        ],
    };
    out.issued(
        "bridge-operator",
        &x509::issue(Alg::EcdsaP256, profile, None)?,
    )
}

/// One province's root, issuing CA, bidder certificates, CRL and ARL.
fn bidders(out: &mut Output, p: &Province) -> Result<()> {
    let dir = format!("bidders/{}", p.id);
    let root = root_ca(
        p.alg,
        &[(oid::C, "CN"), (oid::O, p.ca_org), (oid::CN, p.root_cn)],
    )?;
    out.issued(&format!("{dir}/root"), &root)?;
    let issuing = x509::issue(
        p.alg,
        Profile {
            subject: x509::name(&[(oid::C, "CN"), (oid::O, p.ca_org), (oid::CN, p.issuing_cn)])?,
            not_before: ca_not_before(),
            not_after: ca_not_after(),
            extensions: vec![
                x509::basic_constraints(true, Some(0))?,
                x509::key_usage(KeyUsages::KeyCertSign | KeyUsages::CRLSign)?,
                x509::crl_distribution_point(&format!("http://127.0.0.1/crl/{}-arl.crl", p.id))?,
            ],
        },
        Some(&root),
    )?;
    out.issued(&format!("{dir}/issuing-ca"), &issuing)?;

    let mut revoked = None;
    for (stem, company, org_body) in p.bidders {
        let good = credit_code::enterprise(p.region, org_body)
            .with_context(|| format!("credit code for {org_body}"))?;
        let code = if stem == "bad-credit-code" {
            credit_code::with_wrong_check(&good).context("wrong check character")?
        } else {
            good
        };
        let (not_before, not_after) = match stem {
            "expired" => (at(2020, 1, 1, 0, 0, 0), at(2021, 1, 1, 0, 0, 0)),
            "not-yet-valid" => (at(2040, 1, 1, 0, 0, 0), ca_not_after()),
            _ => (at(2025, 6, 1, 0, 0, 0), at(2040, 12, 31, 23, 59, 59)),
        };
        let usage = if stem == "wrong-usage" {
            KeyUsages::KeyEncipherment.into()
        } else {
            KeyUsages::DigitalSignature | KeyUsages::NonRepudiation
        };
        let mut subject = vec![
            (oid::C, "CN"),
            (oid::ST, p.st),
            (oid::L, p.l),
            (oid::O, company),
            (oid::CN, company),
        ];
        if p.credit_code_in_subject {
            subject.push((oid::SERIAL_NUMBER, code.as_str()));
        }
        let profile = Profile {
            subject: x509::name(&subject)?,
            not_before,
            not_after,
            extensions: vec![
                x509::basic_constraints(false, None)?,
                x509::key_usage(usage)?,
                x509::crl_distribution_point(&format!("http://127.0.0.1/crl/{}.crl", p.id))?,
                x509::printable_string_extension(p.credit_code_oid, &code)?,
            ],
        };
        let bidder = x509::issue(p.alg, profile, Some(&issuing))?;
        out.issued(&format!("{dir}/{stem}"), &bidder)?;
        if stem == "revoked" {
            revoked = Some(bidder);
        }
    }
    let revoked = revoked.context("no `revoked` bidder")?;

    let this_update = at(2026, 3, 1, 0, 0, 0);
    let next_update = at(2045, 1, 1, 0, 0, 0);
    let entry = Revocation {
        serial: revoked.serial(),
        date: at(2026, 3, 1, 0, 0, 0),
        reason: CrlReason::KeyCompromise,
    };
    let crl = x509::crl(&issuing, 1, this_update, next_update, &[entry])?;
    out.file(&format!("{dir}/crl.pem"), &crl)?;
    let arl = x509::crl(&root, 1, this_update, next_update, &[])?;
    out.file(&format!("{dir}/arl.pem"), &arl)
}
