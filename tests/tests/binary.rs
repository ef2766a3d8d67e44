//! The `gateway` command line, run as a child process: `serve --demo` and its data directory, the
//! refusal of demo keys outside demo mode, `migrate`, `check-config`, and configuration errors.

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use tests::{
    Cert, DEADLINE, ServeProcess, expect_json, expect_problem, https_client_builder, run,
    seeds_pki, snapshot,
};

/// The gateway binary built for these tests (the same `main` as `gateway`'s).
const BIN: &str = env!("CARGO_BIN_EXE_gateway-e2e");

/// `gateway ARGS` with a clean environment, run in `cwd`.
fn gateway(cwd: &Path, args: &[&str]) -> Command {
    let mut cmd = tests::command(BIN);
    cmd.current_dir(cwd).args(args);
    cmd
}

/// `gateway serve --demo --data-dir DIR` on free ports.
fn serve_demo(cwd: &Path, data_dir: &Path) -> ServeProcess {
    let mut cmd = tests::serve_demo_command(BIN, data_dir);
    cmd.current_dir(cwd);
    ServeProcess::start(cmd, DEADLINE)
}

fn client(data_dir: &Path, cert: Cert) -> reqwest::Client {
    https_client_builder(&data_dir.join("pki"), Some(cert))
        .build()
        .expect("client")
}

/// The registry as the operator sees it.
async fn platforms(server: &ServeProcess, data_dir: &Path) -> Value {
    let response = client(data_dir, Cert::Operator)
        .get(server.api_url("/v1/admin/platforms"))
        .send()
        .await
        .expect("list platforms");
    expect_json(response, 200).await
}

