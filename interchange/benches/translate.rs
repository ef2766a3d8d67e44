//! Translation throughput per dialect pair, against plain `serde_json` / `quick-xml` parse +
//! serialise of the same documents, measured in the same run; prints the ratio
//! (translation time / plain parse + serialise time) for each pair.
//!
//! `cargo bench -p interchange --bench translate`

#![allow(missing_docs)]

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use interchange::{Dialect, Tables, ValidationPolicy, translate};
use quick_xml::Writer;
use quick_xml::events::Event;

fn docs(d: Dialect) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../seeds/announcements")
        .join(d.name())
        .join("ok");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("samples")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| std::fs::read(p).expect("read"))
        .collect()
}

/// The plain baseline: parse the document with the generic library and write it back.
fn plain(d: Dialect, doc: &[u8]) -> usize {
    if d == Dialect::Shanghai {
        // GB18030 samples are decoded first, as the translator must.
        let text = match std::str::from_utf8(doc) {
            Ok(t) => std::borrow::Cow::Borrowed(t),
            Err(_) => encoding_rs::GB18030.decode(doc).0,
        };
        let mut reader = quick_xml::Reader::from_str(&text);
        let mut writer = Writer::new(Vec::with_capacity(doc.len()));
        loop {
            match reader.read_event().expect("well-formed") {
                Event::Eof => break,
                e => writer.write_event(e).expect("write"),
            }
        }
        writer.into_inner().len()
    } else {
        let v: serde_json::Value = serde_json::from_slice(doc).expect("JSON");
        serde_json::to_vec(&v).expect("serialise").len()
    }
}

#[expect(
    clippy::disallowed_methods,
    reason = "a benchmark measures time; the library never does"
)]
fn mean(mut f: impl FnMut(), budget: Duration) -> f64 {
    for _ in 0..20 {
        f();
    }
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed() < budget {
        f();
        n += 1;
    }
    start.elapsed().as_nanos() as f64 / f64::from(n)
}

fn pairs(c: &mut Criterion) {
    let tables = Tables::builtin().expect("tables");
    let policy = ValidationPolicy::default();
    let mut ratios = Vec::new();
    for from in Dialect::PROVINCES {
        let input = docs(from);
        for to in [
            Dialect::Shanghai,
            Dialect::Jiangsu,
            Dialect::Zhejiang,
            Dialect::Canonical,
            Dialect::Ocds,
        ] {
            if to == from {
                continue;
            }
            let run_translate = || {
                for d in &input {
                    black_box(
                        translate(from, to, black_box(d), &tables, &policy).expect("translates"),
                    );
                }
            };
            let run_plain = || {
                for d in &input {
                    black_box(plain(from, black_box(d)));
                }
            };
            let mut g = c.benchmark_group(format!("{from}->{to}"));
            g.bench_function("translate", |b| b.iter(run_translate));
            g.bench_function(
                format!(
                    "plain {}",
                    if from == Dialect::Shanghai {
                        "quick-xml"
                    } else {
                        "serde_json"
                    }
                ),
                |b| b.iter(run_plain),
            );
            g.finish();
            let t = mean(run_translate, Duration::from_millis(700));
            let p = mean(run_plain, Duration::from_millis(700));
            ratios.push((from, to, input.len(), t, p));
        }
    }
    println!("\ndialect pair          docs  translate/doc   plain/doc   ratio");
    for (from, to, n, t, p) in ratios {
        let n = n as f64;
        println!(
            "{:<21} {:>4} {:>11.1} µs {:>9.1} µs {:>7.1}",
            format!("{from} -> {to}"),
            n,
            t / n / 1000.0,
            p / n / 1000.0,
            t / p
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(2)).warm_up_time(Duration::from_millis(500));
    targets = pairs
}
criterion_main!(benches);
