//! Keeps the library pure: no clock, no file or network I/O, no process globals in `src/` outside
//! the command-line shell (`main.rs`, `cli.rs`). A grep, because a `clippy.toml` would apply to the
//! whole workspace.

mod common;

#[test]
fn library_sources_read_no_clock_and_do_no_io() {
    let forbidden = [
        "SystemTime::now",
        "Instant::now",
        "OffsetDateTime::now",
        "ASN1Time::now",
        "std::fs",
        "std::net",
        "std::env",
        "std::process",
        "static mut",
        "thread_local!",
        "OnceLock",
        "LazyLock",
        "lazy_static",
    ];
    let src = common::manifest_dir().join("src");
    let mut stack = vec![src];
    let mut checked = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src is readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if name == "main.rs" || name == "cli.rs" || !name.ends_with(".rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("source is UTF-8");
            for f in forbidden {
                assert!(
                    !text.contains(f),
                    "{} uses {f}: the library must stay pure",
                    path.display()
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} library sources found");
}