/// What the demo writes under `DIR/pki/`: the committed files of the same names.
const DEMO_FILES: [&str; 20] = [
    "server-ca.pem",
    "server.pem",
    "server.key",
    "platform-ca.pem",
    "platforms/shanghai.pem",
    "platforms/shanghai.key",
    "platforms/jiangsu.pem",
    "platforms/jiangsu.key",
    "platforms/zhejiang.pem",
    "platforms/zhejiang.key",
    "platforms/operator.pem",
    "platforms/operator.key",
    "platforms/intruder.pem",
    "platforms/intruder.key",
    "platforms/intruder-ca.pem",
    "platforms/expired.pem",
    "platforms/expired.key",
    "bridge-operator.pem",
    "receipts/gateway.pem",
    "receipts/gateway.key",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_demo_run_serves_on_a_fresh_data_dir() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data_dir = tmp.path().join("data");
    // Bounded wait (DEADLINE) for both listening lines; no timing assertion beyond it.
    let server = serve_demo(tmp.path(), &data_dir);
    let listening: Vec<&str> = server
        .stdout_lines()
        .iter()
        .map(String::as_str)
        .filter(|l| l.starts_with("listening "))
        .collect();
    assert_eq!(
        listening,
        vec![
            format!("listening api={}", server.api_url("")),
            format!("listening metrics={}", server.metrics_url("")),
        ]
    );

    // The documented layout, with the committed demo PKI byte for byte.
    let written = snapshot(&data_dir.join("pki"));
    let expected: Vec<&str> = {
        let mut files = DEMO_FILES.to_vec();
        files.sort_unstable();
        files
    };
    let found: Vec<String> = written
        .keys()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    assert_eq!(found, expected);
    for (relative, bytes) in &written {
        let committed = std::fs::read(seeds_pki().join(relative)).expect("committed file");
        assert!(
            *bytes == committed,
            "{} differs from seeds/pki",
            relative.display()
        );
    }
    assert!(data_dir.join("gateway.db").is_file());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for relative in DEMO_FILES.iter().filter(|f| f.ends_with(".key")) {
            let mode = std::fs::metadata(data_dir.join("pki").join(relative))
                .expect("key file")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{relative}");
        }
    }

    for cert in Cert::PLATFORMS {
        let body = expect_json(
            client(&data_dir, cert)
                .get(server.api_url("/v1/whoami"))
                .send()
                .await
                .expect("whoami"),
            200,
        )
        .await;
        assert_eq!(body["platform"], cert.name());
    }
    client(&data_dir, Cert::Intruder)
        .get(server.api_url("/v1/whoami"))
        .send()
        .await
        .expect_err("the intruder is refused in the handshake");
    let ready = expect_json(
        tests::plain_client()
            .get(server.metrics_url("/readyz"))
            .send()
            .await
            .expect("readyz"),
        200,
    )
    .await;
    assert_eq!(
        ready,
        serde_json::json!({"status": "ready", "database": "sqlite"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_demo_run_reuses_the_same_data() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data_dir = tmp.path().join("data");

    let first = serve_demo(tmp.path(), &data_dir);
    let pki_before = snapshot(&data_dir.join("pki"));
    let registry_before = platforms(&first, &data_dir).await;
    let response = client(&data_dir, Cert::Operator)
        .post(first.api_url("/v1/admin/platforms/jiangsu/suspend"))
        .header("x-request-id", "run-1-suspend")
        .send()
        .await
        .expect("suspend");
    expect_json(response, 200).await;
    let registry_suspended = platforms(&first, &data_dir).await;
    first.kill();

    let second = serve_demo(tmp.path(), &data_dir);
    assert!(
        snapshot(&data_dir.join("pki")) == pki_before,
        "the demo PKI was rewritten"
    );
    let registry_after = platforms(&second, &data_dir).await;
    assert_eq!(registry_after, registry_suspended);
    // Only jiangsu's status differs from the first run's original registry.
    let statuses = |registry: &Value| -> Vec<(String, String, String)> {
        registry["platforms"]
            .as_array()
            .expect("platforms")
            .iter()
            .map(|p| {
                (
                    p["id"].as_str().unwrap_or("").to_owned(),
                    p["status"].as_str().unwrap_or("").to_owned(),
                    p["certificate_sha256"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    };
    let before: Vec<_> = statuses(&registry_before);
    let after: Vec<_> = statuses(&registry_after);
    let changed: Vec<_> = before
        .iter()
        .zip(&after)
        .filter(|(b, a)| b != a)
        .map(|(b, a)| (b.0.as_str(), b.1.as_str(), a.1.as_str()))
        .collect();
    assert_eq!(changed, vec![("jiangsu", "active", "suspended")]);
    assert_eq!(before.len(), 4);

    let response = client(&data_dir, Cert::Jiangsu)
        .get(second.api_url("/v1/whoami"))
        .send()
        .await
        .expect("whoami");
    expect_problem(response, 403, "platform-suspended").await;

    // The audit log kept run 1's record, and the second start seeded nothing again.
    let response = client(&data_dir, Cert::Operator)
        .get(second.api_url("/v1/admin/audit?limit=500"))
        .send()
        .await
        .expect("audit");
    let audit = expect_json(response, 200).await;
    let records: Vec<(&str, &str, &str)> = audit["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| {
            (
                r["action"].as_str().unwrap_or(""),
                r["subject"].as_str().unwrap_or(""),
                r["request_id"].as_str().unwrap_or(""),
            )
        })
        .collect();
    let registry_actions: Vec<_> = records
        .iter()
        .copied()
        .filter(|(action, _, _)| action.starts_with("platform."))
        .collect();
    assert_eq!(
        registry_actions,
        vec![
            ("platform.suspend", "platform:jiangsu", "run-1-suspend"),
            ("platform.register", "platform:operator", "startup"),
            ("platform.register", "platform:zhejiang", "startup"),
            ("platform.register", "platform:jiangsu", "startup"),
            ("platform.register", "platform:shanghai", "startup"),
        ]
    );
    let mut distinct = records.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        records.len(),
        "recorded twice: {records:#?}"
    );
}

/// Copies the committed demo server certificate, key and platform CA into `dir/pki`.
fn copy_demo_tls(dir: &Path) {
    std::fs::create_dir_all(dir.join("pki")).expect("mkdir");
    for file in ["server.pem", "server.key", "platform-ca.pem"] {
        std::fs::copy(seeds_pki().join(file), dir.join("pki").join(file)).expect("copy");
    }
}

#[test]
fn demo_keys_are_refused_without_demo() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data_dir = tmp.path().join("data");
    // A copy elsewhere, under the default names: refused by fingerprint, not by path.
    copy_demo_tls(&data_dir);
    let config = tmp.path().join("gateway.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\n[server]\nlisten = \"127.0.0.1:0\"\nmetrics_listen = \"127.0.0.1:0\"\n",
            data_dir.display().to_string()
        ),
    )
    .expect("write config");
    let output = run(gateway(tmp.path(), &["serve", "--config"]).arg(&config));
    assert_eq!(output.code(), Some(2), "{output:?}");
    assert!(
        output
            .stderr
            .contains("`tls.certificate` is a certificate of the committed demo PKI"),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("run with --demo"),
        "{}",
        output.stderr
    );
    assert!(!output.stdout.contains("listening"), "{}", output.stdout);

    // The same files pointed at directly in seeds/pki, with `--data-dir` instead of a config.
    let tls = format!(
        "[tls]\ncertificate = {:?}\nprivate_key = {:?}\nclient_ca = [{:?}]\n",
        seeds_pki().join("server.pem").display().to_string(),
        seeds_pki().join("server.key").display().to_string(),
        seeds_pki().join("platform-ca.pem").display().to_string(),
    );
    std::fs::write(&config, tls).expect("write config");
    std::fs::create_dir(tmp.path().join("other")).expect("mkdir");
    let output = run(gateway(
        tmp.path(),
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "127.0.0.1:0",
            "--config",
        ],
    )
    .arg(&config)
    .arg("--data-dir")
    .arg(tmp.path().join("other")));
    assert_eq!(output.code(), Some(2), "{output:?}");
    assert!(
        output
            .stderr
            .contains("`tls.certificate` is a certificate of the committed demo PKI"),
        "{}",
        output.stderr
    );
}

/// The version diesel reports for a migration folder name (`2026-11-30-000001_x` -> `20261130000001`).
fn migration_version(name: &str) -> String {
    name.split('_')
        .next()
        .unwrap_or(name)
        .chars()
        .filter(char::is_ascii_digit)
        .collect()
}

#[test]
fn migrate_applies_on_a_fresh_sqlite_database_and_then_is_up_to_date() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", tmp.path().join("fresh.db").display());
    let output = run(&mut gateway(
        tmp.path(),
        &["migrate", "--database-url", &url],
    ));
    assert_eq!(output.code(), Some(0), "{output:?}");
    let expected: String = gateway::db::MIGRATION_NAMES_SQLITE
        .iter()
        .map(|name| format!("migrations: applied {}\n", migration_version(name)))
        .collect();
    assert_eq!(output.stdout, expected);
    assert!(tmp.path().join("fresh.db").is_file());

    let output = run(&mut gateway(
        tmp.path(),
        &["migrate", "--database-url", &url],
    ));
    assert_eq!(output.code(), Some(0), "{output:?}");
    assert_eq!(output.stdout, format!("migrations: up to date ({url})\n"));
}

