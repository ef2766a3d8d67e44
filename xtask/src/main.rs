//! Project chores, run with `cargo run -p xtask -- COMMAND`.
//!
//! Commands:
//! - `demo-pki [--out DIR]`: regenerate the demo and test PKI (default `seeds/pki` in the
//!   workspace). Every run makes new keys and serials; names, dates and credit codes are fixed.
//!   See `seeds/README.md` for the layout.

mod credit_code;
mod demo_pki;
mod x509;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

const USAGE: &str = "usage: cargo run -p xtask -- demo-pki [--out DIR]";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Vec<String>) -> Result<()> {
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["demo-pki"] => demo_pki(&workspace_root().join("seeds/pki")),
        ["demo-pki", "--out", dir] => demo_pki(Path::new(dir)),
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => bail!("{USAGE}"),
    }
}

fn demo_pki(out: &Path) -> Result<()> {
    demo_pki::generate(out)
        .with_context(|| format!("generating the demo PKI in {}", out.display()))?;
    println!("demo PKI written to {}", out.display());
    Ok(())
}

/// The workspace root: the parent of this crate's directory.
fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}
