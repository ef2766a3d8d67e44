//! The `ca-bridge` command line: a thin shell that reads files and the clock, calls the library and
//! prints JSON.
//!
//! Why this module exists: it is the only place with I/O, so the library stays pure. Exit codes
//! are a contract with scripts: 0 valid, 1 invalid (for any reason, malformed input included),
//! 2 usage error or an input file that cannot be read or is neither PEM nor DER.

use std::path::{Path, PathBuf};

use ca_bridge::{
    ANY_POLICY, Certificate, CreditCodePolicy, Crl, DEFAULT_MAX_DEPTH, Error, OcspResponse,
    Options, PolicyInputs, Purpose, RevocationData, Sm2Ids, TrustList, TrustListSigner,
    TrustListVerifier, TrustOptions, Verifier, decode_pem_or_der, sign_trust_list,
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
        #[arg(long = "anchor", value_name = "PEM", conflicts_with = "trust_list")]
        anchors: Vec<PathBuf>,
        /// A signed trust list to take the anchors, intermediates and SM2 IDs from (instead of
        /// --anchor); needs --trust-list-signer. Under a list, --intermediate adds candidates.
        #[arg(long, value_name = "FILE", requires = "trust_list_signer")]
        trust_list: Option<PathBuf>,
        /// The pinned signer certificate of the trust list (PEM).
        #[arg(long, value_name = "PEM", requires = "trust_list")]
        trust_list_signer: Option<PathBuf>,
        /// Under a trust list: the signing time, RFC 3339; CA service status is judged then
        /// (default: the validation time).
        #[arg(long, value_parser = parse_time, requires = "trust_list")]
        signing_time: Option<i64>,
        /// Under a trust list: a credit code with a bad check character (or malformed) makes the
        /// certificate invalid (`bad-credit-code`) instead of being reported only.
        #[arg(long, requires = "trust_list")]
        strict_credit_code: bool,
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
    /// Sign, check and show trust lists.
    #[command(subcommand)]
    TrustList(TrustListCommand),
}

#[derive(Subcommand, Debug)]
enum TrustListCommand {
    /// Sign LIST (the unsigned JSON) and print the signed envelope (exit 0; 1 when the list or
    /// the key is refused; 2 usage error).
    Sign {
        /// The signer's private key (PKCS#8 or SEC1 PEM, ECDSA P-256).
        #[arg(long, value_name = "KEY.pem")]
        key: PathBuf,
        /// The signer's certificate (PEM).
        #[arg(long, value_name = "SIGNER.pem")]
        cert: PathBuf,
        /// The unsigned list.
        list: PathBuf,
    },
    /// Check a signed list against the pinned signer (exit 0 accepted, 1 refused, 2 usage error).
    Verify {
        /// The pinned signer certificate (PEM).
        #[arg(long, value_name = "PEM")]
        signer: PathBuf,
        /// The time to check next_update against, RFC 3339 (default: now).
        #[arg(long, value_parser = parse_time)]
        at: Option<i64>,
        /// The signed list.
        file: PathBuf,
    },
    /// Check a signed list like `verify` and print its summary as JSON.
    Show {
        /// The pinned signer certificate (PEM).
        #[arg(long, value_name = "PEM")]
        signer: PathBuf,
        /// The time to check next_update against, RFC 3339 (default: now).
        #[arg(long, value_parser = parse_time)]
        at: Option<i64>,
        /// The signed list.
        file: PathBuf,
    },
}

fn read_file(path: &Path) -> Result<Vec<u8>, Outcome> {
    std::fs::read(path).map_err(|e| usage(format!("cannot read {}: {e}", path.display())))
}

/// Reads the pinned signer: unreadable, undecodable or unusable signer files are usage errors.
fn read_signer(path: &Path) -> Result<TrustListSigner, Outcome> {
    let blobs = read_blobs(path)?;
    let cert =
        Certificate::from_der(&blobs[0]).map_err(|e| usage(format!("{}: {e}", path.display())))?;
    TrustListSigner::new(cert).map_err(|e| usage(format!("{}: {e}", path.display())))
}

