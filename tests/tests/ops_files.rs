//! The operations files against the gateway: every metric that the Prometheus rules, their unit
//! tests and the Grafana dashboard name is one the gateway exports (declared in
//! `gateway/src/metrics.rs`) or a recording rule of `ops/prometheus/recording.yml`;
//! `ops/METRICS.md` documents exactly the declared metrics; every alert has a severity, a
//! summary, a runbook section and a firing and a not-firing unit test; and `promtool` accepts
//! the rules, the configuration and the unit tests.
//!
//! No YAML parser: the files are scanned line by line and token by token, which is enough for
//! names and keeps the test independent of the rules' layout.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

fn repo() -> PathBuf {
    tests::workspace_root()
}

fn read(relative: &str) -> String {
    let path = repo().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// `ops/prometheus/tests/*.yml`, as paths relative to the repository, sorted.
fn rule_test_files() -> Vec<String> {
    let dir = repo().join("ops/prometheus/tests");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").file_name())
        .filter_map(|name| name.to_str().map(str::to_owned))
        .filter(|name| name.ends_with(".yml"))
        .map(|name| format!("ops/prometheus/tests/{name}"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no unit tests in {}", dir.display());
    files
}

/// The string literals of `gateway/src/metrics.rs` that start with `gateway_`, and which of them
/// are histograms (the first literal after `HistogramOpts::new(`).
fn declared_metrics() -> (BTreeSet<String>, BTreeSet<String>) {
    let source = read("gateway/src/metrics.rs");
    let mut names = BTreeSet::new();
    let mut histograms = BTreeSet::new();
    let mut rest = source.as_str();
    while let Some(start) = rest.find("\"gateway_") {
        let literal = &rest[start + 1..];
        let end = literal.find('"').expect("closed string literal");
        let name = &literal[..end];
        if name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            let before = &rest[..start];
            if before.trim_end().ends_with("HistogramOpts::new(") {
                histograms.insert(name.to_owned());
            }
            names.insert(name.to_owned());
        }
        rest = &literal[end..];
    }
    assert!(
        names.len() > 20 && histograms.len() >= 4,
        "metrics.rs changed shape: {names:?} {histograms:?}"
    );
    (names, histograms)
}

/// Text without `#` comments (a `#` at the start of a line or after a space: a runbook anchor
/// such as `RUNBOOK.md#x` stays). Comments may name metrics the gateway does not export yet.
fn without_comments(text: &str) -> String {
    text.lines()
        .map(|line| {
            let cut = line
                .char_indices()
                .find(|&(i, c)| c == '#' && (i == 0 || line[..i].ends_with([' ', '\t'])))
                .map_or(line.len(), |(i, _)| i);
            &line[..cut]
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Maximal runs of `[A-Za-z0-9_:]`: PromQL metric and recording-rule names, among other words.
fn tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .filter(|t| !t.is_empty())
}

/// `level:metric:operation`, the shape of every recording-rule name here.
fn is_recording_rule_name(token: &str) -> bool {
    let parts: Vec<&str> = token.split(':').collect();
    parts.len() == 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        })
}

/// The names after `record:` in recording.yml.
fn recording_rules() -> BTreeSet<String> {
    let names: BTreeSet<String> = read("ops/prometheus/recording.yml")
        .lines()
        .filter_map(|line| line.trim().strip_prefix("- record:"))
        .map(|name| name.trim().to_owned())
        .collect();
    for name in &names {
        assert!(
            is_recording_rule_name(name),
            "recording rule {name} is not level:metric:operation"
        );
    }
    assert!(!names.is_empty(), "no recording rules");
    names
}

/// The metric and recording-rule names in `text` that are neither exported nor recorded.
fn unknown_names(text: &str) -> BTreeSet<String> {
    let (metrics, histograms) = declared_metrics();
    let recorded = recording_rules();
    let exported = |name: &str| {
        metrics.contains(name)
            || ["_bucket", "_sum", "_count"].iter().any(|suffix| {
                name.strip_suffix(suffix)
                    .is_some_and(|base| histograms.contains(base))
            })
    };
    tokens(text)
        .filter(|t| {
            if t.contains(':') {
                is_recording_rule_name(t) && !recorded.contains(*t)
            } else {
                t.starts_with("gateway_") && !exported(t)
            }
        })
        .map(str::to_owned)
        .collect()
}

/// Every query string of the dashboard: panel targets and template variables.
fn dashboard_queries(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("expr" | "definition" | "query", serde_json::Value::String(s)) => {
                        out.push(s.clone());
                    }
                    _ => dashboard_queries(v, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| dashboard_queries(v, out)),
        _ => {}
    }
}

/// Every metric `gateway/src/metrics.rs` declares is documented in `ops/METRICS.md`, and every
/// documented one is declared. (`tests/tests/session.rs` checks the document against a running
/// gateway's scrape; this catches a metric that a session does not make appear.)
#[test]
fn metrics_md_documents_exactly_the_declared_metrics() {
    let (declared, _) = declared_metrics();
    let documented: BTreeSet<String> = read("ops/METRICS.md")
        .lines()
        .filter_map(|l| l.strip_prefix("| `gateway_"))
        .filter_map(|l| l.split('`').next())
        .map(|rest| format!("gateway_{rest}"))
        .collect();
    let undocumented: Vec<_> = declared.difference(&documented).collect();
    let stale: Vec<_> = documented.difference(&declared).collect();
    assert!(
        undocumented.is_empty() && stale.is_empty(),
        "declared but not in ops/METRICS.md: {undocumented:?}; in ops/METRICS.md but not declared: {stale:?}"
    );
}

#[test]
fn rules_and_their_unit_tests_name_only_exported_metrics() {
    let mut files = vec![
        "ops/prometheus/recording.yml".to_owned(),
        "ops/prometheus/alerts.yml".to_owned(),
    ];
    files.extend(rule_test_files());
    for file in files {
        let unknown = unknown_names(&without_comments(&read(&file)));
        assert!(
            unknown.is_empty(),
            "{file} names metrics the gateway does not export (gateway/src/metrics.rs) and no \
             recording rule defines: {unknown:?}"
        );
    }
}

#[test]
fn dashboard_names_only_exported_metrics_and_uses_the_variables() {
    let text = read("ops/grafana/gateway.json");
    let dashboard: serde_json::Value = serde_json::from_str(&text).expect("dashboard is JSON");
    let mut queries = Vec::new();
    dashboard_queries(&dashboard, &mut queries);
    let queries: Vec<String> = queries.into_iter().filter(|q| q != "prometheus").collect();
    assert!(queries.len() > 30, "too few queries: {queries:?}");
    let recorded = recording_rules();
    for query in &queries {
        let unknown = unknown_names(query);
        assert!(
            unknown.is_empty(),
            "dashboard query {query:?} names {unknown:?}"
        );
        // `up` and the blackbox exporter's `probe_success` come from Prometheus' own jobs.
        let names_something = tokens(query).any(|t| {
            ["up", "probe_success"].contains(&t)
                || recorded.contains(t)
                || t.starts_with("gateway_") && !t.contains(':')
        });
        assert!(names_something, "dashboard query {query:?} names no metric");
    }
    // Every panel uses the data source variable; raw metrics are filtered by instance.
    let panels = dashboard["panels"].as_array().expect("panels");
    for panel in panels.iter().filter(|p| p["type"] != "row") {
        assert_eq!(
            panel["datasource"]["uid"], "${datasource}",
            "{}",
            panel["title"]
        );
        let targets = panel["targets"].as_array().expect("targets");
        assert!(!targets.is_empty(), "panel {} has no query", panel["title"]);
        for target in targets {
            assert_eq!(target["datasource"]["uid"], "${datasource}");
            let expr = target["expr"].as_str().expect("expr");
            let raw = tokens(expr)
                .any(|t| t.starts_with("gateway_") || ["up", "probe_success"].contains(&t));
            assert!(
                !raw || expr.contains("instance=~\"$instance\""),
                "query {expr:?} ignores the instance variable"
            );
        }
    }
    let variables: Vec<&str> = dashboard["templating"]["list"]
        .as_array()
        .expect("templating")
        .iter()
        .filter_map(|v| v["name"].as_str())
        .collect();
    assert_eq!(variables, ["datasource", "instance"]);
    // The panels the operations issue asks for.
    let titles: Vec<String> = panels
        .iter()
        .filter_map(|p| p["title"].as_str())
        .map(str::to_lowercase)
        .collect();
    for wanted in [
        "platform",
        "5xx",
        "p99",
        "translation",
        "province and ca",
        "crl",
        "trust list",
        "outbox",
        "delivery",
        "tls handshake",
    ] {
        assert!(
            titles.iter().any(|t| t.contains(wanted)),
            "no panel about {wanted}"
        );
    }
}

/// Alert name → its block of alerts.yml.
fn alerts() -> BTreeMap<String, String> {
    let text = read("ops/prometheus/alerts.yml");
    let mut alerts = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(name) = trimmed.strip_prefix("- alert:") {
            alerts.extend(current.take());
            current = Some((name.trim().to_owned(), String::new()));
        } else if trimmed.starts_with("- name:") {
            alerts.extend(current.take());
        } else if let Some((_, block)) = current.as_mut() {
            block.push_str(trimmed);
            block.push('\n');
        }
    }
    alerts.extend(current);
    assert!(alerts.len() >= 10, "too few alerts: {:?}", alerts.keys());
    alerts
}

