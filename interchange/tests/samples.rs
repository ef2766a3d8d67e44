//! The sample announcements: they parse, round-trip through every dialect, translate
//! deterministically, and the `warn/` and `err/` samples report exactly their golden findings.

mod common;

use std::collections::BTreeSet;
use std::fs;

use common::{check, expectation_of, expectations, policy, samples, tables};
use interchange::{Dialect, NoticeKind, Severity, TradeCategory, parse, render, translate};

const TARGETS: [Dialect; 4] = [
    Dialect::Canonical,
    Dialect::Shanghai,
    Dialect::Jiangsu,
    Dialect::Zhejiang,
];

#[test]
fn every_ok_sample_parses_without_findings() {
    let t = tables();
    for d in Dialect::PROVINCES {
        let files = samples(d, "ok");
        assert!(files.len() >= 12, "{d} has {} ok samples", files.len());
        for f in files {
            let bytes = fs::read(&f).expect("read sample");
            match parse(d, &bytes, &t, &policy()) {
                Ok(p) => assert_eq!(p.warnings, vec![], "{}", f.display()),
                Err(e) => panic!("{}: {:#?}", f.display(), e.0),
            }
        }
    }
}

#[test]
fn ok_samples_cover_every_kind_category_and_county() {
    let t = tables();
    for d in Dialect::PROVINCES {
        let mut kinds = BTreeSet::new();
        let mut cats = BTreeSet::new();
        let mut regions = BTreeSet::new();
        for (i, f) in samples(d, "ok").iter().enumerate() {
            let a = parse(d, &fs::read(f).expect("read"), &t, &policy())
                .expect("valid")
                .announcement;
            if i == 0 {
                assert_eq!(
                    a.kind,
                    NoticeKind::Tender,
                    "{} is not a tender",
                    f.display()
                );
                assert_eq!(a.original, None);
            }
            kinds.insert(a.kind);
            cats.insert(a.category);
            regions.insert(a.region.to_string());
            regions.insert(a.trade_place.to_string());
        }
        assert_eq!(kinds, NoticeKind::ALL.into_iter().collect(), "{d}");
        assert_eq!(cats, TradeCategory::ALL.into_iter().collect(), "{d}");
        for county in ["310118", "320509", "330421"] {
            assert!(regions.contains(county), "{d} lacks {county}");
        }
    }
}

#[test]
fn originals_sort_before_the_notices_that_refer_to_them() {
    let t = tables();
    for d in Dialect::PROVINCES {
        let mut seen = BTreeSet::new();
        for f in samples(d, "ok") {
            let a = parse(d, &fs::read(&f).expect("read"), &t, &policy())
                .expect("valid")
                .announcement;
            if let Some(o) = &a.original {
                assert!(
                    seen.contains(&o.notice_id),
                    "{} refers to a later or missing notice",
                    f.display()
                );
            }
            seen.insert(a.source.notice_id.clone());
        }
    }
}

#[test]
fn round_trip_every_sample_through_every_dialect() {
    let t = tables();
    for a_dialect in Dialect::PROVINCES {
        for f in samples(a_dialect, "ok") {
            let bytes = fs::read(&f).expect("read");
            let original = parse(a_dialect, &bytes, &t, &policy())
                .expect("valid")
                .announcement;
            for b in TARGETS {
                let in_b = render(&original, b, &t)
                    .unwrap_or_else(|e| panic!("{} -> {b}: {:#?}", f.display(), e.0));
                let via_b = parse(b, &in_b, &t, &policy())
                    .unwrap_or_else(|e| {
                        panic!(
                            "{} -> {b} reads back: {:#?}\n{}",
                            f.display(),
                            e.0,
                            String::from_utf8_lossy(&in_b)
                        )
                    })
                    .announcement;
                assert_eq!(via_b, original, "{} -> {b}", f.display());
                let back = render(&via_b, a_dialect, &t).expect("renders back");
                let again = parse(a_dialect, &back, &t, &policy())
                    .expect("valid")
                    .announcement;
                assert_eq!(again, original, "{} -> {b} -> {a_dialect}", f.display());
            }
        }
    }
}

