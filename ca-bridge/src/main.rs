//! `ca-bridge verify|inspect`: see [`cli`].

mod cli;

fn main() {
    // The only clock reading of the crate: the default for `--at`.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let out = cli::run(std::env::args_os().collect(), now);
    // A closed pipe (`ca-bridge verify ... | head`) must not turn into a panic.
    use std::io::Write as _;
    if !out.stdout.is_empty() {
        let _ = writeln!(std::io::stdout(), "{}", out.stdout);
    }
    if !out.stderr.is_empty() {
        let _ = writeln!(std::io::stderr(), "{}", out.stderr);
    }
    std::process::exit(out.code);
}