#[test]
fn concurrent_migrations_on_postgres_wait_for_each_other() {
    if tests::postgres_lane_skipped("concurrent_migrations_on_postgres_wait_for_each_other") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let database = tests::PostgresDatabase::create();
    let url = database.url().to_owned();
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let mut cmd = gateway(tmp.path(), &["migrate", "--database-url", &url]);
            std::thread::spawn(move || run(&mut cmd))
        })
        .collect();
    let outputs: Vec<_> = runs
        .into_iter()
        .map(|r| r.join().expect("migrate thread"))
        .collect();
    for output in &outputs {
        assert_eq!(output.code(), Some(0), "{output:?}");
    }
    let mut stdout: Vec<&str> = outputs.iter().map(|o| o.stdout.as_str()).collect();
    stdout.sort_unstable();
    let applied: String = gateway::db::MIGRATION_NAMES_POSTGRES
        .iter()
        .map(|name| format!("migrations: applied {}\n", migration_version(name)))
        .collect();
    let masked = url.parse::<gateway::config::DatabaseUrl>().expect("url");
    let mut expected = vec![
        applied.as_str().to_owned(),
        format!("migrations: up to date ({masked})\n"),
    ];
    expected.sort_unstable();
    assert_eq!(stdout, expected);
}

#[test]
fn mistyped_database_url_exits_2_naming_the_scheme_and_creates_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        tmp.path().join("gateway.toml"),
        "[database]\nurl = \"sqlte://x.db\"\n",
    )
    .expect("write config");
    let commands: Vec<Command> = vec![
        gateway(tmp.path(), &["migrate", "--database-url", "sqlte://x.db"]),
        gateway(
            tmp.path(),
            &[
                "serve",
                "--demo",
                "--data-dir",
                "data",
                "--listen",
                "127.0.0.1:0",
                "--metrics-listen",
                "127.0.0.1:0",
                "--database-url",
                "sqlte://x.db",
            ],
        ),
        gateway(
            tmp.path(),
            &["check-config", "--database-url", "sqlte://x.db"],
        ),
        gateway(tmp.path(), &["migrate", "--config", "gateway.toml"]),
        {
            let mut cmd = gateway(tmp.path(), &["migrate"]);
            cmd.env("GATEWAY_DATABASE_URL", "sqlte://x.db");
            cmd
        },
    ];
    for mut cmd in commands {
        let output = run(&mut cmd);
        assert_eq!(output.code(), Some(2), "{cmd:?}: {output:?}");
        assert!(
            output.stderr.contains("unknown scheme `sqlte://`"),
            "{cmd:?}: {}",
            output.stderr
        );
        assert!(
            output.stderr.contains("database.url"),
            "{cmd:?}: {}",
            output.stderr
        );
    }
    let mut left: Vec<String> = std::fs::read_dir(tmp.path())
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    left.sort_unstable();
    assert_eq!(left, vec!["gateway.toml".to_owned()], "files were created");
}

