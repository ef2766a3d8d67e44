//! Helpers shared by the integration tests: sample discovery and the golden-file `check`.
#![allow(dead_code, unreachable_pub)]

use std::fs;
use std::path::{Path, PathBuf};

use interchange::{Dialect, Finding, Tables, ValidationPolicy};

/// The samples' root folder.
pub fn seeds() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../seeds/announcements")
}

/// The builtin tables.
pub fn tables() -> Tables {
    Tables::builtin().expect("the shipped tables parse")
}

/// Every sample file of a dialect's folder (`ok`, `warn`, `err`), sorted, without expectations.
pub fn samples(dialect: Dialect, folder: &str) -> Vec<PathBuf> {
    let dir = seeds().join(dialect.name()).join(folder);
    let mut out: Vec<PathBuf> = match fs::read_dir(&dir) {
        Ok(rd) => rd
            .map(|e| e.expect("directory entry").path())
            .filter(|p| !p.to_string_lossy().ends_with(".expected.json"))
            .collect(),
        Err(_) => Vec::new(),
    };
    out.sort();
    out
}

/// Every `*.expected.json` of a dialect's folder.
pub fn expectations(dialect: Dialect, folder: &str) -> Vec<PathBuf> {
    let dir = seeds().join(dialect.name()).join(folder);
    let mut out: Vec<PathBuf> = match fs::read_dir(&dir) {
        Ok(rd) => rd
            .map(|e| e.expect("directory entry").path())
            .filter(|p| p.to_string_lossy().ends_with(".expected.json"))
            .collect(),
        Err(_) => Vec::new(),
    };
    out.sort();
    out
}

/// The expectation file of a sample: `NAME.EXT` -> `NAME.expected.json`.
pub fn expectation_of(sample: &Path) -> PathBuf {
    sample.with_extension("expected.json")
}

/// Compares findings with a golden file; with `UPDATE_EXPECT=1` writes the file instead.
pub fn check(sample: &Path, findings: &[Finding]) {
    let path = expectation_of(sample);
    let actual = serde_json::to_string_pretty(findings).expect("findings serialise") + "\n";
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        fs::write(&path, &actual).expect("write expectation");
        return;
    }
    let expected = fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "{} has no expectation file {}",
            sample.display(),
            path.display()
        )
    });
    assert_eq!(
        actual,
        expected,
        "findings of {} differ from {} (rerun with UPDATE_EXPECT=1 to bless)",
        sample.display(),
        path.display()
    );
}

/// The default policy.
pub fn policy() -> ValidationPolicy {
    ValidationPolicy::default()
}
