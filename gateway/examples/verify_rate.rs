//! In-process certificate verification rate under the demo trust list and CRLs: the baseline that
//! `ops/bench/verify.sh` compares `POST /v1/certificates/verify` with.
//!
//! For each demo province it runs [`gateway::bridge::verify::evaluate`] (what the route runs on a
//! cache miss) on one thread for `SECONDS` (default 3) and prints one JSON line:
//! `{"province":..,"algorithm":..,"verifies_per_sec":..}`.

use std::time::{Duration, Instant};

use ca_bridge::{Crl, RevocationData, TrustList, TrustListVerifier};
use gateway::bridge::verify::{VerifyBody, evaluate};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seconds: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(3);
    let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../seeds");
    let signer_pem = std::fs::read(seeds.join("pki/bridge-operator.pem"))?;
    let signer_der = ca_bridge::decode_pem_or_der(&signer_pem)?
        .into_iter()
        .next()
        .ok_or("no operator certificate")?
        .1;
    let signer = ca_bridge::TrustListSigner::new(ca_bridge::Certificate::from_der(&signer_der)?)?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let list = TrustList::load(&std::fs::read(seeds.join("trust-list.json"))?, &signer, now)?;
    let verifier = TrustListVerifier::new(list);
    let mut revocation = RevocationData::default();
    for province in ["shanghai", "jiangsu", "zhejiang"] {
        for file in ["crl.pem", "arl.pem"] {
            let pem = std::fs::read(seeds.join(format!("pki/bidders/{province}/{file}")))?;
            for (_, der) in ca_bridge::decode_pem_or_der(&pem)? {
                revocation.crls.push(Crl::from_der(&der)?);
            }
        }
    }
    for (province, algorithm) in [
        ("shanghai", "sm2-sm3"),
        ("jiangsu", "rsa-2048"),
        ("zhejiang", "ecdsa-p256"),
    ] {
        let pem = std::fs::read_to_string(seeds.join(format!("pki/bidders/{province}/valid.pem")))?;
        let body: VerifyBody = serde_json::from_value(serde_json::json!({ "certificate": pem }))?;
        let request = body.parse().map_err(|e| e.to_string())?;
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let started = Instant::now();
        let mut n = 0u64;
        while Instant::now() < deadline {
            let verdict = evaluate(&verifier, &revocation, &request, None, now, false);
            if !verdict.valid {
                return Err(format!("{province}: {}", verdict.to_json()).into());
            }
            n += 1;
        }
        let rate = n as f64 / started.elapsed().as_secs_f64();
        println!(
            "{}",
            serde_json::json!({"province": province, "algorithm": algorithm, "verifies_per_sec": rate.round()})
        );
    }
    Ok(())
}