#[test]
fn unreachable_postgres_exits_1_with_the_libpq_message() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let url = "postgres://127.0.0.1:1/x";
    let commands = [
        gateway(tmp.path(), &["migrate", "--database-url", url]),
        gateway(
            tmp.path(),
            &[
                "serve",
                "--demo",
                "--data-dir",
                "data",
                "--listen",
                "127.0.0.1:0",
                "--metrics-listen",
                "127.0.0.1:0",
                "--database-url",
                url,
            ],
        ),
    ];
    for mut cmd in commands {
        let output = run(&mut cmd);
        assert_eq!(output.code(), Some(1), "{cmd:?}: {output:?}");
        assert!(
            output.stderr.contains(
                "connection to server at \"127.0.0.1\", port 1 failed: Connection refused"
            ),
            "{cmd:?}: {}",
            output.stderr
        );
        assert!(
            !output.stdout.contains("listening"),
            "{cmd:?}: {}",
            output.stdout
        );
    }
}

#[test]
fn check_config_refuses_unknown_keys_naming_them() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cases = [
        (
            "[server]\nlisten_adress = \"127.0.0.1:0\"\n",
            "unknown field `listen_adress`",
        ),
        (
            "[databse]\nurl = \"sqlite://x.db\"\n",
            "unknown field `databse`",
        ),
        ("[rate_limit]\nbrust = 3\n", "unknown field `brust`"),
    ];
    for (text, message) in cases {
        let config = tmp.path().join("gateway.toml");
        std::fs::write(&config, text).expect("write config");
        let output = run(gateway(tmp.path(), &["check-config", "--config"]).arg(&config));
        assert_eq!(output.code(), Some(2), "{text}: {output:?}");
        assert!(output.stderr.contains(message), "{text}: {}", output.stderr);
        assert!(output.stdout.is_empty(), "{text}: {}", output.stdout);
    }
    // A known key passes and is printed back.
    let config = tmp.path().join("gateway.toml");
    std::fs::write(&config, "[rate_limit]\nburst = 3\n").expect("write config");
    let output = run(gateway(tmp.path(), &["check-config", "--config"]).arg(&config));
    assert_eq!(output.code(), Some(0), "{output:?}");
    assert!(
        output.stdout.starts_with("# configuration OK"),
        "{}",
        output.stdout
    );
    assert!(output.stdout.contains("burst = 3"), "{}", output.stdout);
}
