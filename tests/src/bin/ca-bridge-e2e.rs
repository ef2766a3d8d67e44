//! The `ca-bridge` command line, rebuilt inside the `tests` package from the same sources as
//! `ca-bridge/src/main.rs`, so that end-to-end tests can run it
//! (`env!("CARGO_BIN_EXE_ca-bridge-e2e")`): a binary of another package is not built for them.

#[path = "../../../ca-bridge/src/cli.rs"]
mod cli;

fn main() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let out = cli::run(std::env::args_os().collect(), now);
    use std::io::Write as _;
    if !out.stdout.is_empty() {
        let _ = writeln!(std::io::stdout(), "{}", out.stdout);
    }
    if !out.stderr.is_empty() {
        let _ = writeln!(std::io::stderr(), "{}", out.stderr);
    }
    std::process::exit(out.code);
}
