//! The `ca-bridge` command line: a thin shell that reads files and the clock, calls the library and
//! prints JSON.
//!
//! Why this module exists: it is the only place with I/O, so the library stays pure. Exit codes
//! are a contract with scripts: 0 valid, 1 invalid (for any reason, malformed input included),
//! 2 usage error or an input file that cannot be read or is neither PEM nor DER.

use std::path::{Path, PathBuf};

use ca_bridge::{
    ANY_POLICY, Certificate, Crl, DEFAULT_MAX_DEPTH, Error, OcspResponse, Options, PolicyInputs,
    Purpose, RevocationData, Sm2Ids, Verifier, decode_pem_or_der,
};
use clap::{Parser, Subcommand, ValueEnum};

/// Exit code: valid.
pub(crate) const EXIT_VALID: i32 = 0;
/// Exit code: invalid.
pub(crate) const EXIT_INVALID: i32 = 1;
/// Exit code: usage error or unreadable input.
pub(crate) const EXIT_USAGE: i32 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "ca-bridge",
    version,
    about = "RFC 5280 path validation for RSA, ECDSA and SM2 certificates"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum PurposeArg {
    BidSigning,
    Any,
}

#[derive(Subcommand, Debug)]
#[expect(clippy::large_enum_variant, reason = "parsed once per process")]
enum Command {
    /// Validate CERT and print the verdict as JSON (exit 0 valid, 1 invalid, 2 usage error).
    Verify {
        /// Trust anchor certificate file (PEM or DER; PEM may hold several).
        #[arg(long = "anchor", value_name = "PEM")]
        anchors: Vec<PathBuf>,
        /// Untrusted candidate intermediate (for paths and as CRL signers).
        #[arg(long = "intermediate", value_name = "PEM")]
        intermediates: Vec<PathBuf>,
        /// CRL file (PEM or DER).
        #[arg(long = "crl", value_name = "FILE")]
        crls: Vec<PathBuf>,
        /// OCSP response file (DER or PEM).
        #[arg(long = "ocsp", value_name = "FILE")]
        ocsp: Vec<PathBuf>,
        /// Validation time, RFC 3339 (default: now).
        #[arg(long, value_parser = parse_time)]
        at: Option<i64>,
        /// What the certificate is used for.
        #[arg(long, value_enum, default_value = "bid-signing")]
        purpose: PurposeArg,
        /// user-initial-policy-set (default anyPolicy).
        #[arg(long = "initial-policy", value_name = "OID")]
        initial_policy: Vec<String>,
        /// initial-explicit-policy.
        #[arg(long)]
        explicit_policy: bool,
        /// initial-policy-mapping-inhibit.
        #[arg(long)]
        inhibit_policy_mapping: bool,
        /// initial-any-policy-inhibit.
        #[arg(long)]
        inhibit_any_policy: bool,
        /// Maximum number of certificates in a path, the anchor not counted.
        #[arg(long, default_value_t = DEFAULT_MAX_DEPTH)]
        max_depth: usize,
        /// SM2 distinguishing ID (may be empty).
        #[arg(long, default_value = ca_bridge::DEFAULT_SM2_ID)]
        sm2_id: String,
        /// A per-CA SM2 ID: the CA certificate in PEM signs with ID (may be empty). Repeatable.
        #[arg(long = "sm2-ca-id", num_args = 2, value_names = ["PEM", "ID"], allow_hyphen_values = true)]
        sm2_ca_ids: Vec<String>,
        /// Invalid when no CRL or OCSP response is supplied.
        #[arg(long)]
        require_revocation: bool,
        /// Accept certificates whose revocation status the supplied data cannot determine.
        #[arg(long)]
        soft_fail: bool,
        /// Seconds a CRL stays usable after its nextUpdate.
        #[arg(long, default_value_t = 0)]
        crl_grace: i64,
        /// The certificate to validate.
        cert: PathBuf,
    },
    /// Print CERT parsed, as JSON (exit 0; 2 when it cannot be decoded).
    Inspect {
        /// The certificate (PEM or DER).
        cert: PathBuf,
    },
}

fn parse_time(s: &str) -> Result<i64, String> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|e| format!("not an RFC 3339 time: {e}"))
}

/// What a run produced.
pub(crate) struct Outcome {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

fn usage(msg: String) -> Outcome {
    Outcome {
        code: EXIT_USAGE,
        stdout: String::new(),
        stderr: msg,
    }
}

fn read_blobs(path: &Path) -> Result<Vec<Vec<u8>>, Outcome> {
    let bytes =
        std::fs::read(path).map_err(|e| usage(format!("cannot read {}: {e}", path.display())))?;
    let blobs = decode_pem_or_der(&bytes).map_err(|e| usage(format!("{}: {e}", path.display())))?;
    if blobs.is_empty() {
        return Err(usage(format!("{}: no PEM block", path.display())));
    }
    Ok(blobs.into_iter().map(|(_, d)| d).collect())
}

fn invalid(e: &Error, at: i64) -> Outcome {
    let v = serde_json::json!({
        "valid": false,
        "reason": e.code(),
        "detail": e.to_string(),
        "error": e,
        "validation_time": time::OffsetDateTime::from_unix_timestamp(at)
            .ok()
            .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()),
    });
    Outcome {
        code: EXIT_INVALID,
        stdout: serde_json::to_string_pretty(&v).unwrap_or_default(),
        stderr: String::new(),
    }
}

