//! The `ca-bridge` command line: a thin shell that reads files and the clock, calls the library and
//! prints JSON.
//!
//! Why this module exists: it is the only place with I/O, so the library stays pure. Exit codes
//! are a contract with scripts: 0 valid, 1 invalid (for any reason, malformed input included),
//! 2 usage error or an input file that cannot be read or is neither PEM nor DER.

use std::path::{Path, PathBuf};

use ca_bridge::receipt::{ReceiptSigner, verify_receipt};
use ca_bridge::signature::{Content, DigestAlgorithm, SignatureOptions, SignatureVerifier};
use ca_bridge::{
    ANY_POLICY, Certificate, CreditCodePolicy, Crl, DEFAULT_MAX_DEPTH, Error, OcspResponse,
    Options, PolicyInputs, Purpose, RevocationData, Sm2Ids, TrustList, TrustListSigner,
    TrustListVerifier, TrustOptions, Verifier, decode_pem_or_der, sign_trust_list,
};
use clap::{Args, Parser, Subcommand, ValueEnum};

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
    about = "RFC 5280 path validation and bid-signature verification for RSA, ECDSA and SM2"
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum PurposeArg {
    BidSigning,
    Timestamping,
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
    /// Verify a bid signature (CMS SignedData or a raw signature) and print the verdict as JSON
    /// (exit 0 valid, 1 invalid, 2 usage error).
    VerifySignature(Box<VerifySignatureArgs>),
    /// Verify (or sign) verification receipts.
    #[command(subcommand)]
    Receipt(ReceiptCommand),
}