#[test]
fn every_alert_has_severity_summary_and_a_runbook_section() {
    let runbook = read("ops/RUNBOOK.md");
    let headings: BTreeSet<&str> = runbook
        .lines()
        .filter(|l| l.starts_with('#'))
        .map(|l| l.trim_start_matches('#').trim())
        .collect();
    for (name, block) in alerts() {
        assert!(
            block.contains("severity: critical\n") || block.contains("severity: warning\n"),
            "{name}: severity critical or warning"
        );
        assert!(block.contains("summary: "), "{name}: summary");
        let url = format!("runbook_url: ops/RUNBOOK.md#{}\n", name.to_lowercase());
        assert!(block.contains(&url), "{name}: {url}");
        assert!(
            headings.contains(name.as_str()),
            "RUNBOOK.md: no section {name}"
        );
    }
}

#[test]
fn every_alert_has_a_firing_and_a_not_firing_unit_test() {
    let alerts = alerts();
    // alert name → (firing cases, not-firing cases)
    let mut cases: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for file in rule_test_files() {
        let text = read(&file);
        let mut lines = text.lines().map(str::trim);
        while let Some(line) = lines.next() {
            let Some(name) = line.strip_prefix("alertname:") else {
                continue;
            };
            let name = name.trim().to_owned();
            assert!(alerts.contains_key(&name), "{file}: no alert named {name}");
            let expected = lines
                .find_map(|l| l.strip_prefix("exp_alerts:"))
                .unwrap_or_else(|| panic!("{file}: {name} without exp_alerts"));
            let entry = cases.entry(name).or_default();
            if expected.trim() == "[]" {
                entry.1 += 1;
            } else {
                entry.0 += 1;
            }
        }
    }
    for name in alerts.keys() {
        let (firing, quiet) = cases.get(name).copied().unwrap_or_default();
        assert!(
            firing > 0 && quiet > 0,
            "{name}: {firing} firing and {quiet} not-firing unit tests"
        );
    }
}

#[test]
fn promtool_accepts_rules_config_and_unit_tests() {
    let ops = repo().join("ops/prometheus");
    if Command::new("promtool").arg("--version").output().is_err() {
        assert!(
            !tests::in_ci(),
            "CI=true but promtool is not installed (Debian package `prometheus`)"
        );
        eprintln!(
            "SKIPPED (promtool rules): promtool is not installed (apt-get install prometheus); \
             ops/prometheus was NOT checked"
        );
        return;
    }
    let run = |args: &[&str]| {
        let output = Command::new("promtool")
            .args(args)
            .current_dir(&ops)
            .output()
            .expect("run promtool");
        assert!(
            output.status.success(),
            "promtool {}:\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    };
    // prometheus.yml is not a rule file: the rule files are named.
    run(&["check", "rules", "recording.yml", "alerts.yml"]);
    run(&["check", "config", "prometheus.yml"]);
    let tests: Vec<String> = rule_test_files()
        .iter()
        .map(|f| f.trim_start_matches("ops/prometheus/").to_owned())
        .collect();
    let mut args = vec!["test", "rules"];
    args.extend(tests.iter().map(String::as_str));
    run(&args);
}