/// Runs the command line; `now` is the clock reading used when `--at` is absent.
pub(crate) fn run(args: Vec<std::ffi::OsString>, now: i64) -> Outcome {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                EXIT_USAGE
            } else {
                EXIT_VALID
            };
            return Outcome {
                code,
                stdout: if e.use_stderr() {
                    String::new()
                } else {
                    e.to_string()
                },
                stderr: if e.use_stderr() {
                    e.to_string()
                } else {
                    String::new()
                },
            };
        }
    };
    match cli.command {
        Command::Inspect { cert } => {
            let blobs = match read_blobs(&cert) {
                Ok(b) => b,
                Err(o) => return o,
            };
            let mut out = Vec::new();
            for b in &blobs {
                match Certificate::from_der(b) {
                    Ok(c) => out.push(c.to_json()),
                    Err(e) => return usage(format!("{}: {e}", cert.display())),
                }
            }
            let json = if out.len() == 1 {
                out.remove(0)
            } else {
                serde_json::Value::Array(out)
            };
            Outcome {
                code: EXIT_VALID,
                stdout: serde_json::to_string_pretty(&json).unwrap_or_default(),
                stderr: String::new(),
            }
        }
        Command::Verify {
            anchors,
            intermediates,
            crls,
            ocsp,
            at,
            purpose,
            initial_policy,
            explicit_policy,
            inhibit_policy_mapping,
            inhibit_any_policy,
            max_depth,
            sm2_id,
            sm2_ca_ids,
            require_revocation,
            soft_fail,
            crl_grace,
            cert,
        } => {
            let at = at.unwrap_or(now);
            let mut ids = Sm2Ids::uniform(&sm2_id);
            for pair in sm2_ca_ids.chunks(2) {
                let [path, id] = pair else {
                    return usage("--sm2-ca-id takes a PEM file and an ID".into());
                };
                let blobs = match read_blobs(Path::new(path)) {
                    Ok(b) => b,
                    Err(o) => return o,
                };
                for b in blobs {
                    match Certificate::from_der(&b) {
                        Ok(c) => ids.per_issuer.push((c.subject().clone(), id.clone())),
                        Err(e) => return usage(format!("{path}: {e}")),
                    }
                }
            }
            // Read everything first: unreadable or undecodable files are usage errors (exit 2).
            let mut files = Vec::new();
            for group in [&anchors, &intermediates, &crls, &ocsp, &vec![cert.clone()]] {
                let mut g = Vec::new();
                for p in group {
                    match read_blobs(p) {
                        Ok(b) => g.push(b),
                        Err(o) => return o,
                    }
                }
                files.push(g);
            }
            let certs = |g: &Vec<Vec<Vec<u8>>>| -> Result<Vec<Certificate>, Error> {
                g.iter()
                    .flatten()
                    .map(|d| Certificate::from_der(d))
                    .collect()
            };
            let built = (|| -> Result<(Verifier, RevocationData, Certificate), Error> {
                let anchors = certs(&files[0])?;
                let inters = certs(&files[1])?;
                let crls = files[2]
                    .iter()
                    .flatten()
                    .map(|d| Crl::from_der(d))
                    .collect::<Result<Vec<_>, _>>()?;
                let ocsp = files[3]
                    .iter()
                    .flatten()
                    .map(|d| OcspResponse::from_der(d))
                    .collect::<Result<Vec<_>, _>>()?;
                let ee = files[4]
                    .iter()
                    .flatten()
                    .next()
                    .map(|d| Certificate::from_der(d))
                    .ok_or_else(|| Error::Malformed {
                        object: "certificate",
                        detail: "no certificate".into(),
                    })??;
                Ok((
                    Verifier::new(anchors, inters, ids),
                    RevocationData { crls, ocsp },
                    ee,
                ))
            })();
            let (verifier, rev, ee) = match built {
                Ok(b) => b,
                Err(e) => return invalid(&e, at),
            };
            let mut opts = Options::at(at);
            opts.purpose = match purpose {
                PurposeArg::BidSigning => Purpose::BidSigning,
                PurposeArg::Any => Purpose::Any,
            };
            opts.policy = PolicyInputs {
                initial_policy_set: if initial_policy.is_empty() {
                    vec![ANY_POLICY.to_owned()]
                } else {
                    initial_policy
                },
                explicit_policy,
                inhibit_policy_mapping,
                inhibit_any_policy,
            };
            opts.max_depth = max_depth;
            opts.require_revocation = require_revocation;
            opts.soft_fail = soft_fail;
            opts.crl_grace_secs = crl_grace;
            let verdict = verifier.verify(&ee, &rev, &opts);
            Outcome {
                code: if verdict.valid {
                    EXIT_VALID
                } else {
                    EXIT_INVALID
                },
                stdout: verdict.to_json(),
                stderr: String::new(),
            }
        }
    }
}