#[derive(Args, Debug)]
#[command(group = clap::ArgGroup::new("trust").required(true).args(["trust_list", "anchors"]))]
#[command(group = clap::ArgGroup::new("input").required(true).args(["cms", "signature"]))]
#[command(group = clap::ArgGroup::new("document").args(["content", "digest"]))]
struct VerifySignatureArgs {
    /// A signed trust list: signers' CAs are its bidder-signing-ca services, timestamps come from
    /// its timestamping-authority services. Needs --trust-list-signer.
    #[arg(long, value_name = "FILE", requires = "trust_list_signer")]
    trust_list: Option<PathBuf>,
    /// The pinned signer certificate of the trust list (PEM).
    #[arg(long, value_name = "PEM", requires = "trust_list")]
    trust_list_signer: Option<PathBuf>,
    /// Trust anchor for signers' certificates (instead of a trust list; no list rules apply).
    #[arg(long = "anchor", value_name = "PEM", conflicts_with = "trust_list")]
    anchors: Vec<PathBuf>,
    /// Untrusted candidate certificate (intermediates, the signer's or the TSA's certificate).
    #[arg(long = "intermediate", value_name = "PEM")]
    intermediates: Vec<PathBuf>,
    /// CRL file (PEM or DER), for the signer's and the timestamping authority's paths.
    #[arg(long = "crl", value_name = "FILE")]
    crls: Vec<PathBuf>,
    /// OCSP response file (DER or PEM).
    #[arg(long = "ocsp", value_name = "FILE")]
    ocsp: Vec<PathBuf>,
    /// Trust anchor for timestamping authorities (in addition to a trust list's).
    #[arg(long = "tsa-anchor", value_name = "PEM")]
    tsa_anchors: Vec<PathBuf>,
    /// A CMS SignedData (DER, BER or PEM).
    #[arg(long, value_name = "FILE")]
    cms: Option<PathBuf>,
    /// A raw signature (binary, as `openssl dgst -sign` writes it); needs --cert.
    #[arg(long, value_name = "FILE", requires = "cert")]
    signature: Option<PathBuf>,
    /// The signer's certificate (for --signature; for --cms, when the SignedData lacks it).
    #[arg(long, value_name = "PEM")]
    cert: Option<PathBuf>,
    /// The signed document (detached CMS, raw signatures; with attached CMS it must match).
    #[arg(long, value_name = "FILE")]
    content: Option<PathBuf>,
    /// The document's digest, hex, instead of the document (needs --digest-alg). For raw SM2:
    /// SM3(Z || document).
    #[arg(long, value_name = "HEX", requires = "digest_alg")]
    digest: Option<String>,
    /// The algorithm of --digest.
    #[arg(long, value_enum, requires = "digest")]
    digest_alg: Option<DigestArg>,
    /// An RFC 3161 timestamp token or TimeStampResp over the signature value (for CMS it
    /// replaces an embedded one).
    #[arg(long, value_name = "FILE")]
    timestamp: Option<PathBuf>,
    /// Validation time, RFC 3339 (default: now). Without a valid timestamp the signer's
    /// certificate is judged at this time.
    #[arg(long, value_parser = parse_time)]
    at: Option<i64>,
    /// The signer's SM2 distinguishing ID (default: the CA service's under a trust list, else
    /// 1234567812345678).
    #[arg(long, allow_hyphen_values = true)]
    sm2_id: Option<String>,
    /// A raw RSA signature is RSASSA-PSS (default PKCS#1 v1.5).
    #[arg(long)]
    rsa_pss: bool,
    /// Under a trust list: a bad credit code makes the signer's certificate invalid.
    #[arg(long, requires = "trust_list")]
    strict_credit_code: bool,
    /// Invalid when no CRL or OCSP response is supplied.
    #[arg(long)]
    require_revocation: bool,
    /// Accept certificates whose revocation status the supplied data cannot determine.
    #[arg(long)]
    soft_fail: bool,
    /// Seconds a CRL stays usable after its nextUpdate.
    #[arg(long, default_value_t = 0)]
    crl_grace: i64,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum DigestArg {
    Sha256,
    Sha384,
    Sha512,
    Sm3,
}

#[derive(Subcommand, Debug)]
enum ReceiptCommand {
    /// Check RECEIPT (a compact JWS) against the receipt certificate and print its payload
    /// (exit 0 valid, 1 invalid, 2 usage error).
    Verify {
        /// The receipt certificate (PEM or DER).
        #[arg(long, value_name = "PEM")]
        cert: PathBuf,
        /// The receipt file.
        receipt: PathBuf,
    },
    /// Sign PAYLOAD (JSON) as a receipt and print it (exit 0; 1 when the key is refused; 2
    /// usage error).
    Sign {
        /// The receipt key (PEM; P-256 signs ES256, SM2 signs SM2SM3).
        #[arg(long, value_name = "KEY.pem")]
        key: PathBuf,
        /// The receipt certificate (PEM).
        #[arg(long, value_name = "PEM")]
        cert: PathBuf,
        /// The payload, a JSON file.
        payload: PathBuf,
    },
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
        Command::VerifySignature(args) => verify_signature(*args, now),
        Command::Receipt(cmd) => receipt_command(cmd),
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
                PurposeArg::Timestamping => Purpose::Timestamping,
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

/// The bytes of a signature-type input: PEM armour is removed, anything else is passed on as is
/// (so that garbage is a malformed signature, exit 1, not a usage error).
fn read_signature_input(path: &Path) -> Result<Vec<u8>, Outcome> {
    let bytes = read_file(path)?;
    if bytes.starts_with(b"-----BEGIN ") {
        return decode_pem_or_der(&bytes)
            .ok()
            .and_then(|b| b.into_iter().next())
            .map(|(_, d)| d)
            .ok_or_else(|| usage(format!("{}: broken PEM", path.display())));
    }
    Ok(bytes)
}

fn certs_from(paths: &[PathBuf]) -> Result<Result<Vec<Certificate>, Error>, Outcome> {
    let mut blobs = Vec::new();
    for p in paths {
        blobs.extend(read_blobs(p)?);
    }
    Ok(blobs.iter().map(|d| Certificate::from_der(d)).collect())
}

/// `verify-signature`.
fn verify_signature(a: VerifySignatureArgs, now: i64) -> Outcome {
    let at = a.at.unwrap_or(now);
    // Read everything first: unreadable files are usage errors (exit 2).
    let read = (|| -> Result<_, Outcome> {
        let anchors = certs_from(&a.anchors)?;
        let inters = certs_from(&a.intermediates)?;
        let tsa = certs_from(&a.tsa_anchors)?;
        let cert = match &a.cert {
            Some(p) => Some(certs_from(std::slice::from_ref(p))?),
            None => None,
        };
        let mut crls = Vec::new();
        for p in &a.crls {
            crls.extend(read_blobs(p)?);
        }
        let mut ocsp = Vec::new();
        for p in &a.ocsp {
            ocsp.extend(read_blobs(p)?);
        }
        let input = match (&a.cms, &a.signature) {
            (Some(p), _) | (None, Some(p)) => read_signature_input(p)?,
            (None, None) => return Err(usage("--cms or --signature is required".into())),
        };
        let timestamp = match &a.timestamp {
            Some(p) => Some(read_signature_input(p)?),
            None => None,
        };
        let content = match &a.content {
            Some(p) => Some(read_file(p)?),
            None => None,
        };
        let digest = match &a.digest {
            Some(h) => Some(
                hex::decode(h.trim()).map_err(|e| usage(format!("--digest is not hex: {e}")))?,
            ),
            None => None,
        };
        let list = match (&a.trust_list, &a.trust_list_signer) {
            (Some(file), Some(signer)) => Some((read_signer(signer)?, read_file(file)?)),
            (None, None) => None,
            _ => {
                return Err(usage(
                    "--trust-list and --trust-list-signer go together".into(),
                ));
            }
        };
        Ok((
            anchors, inters, tsa, cert, crls, ocsp, input, timestamp, content, digest, list,
        ))
    })();
    let (anchors, inters, tsa, cert, crls, ocsp, input, timestamp, content, digest, list) =
        match read {
            Ok(r) => r,
            Err(o) => return o,
        };
    if a.signature.is_some() && content.is_none() && digest.is_none() {
        return usage("--signature needs --content or --digest".into());
    }
    if list.is_none() && a.anchors.is_empty() {
        return usage("--trust-list or --anchor is required".into());
    }
    // Decoding failures of certificates and revocation data are invalid inputs (exit 1).
    let decoded = (|| -> Result<_, Error> {
        let anchors = anchors?;
        let mut chain = inters?;
        let tsa = tsa?;
        let signer_cert = match cert {
            Some(c) => c?.into_iter().next(),
            None => None,
        };
        if a.cms.is_some()
            && let Some(c) = &signer_cert
        {
            chain.push(c.clone());
        }
        let crls = crls
            .iter()
            .map(|d| Crl::from_der(d))
            .collect::<Result<Vec<_>, _>>()?;
        let ocsp = ocsp
            .iter()
            .map(|d| OcspResponse::from_der(d))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((
            anchors,
            chain,
            tsa,
            signer_cert,
            RevocationData { crls, ocsp },
        ))
    })();
    let (anchors, chain, tsa, signer_cert, revocation) = match decoded {
        Ok(d) => d,
        Err(e) => return invalid(&e, at),
    };
    let list = match list {
        Some((signer, bytes)) => match TrustList::load(&bytes, &signer, now) {
            Ok(l) => Some(TrustListVerifier::new(l)),
            Err(e) => return invalid(&e, at),
        },
        None => None,
    };
    let ids = Sm2Ids::default();
    let anchor_verifier = Verifier::new(anchors, chain.clone(), ids.clone());
    let tsa_verifier = Verifier::new(tsa, chain.clone(), ids);
    let mut verifier = match &list {
        Some(l) => SignatureVerifier::with_trust_list(l),
        None => SignatureVerifier::with_anchors(&anchor_verifier),
    };
    if !a.tsa_anchors.is_empty() {
        verifier = verifier.tsa_anchors(&tsa_verifier);
    }
    let mut opts = SignatureOptions::at(at);
    opts.chain = &chain;
    opts.timestamp = timestamp.as_deref();
    opts.sm2_id = a.sm2_id.as_deref();
    opts.rsa_pss = a.rsa_pss;
    opts.credit_code = if a.strict_credit_code {
        CreditCodePolicy::Strict
    } else {
        CreditCodePolicy::Report
    };
    opts.crl_grace_secs = a.crl_grace;
    opts.soft_fail = a.soft_fail;
    opts.require_revocation = a.require_revocation;
    let document = match (&content, &digest, a.digest_alg) {
        (Some(c), _, _) => Some(Content::Bytes(c)),
        (None, Some(d), Some(alg)) => Some(Content::Digest {
            algorithm: match alg {
                DigestArg::Sha256 => DigestAlgorithm::Sha256,
                DigestArg::Sha384 => DigestAlgorithm::Sha384,
                DigestArg::Sha512 => DigestAlgorithm::Sha512,
                DigestArg::Sm3 => DigestAlgorithm::Sm3,
            },
            value: d,
        }),
        _ => None,
    };
    let verdict = if a.cms.is_some() {
        verifier.verify_cms(&input, document, &revocation, &opts)
    } else {
        match (&signer_cert, document) {
            (Some(cert), Some(doc)) => verifier.verify_raw(&input, cert, doc, &revocation, &opts),
            _ => return usage("--signature needs --cert and --content or --digest".into()),
        }
    };
    // A detached signature without its content, or a digest by another algorithm, is a usage
    // error: nothing was verified.
    if verdict.reason == Some("content-missing") {
        return Outcome {
            code: EXIT_USAGE,
            stdout: verdict.to_json(),
            stderr: verdict.detail.clone().unwrap_or_default(),
        };
    }
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

/// `receipt verify|sign`.
fn receipt_command(cmd: ReceiptCommand) -> Outcome {
    match cmd {
        ReceiptCommand::Verify { cert, receipt } => {
            let (blobs, bytes) = match (read_blobs(&cert), read_file(&receipt)) {
                (Ok(b), Ok(r)) => (b, r),
                (Err(o), _) | (_, Err(o)) => return o,
            };
            let cert = match Certificate::from_der(&blobs[0]) {
                Ok(c) => c,
                Err(e) => return usage(format!("{}: {e}", cert.display())),
            };
            let text = String::from_utf8_lossy(&bytes);
            match verify_receipt(&text, &cert) {
                Ok(payload) => Outcome {
                    code: EXIT_VALID,
                    stdout: serde_json::to_string_pretty(&serde_json::json!({
                        "valid": true,
                        "x5t#S256": ca_bridge::receipt::thumbprint(&cert),
                        "payload": payload,
                    }))
                    .unwrap_or_default(),
                    stderr: String::new(),
                },
                Err(e) => {
                    let v = serde_json::json!({
                        "valid": false,
                        "reason": e.code(),
                        "detail": e.to_string(),
                        "error": e,
                    });
                    Outcome {
                        code: EXIT_INVALID,
                        stdout: serde_json::to_string_pretty(&v).unwrap_or_default(),
                        stderr: String::new(),
                    }
                }
            }
        }
        ReceiptCommand::Sign { key, cert, payload } => {
            let (key, cert, payload) =
                match (read_file(&key), read_file(&cert), read_file(&payload)) {
                    (Ok(k), Ok(c), Ok(p)) => (k, c, p),
                    (Err(o), _, _) | (_, Err(o), _) | (_, _, Err(o)) => return o,
                };
            let payload: serde_json::Value = match serde_json::from_slice(&payload) {
                Ok(v) => v,
                Err(e) => return usage(format!("the payload is not JSON: {e}")),
            };
            match ReceiptSigner::from_pem(&key, &cert).and_then(|s| s.sign(&payload)) {
                Ok(jws) => Outcome {
                    code: EXIT_VALID,
                    stdout: jws,
                    stderr: String::new(),
                },
                Err(e) => Outcome {
                    code: EXIT_INVALID,
                    stdout: String::new(),
                    stderr: format!("{}: {e}", e.code()),
                },
            }
        }
    }
}
