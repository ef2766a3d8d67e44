//! `ops/gateway.example.toml` is the documentation of every configuration key: it must load, and
//! every key the settings have must appear in it.

use std::path::Path;

use gateway::config::{self, ENVIRONMENT, Overrides, Settings};

fn example() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../ops/gateway.example.toml"
    ))
}

/// Dotted key paths of a TOML table (array-of-table entries under their array's name).
fn keys(prefix: &str, table: &toml::Table, out: &mut Vec<String>) {
    for (key, value) in table {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(t) => keys(&path, t, out),
            toml::Value::Array(items)
                if items.iter().all(toml::Value::is_table) && !items.is_empty() =>
            {
                for item in items {
                    if let toml::Value::Table(t) = item {
                        keys(&path, t, out);
                    }
                }
            }
            _ => out.push(path),
        }
    }
}

#[test]
fn example_configuration_loads() {
    let settings = config::load(Some(example()), [], &Overrides::default()).expect("loads");
    assert_eq!(settings.server.listen.port(), 8443);
    assert_eq!(settings.platforms.len(), 2);
}

#[test]
fn example_documents_every_key() {
    let text = std::fs::read_to_string(example()).expect("read example");
    // Keys commented out as `#key = value` (no space after `#`) count as documented.
    let uncommented: String = text
        .lines()
        .map(|l| match l.strip_prefix('#') {
            Some(rest) if rest.starts_with(|c: char| c.is_ascii_lowercase()) => rest.to_owned(),
            _ => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let documented: toml::Table = toml::from_str(&uncommented).expect("example parses");
    let mut documented_keys = Vec::new();
    keys("", &documented, &mut documented_keys);

    let mut defaults = toml::Table::try_from(Settings::default()).expect("serialise defaults");
    defaults.insert(
        "platforms".to_owned(),
        toml::Value::Array(vec![toml::Value::Table(
            toml::from_str(
                "id = \"x\"\nrole = \"platform\"\nprovince = \"shanghai\"\nname = \"n\"\ncertificate = \"c\"",
            )
            .expect("platform"),
        )]),
    );
    let mut setting_keys = Vec::new();
    keys("", &defaults, &mut setting_keys);
    // Optional keys, unset by default (so absent from the serialised defaults).
    for optional in [
        "database.url",
        "bridge.trust_list_signer",
        "bridge.trust_list",
        "receipts.key",
        "receipts.certificate",
    ] {
        setting_keys.push(optional.to_owned());
    }
    for key in &setting_keys {
        assert!(
            documented_keys.contains(key),
            "`{key}` is not documented in the example"
        );
    }
    for (var, key) in ENVIRONMENT {
        assert!(
            setting_keys.contains(&(*key).to_owned()),
            "{var} sets unknown key {key}"
        );
        assert!(text.contains(var), "{var} is not documented in the example");
    }
}
