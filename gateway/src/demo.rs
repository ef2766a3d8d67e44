//! Demo mode: a data directory that works on a fresh machine with nothing else.
//!
//! The committed demo PKI (`seeds/pki/`) is embedded in the binary. `serve --demo` writes the parts
//! a user needs into `DATA_DIR/pki/` (once; later runs reuse them) and registers the three demo
//! platforms and the operator. Outside demo mode these certificates are refused (their keys are
//! public), see [`is_demo_certificate`].

use std::io;
use std::path::{Path, PathBuf};

use interchange::Dialect;

use crate::config::{PlatformSeed, Settings};
use crate::http::AppState;
use crate::registry::{CertFingerprint, PlatformId, Province, Role};
use crate::startup::StartupError;

macro_rules! embed {
    ($($path:literal),+ $(,)?) => {
        &[$(($path, include_bytes!(concat!("../../seeds/pki/", $path)) as &[u8])),+]
    };
}

/// Files written under `DATA_DIR/pki/`, as (relative path, content).
const FILES: &[(&str, &[u8])] = embed![
    "server-ca.pem",
    "server.pem",
    "server.key",
    "platform-ca.pem",
    "platforms/shanghai.pem",
    "platforms/shanghai.key",
    "platforms/jiangsu.pem",
    "platforms/jiangsu.key",
    "platforms/zhejiang.pem",
    "platforms/zhejiang.key",
    "platforms/operator.pem",
    "platforms/operator.key",
    "platforms/intruder.pem",
    "platforms/intruder.key",
    "platforms/intruder-ca.pem",
    "platforms/expired.pem",
    "platforms/expired.key",
    "bridge-operator.pem",
    "receipts/gateway.pem",
    "receipts/gateway.key",
];

/// The demo receipt certificate, refused outside demo mode.
pub const RECEIPT_CERTIFICATE: &[u8] = include_bytes!("../../seeds/pki/receipts/gateway.pem");

/// The signed demo trust list (`seeds/trust-list.json`), recognising the three demo bidder CAs.
pub const TRUST_LIST: &[u8] = include_bytes!("../../seeds/trust-list.json");

/// The demo bidder CAs' CRLs and ARLs and the demo TSA's CRL, installed with the demo trust list.
pub const CRLS: &[(&str, &[u8])] = &[
    (
        "shanghai/crl",
        include_bytes!("../../seeds/pki/bidders/shanghai/crl.pem"),
    ),
    (
        "shanghai/arl",
        include_bytes!("../../seeds/pki/bidders/shanghai/arl.pem"),
    ),
    (
        "jiangsu/crl",
        include_bytes!("../../seeds/pki/bidders/jiangsu/crl.pem"),
    ),
    (
        "jiangsu/arl",
        include_bytes!("../../seeds/pki/bidders/jiangsu/arl.pem"),
    ),
    (
        "zhejiang/crl",
        include_bytes!("../../seeds/pki/bidders/zhejiang/crl.pem"),
    ),
    (
        "zhejiang/arl",
        include_bytes!("../../seeds/pki/bidders/zhejiang/arl.pem"),
    ),
    ("tsa/crl", include_bytes!("../../seeds/pki/tsa/crl.pem")),
];

/// SHA-256 fingerprints of every certificate in the committed demo PKI.
const FINGERPRINTS: &str = include_str!("../../seeds/pki/fingerprints.txt");

/// Whether a certificate belongs to the committed demo PKI.
pub fn is_demo_certificate(fingerprint: &CertFingerprint) -> bool {
    FINGERPRINTS
        .split_whitespace()
        .filter_map(|token| token.parse::<CertFingerprint>().ok())
        .any(|fp| &fp == fingerprint)
}

/// Announcements published on a fresh demo database, as (platform, dialect, document).
const ANNOUNCEMENTS: &[(&str, Dialect, &[u8])] = &[
    (
        "shanghai",
        Dialect::Shanghai,
        include_bytes!("../../seeds/announcements/shanghai/ok/01-construction-tender.xml"),
    ),
    (
        "shanghai",
        Dialect::Shanghai,
        include_bytes!("../../seeds/announcements/shanghai/ok/05-construction-candidates.xml"),
    ),
    (
        "jiangsu",
        Dialect::Jiangsu,
        include_bytes!("../../seeds/announcements/jiangsu/ok/01-construction-tender.json"),
    ),
    (
        "jiangsu",
        Dialect::Jiangsu,
        include_bytes!("../../seeds/announcements/jiangsu/ok/05-construction-candidates.json"),
    ),
    (
        "zhejiang",
        Dialect::Zhejiang,
        include_bytes!("../../seeds/announcements/zhejiang/ok/01-construction-tender.json"),
    ),
    (
        "zhejiang",
        Dialect::Zhejiang,
        include_bytes!("../../seeds/announcements/zhejiang/ok/05-construction-candidates.json"),
    ),
];

