//! Things that must agree with each other in the source tree: the two migration folders, and the
//! route table with the OpenAPI description.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

/// The sub-folders of a directory, sorted.
fn folders(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry"))
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn migrations_are_in_lock_step_on_both_backends() {
    let embedded_sqlite: &[String] = &gateway::db::MIGRATION_NAMES_SQLITE;
    let embedded_postgres: &[String] = &gateway::db::MIGRATION_NAMES_POSTGRES;
    assert!(!embedded_sqlite.is_empty(), "no SQLite migrations embedded");
    assert_eq!(embedded_sqlite, embedded_postgres);

    let root = tests::workspace_root().join("gateway").join("migrations");
    let sqlite = folders(&root.join("sqlite"));
    let postgres = folders(&root.join("postgres"));
    assert_eq!(sqlite, postgres, "migration folders differ");
    // The binary embeds exactly the folders, in order.
    assert_eq!(sqlite, embedded_sqlite);
    for backend in ["sqlite", "postgres"] {
        for name in &sqlite {
            for file in ["up.sql", "down.sql"] {
                let path = root.join(backend).join(name).join(file);
                let sql = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert!(!sql.trim().is_empty(), "{} is empty", path.display());
            }
        }
    }
}

/// A route pattern as OpenAPI writes it: actix's `{name:regex}` segments become `{name}`.
fn openapi_path(pattern: &str) -> String {
    let mut out = String::new();
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..]
            .find('}')
            .map(|i| open + i)
            .unwrap_or_else(|| panic!("unbalanced braces in {pattern}"));
        let name = rest[open + 1..close].split(':').next().unwrap_or("");
        out.push('{');
        out.push_str(name);
        out.push('}');
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// The template variables of an OpenAPI path, e.g. `["id"]` for `/v1/admin/platforms/{id}`.
fn template_variables(path: &str) -> BTreeSet<String> {
    path.split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}').map(|(name, _)| name.to_owned()))
        .collect()
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn openapi() -> Value {
    let text = std::fs::read_to_string(tests::workspace_root().join("schemas/openapi.json"))
        .expect("schemas/openapi.json");
    serde_json::from_str(&text).expect("schemas/openapi.json is JSON")
}

#[test]
fn openapi_describes_exactly_the_routes_served() {
    let doc = openapi();
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "an OpenAPI 3.1 document: {}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().expect("paths");
    let mut described = BTreeSet::new();
    for (path, item) in paths {
        let item = item.as_object().expect("path item");
        for (key, operation) in item {
            if !METHODS.contains(&key.as_str()) {
                continue;
            }
            described.insert((key.to_uppercase(), path.clone()));
            assert!(
                operation["responses"]
                    .as_object()
                    .is_some_and(|r| !r.is_empty()),
                "{key} {path} has no responses"
            );
            // Every template variable is declared as a path parameter.
            let declared: BTreeSet<String> = item
                .get("parameters")
                .into_iter()
                .chain(operation.get("parameters"))
                .flat_map(|list| list.as_array().cloned().unwrap_or_default())
                .filter(|p| p["in"] == "path")
                .map(|p| {
                    assert_eq!(
                        p["required"], true,
                        "{key} {path}: path parameters are required"
                    );
                    p["name"].as_str().unwrap_or("").to_owned()
                })
                .collect();
            assert_eq!(declared, template_variables(path), "{key} {path}");
        }
    }
    let served: BTreeSet<(String, String)> = gateway::routes::ROUTES
        .iter()
        .map(|(method, pattern)| ((*method).to_owned(), openapi_path(pattern)))
        .collect();
    assert_eq!(
        served.len(),
        gateway::routes::ROUTES.len(),
        "duplicate routes"
    );
    let undescribed: Vec<_> = served.difference(&described).collect();
    let unserved: Vec<_> = described.difference(&served).collect();
    assert!(
        undescribed.is_empty() && unserved.is_empty(),
        "served but not in schemas/openapi.json: {undescribed:?}; described but not served: {unserved:?}"
    );
}

#[test]
fn served_openapi_is_embedded_from_the_committed_file() {
    let committed = std::fs::read_to_string(tests::workspace_root().join("schemas/openapi.json"))
        .expect("schemas/openapi.json");
    tests::assert_same_text(
        gateway::routes::OPENAPI,
        &committed,
        "the OpenAPI embedded in the gateway vs schemas/openapi.json (rebuild?)",
    );
}

#[test]
fn openapi_path_strips_route_regexes() {
    assert_eq!(openapi_path("/v1/schemas/{path:.*}"), "/v1/schemas/{path}");
    assert_eq!(
        openapi_path("/v1/admin/platforms/{id}/suspend"),
        "/v1/admin/platforms/{id}/suspend"
    );
    assert_eq!(openapi_path("/healthz"), "/healthz");
}