#[test]
fn translation_is_deterministic() {
    let t = tables();
    for a in Dialect::PROVINCES {
        for f in samples(a, "ok") {
            let bytes = fs::read(&f).expect("read");
            for b in Dialect::ALL {
                let one = translate(a, b, &bytes, &t, &policy()).expect("translates");
                let two = translate(a, b, &bytes, &t, &policy()).expect("translates");
                assert_eq!(one.bytes, two.bytes, "{} -> {b}", f.display());
            }
        }
    }
}

#[test]
fn warn_samples_have_warnings_only_and_match_their_expectations() {
    let t = tables();
    for d in Dialect::PROVINCES {
        let files = samples(d, "warn");
        assert!(!files.is_empty(), "{d} has no warn samples");
        for f in files {
            let bytes = fs::read(&f).expect("read");
            let parsed = parse(d, &bytes, &t, &policy())
                .unwrap_or_else(|e| panic!("{} should be valid: {:#?}", f.display(), e.0));
            assert!(
                !parsed.warnings.is_empty(),
                "{} has no warnings",
                f.display()
            );
            assert!(
                parsed
                    .warnings
                    .iter()
                    .all(|w| w.severity == Severity::Warning)
            );
            check(&f, &parsed.warnings);
        }
    }
}

/// Dialects with `err/` samples: the provinces and canonical JSON (which has no `ok/` or `warn/`
/// samples of its own: every province's sample is checked through it by the round trip).
const WITH_ERR_SAMPLES: [Dialect; 4] = [
    Dialect::Shanghai,
    Dialect::Jiangsu,
    Dialect::Zhejiang,
    Dialect::Canonical,
];

#[test]
fn err_samples_fail_with_their_expected_findings() {
    let t = tables();
    for d in WITH_ERR_SAMPLES {
        let files = samples(d, "err");
        assert!(files.len() >= 3, "{d} has {} err samples", files.len());
        for f in files {
            let bytes = fs::read(&f).expect("read");
            let findings = match parse(d, &bytes, &t, &policy()) {
                Ok(_) => panic!("{} should be refused", f.display()),
                Err(e) => e.0,
            };
            assert!(findings.iter().any(|x| x.severity == Severity::Error));
            check(&f, &findings);
        }
    }
}

#[test]
fn no_stale_or_unreferenced_expectations() {
    for d in WITH_ERR_SAMPLES {
        for folder in ["ok", "warn", "err"] {
            let wanted: BTreeSet<_> = if folder == "ok" {
                BTreeSet::new()
            } else {
                samples(d, folder)
                    .iter()
                    .map(|s| expectation_of(s))
                    .collect()
            };
            let present: BTreeSet<_> = expectations(d, folder).into_iter().collect();
            assert_eq!(
                present, wanted,
                "{d}/{folder}: expectation files without a sample, or the reverse"
            );
        }
    }
}

/// Differential test: the samples were written by an independent Python writer
/// (`seeds/announcements/generate.py`); the crate's writer must produce the same documents.
#[test]
fn rust_writer_reproduces_the_independently_written_samples() {
    let t = tables();
    for d in Dialect::PROVINCES {
        for f in samples(d, "ok").into_iter().chain(samples(d, "warn")) {
            let bytes = fs::read(&f).expect("read");
            let Ok(text) = std::str::from_utf8(&bytes) else {
                continue; // the GB18030 sample; the writer always writes UTF-8
            };
            let a = parse(d, &bytes, &t, &policy()).expect("valid").announcement;
            let ours = String::from_utf8(render(&a, d, &t).expect("renders")).expect("UTF-8");
            if d == Dialect::Shanghai {
                assert_eq!(ours, text, "{}", f.display());
            } else {
                let theirs: serde_json::Value = serde_json::from_str(text).expect("JSON");
                let ours: serde_json::Value = serde_json::from_str(&ours).expect("JSON");
                assert_eq!(ours, theirs, "{}", f.display());
            }
        }
    }
}