/// Publishes the demo announcements when the database holds none, through the same path as
/// `POST /v1/announcements`. Returns how many were stored.
pub fn seed_announcements(state: &AppState) -> Result<usize, StartupError> {
    let empty = state.db.run_blocking(|conn| {
        Ok(crate::db::announcements::search(
            conn,
            &crate::db::announcements::Search {
                limit: 1,
                ..Default::default()
            },
        )?
        .is_empty())
    })?;
    if !empty {
        return Ok(0);
    }
    let mut stored = 0;
    for (platform, dialect, body) in ANNOUNCEMENTS {
        let publisher: PlatformId = platform
            .parse()
            .unwrap_or_else(|_| unreachable!("demo ids are well-formed"));
        let prepared = crate::exchange::prepare(
            state,
            &publisher,
            *dialect,
            body,
            "demo-seed".to_owned(),
            None,
        )
        .map_err(|e| {
            StartupError::Config(format!("demo announcement of {platform} is refused: {e}"))
        })?;
        state
            .db
            .run_blocking(|conn| crate::db::announcements::publish(conn, &prepared.document))?;
        stored += 1;
    }
    Ok(stored)
}

/// The demo platforms and operator, as registry seeds.
fn demo_platforms() -> Vec<PlatformSeed> {
    let platform = |id: &str, province: Province, name: &str| PlatformSeed {
        id: id
            .parse()
            .unwrap_or_else(|_| unreachable!("demo ids are well-formed")),
        role: Role::Platform,
        province: Some(province),
        name: Some(name.to_owned()),
        certificate: PathBuf::from(format!("pki/platforms/{id}.pem")),
    };
    vec![
        platform("shanghai", Province::Shanghai, "上海市公共资源交易平台"),
        platform("jiangsu", Province::Jiangsu, "江苏省公共资源交易平台"),
        platform("zhejiang", Province::Zhejiang, "浙江省公共资源交易平台"),
        PlatformSeed {
            id: "operator"
                .parse()
                .unwrap_or_else(|_| unreachable!("demo ids are well-formed")),
            role: Role::Operator,
            province: None,
            name: Some("YRD gateway operations".to_owned()),
            certificate: PathBuf::from("pki/platforms/operator.pem"),
        },
    ]
}

/// Creates (or reuses) the demo data directory and points the settings at it.
pub fn prepare(settings: &mut Settings) -> io::Result<()> {
    let pki = settings.data_dir.join("pki");
    std::fs::create_dir_all(pki.join("platforms"))?;
    std::fs::create_dir_all(pki.join("receipts"))?;
    for (relative, content) in FILES {
        write_once(&pki.join(relative), content)?;
    }
    if settings.platforms.is_empty() {
        settings.platforms = demo_platforms();
    }
    // Demo receivers run on this machine: allow http on loopback.
    settings.delivery.allow_http = true;
    settings.delivery.allow_loopback = true;
    if settings.receipts.key.is_none() && settings.receipts.certificate.is_none() {
        settings.receipts.key = Some(PathBuf::from("pki/receipts/gateway.key"));
        settings.receipts.certificate = Some(PathBuf::from("pki/receipts/gateway.pem"));
    }
    // The demo trust list is signed by the demo bridge operator; its supply points
    // (http://127.0.0.1/crl/...) do not exist, and the demo CRLs are installed instead.
    if settings.bridge.trust_list_signer.is_none() {
        settings.bridge.trust_list_signer = Some(PathBuf::from("pki/bridge-operator.pem"));
        settings.bridge.fetch_crls = false;
    }
    Ok(())
}

/// Writes a file unless it exists; keys are readable by the owner only.
fn write_once(path: &Path, content: &[u8]) -> io::Result<()> {
    if path.exists() {
        return Ok(());
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, content)?;
    #[cfg(unix)]
    if path.extension().is_some_and(|e| e == "key") {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
    }
    std::fs::rename(&tmp, path)
}