fn trust_list_command(cmd: TrustListCommand, now: i64) -> Outcome {
    match cmd {
        TrustListCommand::Sign { key, cert, list } => {
            let (key, signer, list) = match (read_file(&key), read_signer(&cert), read_file(&list))
            {
                (Ok(k), Ok(s), Ok(l)) => (k, s, l),
                (Err(o), _, _) | (_, Err(o), _) | (_, _, Err(o)) => return o,
            };
            match sign_trust_list(&list, &key, &signer) {
                Ok(env) => Outcome {
                    code: EXIT_VALID,
                    stdout: env,
                    stderr: String::new(),
                },
                Err(e) => Outcome {
                    code: EXIT_INVALID,
                    stdout: String::new(),
                    stderr: format!("{}: {e}", e.code()),
                },
            }
        }
        TrustListCommand::Verify { signer, at, file } => {
            check_list(&signer, &file, at.unwrap_or(now), false)
        }
        TrustListCommand::Show { signer, at, file } => {
            check_list(&signer, &file, at.unwrap_or(now), true)
        }
    }
}

/// `trust-list verify|show`: load the list at `at`; print a short result or the summary.
fn check_list(signer: &Path, file: &Path, at: i64, show: bool) -> Outcome {
    let (signer, bytes) = match (read_signer(signer), read_file(file)) {
        (Ok(s), Ok(b)) => (s, b),
        (Err(o), _) | (_, Err(o)) => return o,
    };
    match TrustList::load(&bytes, &signer, at) {
        Ok(list) => {
            let json = if show {
                list.summary_json()
            } else {
                serde_json::json!({
                    "valid": true,
                    "sequence": list.sequence(),
                    "issued_at": fmt(list.issued_at()),
                    "next_update": fmt(list.next_update()),
                    "signer": list.signer_key_id(),
                    "payload_sha256": list.payload_sha256(),
                    "services": list.services().len(),
                })
            };
            Outcome {
                code: EXIT_VALID,
                stdout: serde_json::to_string_pretty(&json).unwrap_or_default(),
                stderr: String::new(),
            }
        }
        Err(e) => invalid(&e, at),
    }
}

fn fmt(t: i64) -> Option<String> {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
}

fn parse_time(s: &str) -> Result<i64, String> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|e| format!("not an RFC 3339 time: {e}"))
}

/// The --intermediate certificates (already decoded once above, so they parse).
fn verifier_candidates(files: &[Vec<Vec<u8>>]) -> Vec<Certificate> {
    files
        .iter()
        .flatten()
        .filter_map(|d| Certificate::from_der(d).ok())
        .collect()
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
        "validation_time": fmt(at),
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
        Command::TrustList(cmd) => trust_list_command(cmd, now),
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
            trust_list,
            trust_list_signer,
            signing_time,
            strict_credit_code,
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
            // Under a trust list: the list's anchors, the --intermediate files as extra candidates.
            let list = match (&trust_list, &trust_list_signer) {
                (Some(file), Some(signer)) => {
                    let (signer, bytes) = match (read_signer(signer), read_file(file)) {
                        (Ok(s), Ok(b)) => (s, b),
                        (Err(o), _) | (_, Err(o)) => return o,
                    };
                    match TrustList::load(&bytes, &signer, now) {
                        Ok(l) => Some(TrustListVerifier::new(l)),
                        Err(e) => return invalid(&e, at),
                    }
                }
                (None, None) => None,
                _ => return usage("--trust-list and --trust-list-signer go together".into()),
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
            let verdict = match &list {
                Some(tl) => {
                    let chain: Vec<Certificate> = verifier_candidates(&files[1]);
                    let topts = TrustOptions {
                        signing_time,
                        credit_code: if strict_credit_code {
                            CreditCodePolicy::Strict
                        } else {
                            CreditCodePolicy::Report
                        },
                    };
                    tl.verify(&ee, &chain, &rev, &opts, &topts)
                }
                None => verifier.verify(&ee, &rev, &opts),
            };
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
