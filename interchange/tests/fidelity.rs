//! Fidelity beyond the samples: fields no province has, exact unit conversion, values that cannot
//! be represented, validation policy switches, and the identity helpers storage relies on.

mod common;

use std::fs;
use std::str::FromStr;

use common::{policy, seeds, tables};
use interchange::*;
use rust_decimal::Decimal;
use serde_json::json;

const PROVINCES_AND_CANONICAL: [Dialect; 4] = [
    Dialect::Canonical,
    Dialect::Shanghai,
    Dialect::Jiangsu,
    Dialect::Zhejiang,
];

fn sample(d: Dialect, name: &str) -> Announcement {
    let bytes = fs::read(seeds().join(d.name()).join("ok").join(name)).expect("read");
    parse(d, &bytes, &tables(), &policy())
        .expect("valid")
        .announcement
}

fn canonical(a: &Announcement) -> Announcement {
    let bytes = render(a, Dialect::Canonical, &tables()).expect("renders");
    parse(Dialect::Canonical, &bytes, &tables(), &policy())
        .expect("valid")
        .announcement
}

/// An announcement with values none of the provinces has a native place for.
fn exotic() -> Announcement {
    let mut a = sample(Dialect::Shanghai, "12-other-award-rate.xml");
    let mut v = serde_json::to_value(&a).expect("value");
    v["kind"] = json!("award_result");
    v["category"] = json!("mining");
    v["title"] = json!("示范区物业服务成交结果公告（无关键词）");
    v["extensions"] = json!({"jiangsu.webdate": "2026-04-15 10:00:00", "x.flag": [1, {"a": null}]});
    v["budget"] = json!({"amount": "1234567.891", "currency": "USD", "unit": "ten_thousand_yuan", "form": "other"});
    v["times"]["published"] = json!("2026-04-15T01:00:00.250Z");
    v["awards"][0]["price"] =
        json!({"amount": "0.5", "currency": "CNY", "unit": "percent", "form": "rate"});
    v["tenderer"]["contact"] = json!({"name": "张三"});
    a = serde_json::from_value(v).expect("still an announcement");
    a
}

#[test]
fn fields_without_a_native_place_travel_in_the_extension_area() {
    let t = tables();
    let a = canonical(&exotic());
    for d in PROVINCES_AND_CANONICAL {
        let bytes = render(&a, d, &t).unwrap_or_else(|e| panic!("{d}: {e}"));
        let text = String::from_utf8(bytes.clone()).expect("UTF-8");
        if d != Dialect::Canonical {
            assert!(text.contains("jiangsu.webdate"), "{d}:\n{text}");
            assert!(
                text.contains("/times/published"),
                "{d}: sub-second time is carried"
            );
        }
        let back = parse(d, &bytes, &t, &policy()).unwrap_or_else(|e| panic!("{d}: {:#?}", e.0));
        assert_eq!(back.announcement, a, "{d}");
        for e in PROVINCES_AND_CANONICAL {
            let via = render(&back.announcement, e, &t).expect("renders");
            let again = parse(e, &via, &t, &policy()).expect("valid").announcement;
            assert_eq!(again, a, "{d} -> {e}");
        }
    }
}

#[test]
fn a_native_document_carries_at_most_unit_hints_in_the_extension_area() {
    let t = tables();
    for (d, name) in [
        (Dialect::Shanghai, "01-construction-tender.xml"),
        (Dialect::Jiangsu, "01-construction-tender.json"),
        (Dialect::Zhejiang, "01-construction-tender.json"),
    ] {
        let a = sample(d, name);
        for target in Dialect::PROVINCES {
            let out = String::from_utf8(render(&a, target, &t).expect("renders")).expect("UTF-8");
            if d == target {
                assert!(
                    !out.contains("<extension>")
                        && !out.contains("\"ext\"")
                        && !out.contains("EXTENSION"),
                    "{d}:\n{out}"
                );
            }
            // Only the unit the source stated an amount in travels (the amount itself is native).
            let ext_lines: Vec<&str> = out
                .lines()
                .filter(|l| l.trim_start().starts_with("\"/") || l.contains("<field "))
                .collect();
            for l in &ext_lines {
                assert!(l.contains("/unit"), "{d} -> {target}: {l}");
            }
        }
    }
}

#[test]
fn unit_conversion_is_exact() {
    let t = tables();
    let mut a = sample(Dialect::Shanghai, "01-construction-tender.xml");
    a.budget = Some(Money {
        amount: Decimal::from_str("1234567.89").expect("decimal"),
        currency: Currency::default(),
        unit: MoneyUnit::Yuan,
        form: PriceForm::Amount,
    });
    let js: serde_json::Value =
        serde_json::from_slice(&render(&a, Dialect::Jiangsu, &t).expect("renders")).expect("JSON");
    assert_eq!(js["ysje"], json!("123.456789"));
    assert_eq!(js["bdlist"][0]["bdys"], json!("1268.00005"));
    let zj = sample(Dialect::Zhejiang, "05-construction-candidates.json");
    let xml =
        String::from_utf8(render(&zj, Dialect::Shanghai, &t).expect("renders")).expect("UTF-8");
    assert!(xml.contains("bidPrice=\"12286400.8\""), "{xml}");
}

#[test]
fn values_that_cannot_be_represented_fail_precisely() {
    let t = tables();
    let base = sample(Dialect::Shanghai, "01-construction-tender.xml");

    let mut a = base.clone();
    a.budget = Some(Money {
        amount: Decimal::from_str("0.0000000000000000000000001").expect("decimal"),
        currency: Currency::default(),
        unit: MoneyUnit::Yuan,
        form: PriceForm::Amount,
    });
    let e = render(&a, Dialect::Jiangsu, &t).expect_err("inexact");
    assert_eq!(
        e.0.iter()
            .map(|f| (f.code.as_str(), f.path.as_str()))
            .collect::<Vec<_>>(),
        vec![("translate.unit_inexact", "/budget")]
    );
    assert!(render(&a, Dialect::Shanghai, &t).is_ok());

    assert_eq!(
        check_translatable(&a, &t).map_err(|e| e.0.iter().map(|f| f.message_en.clone()).collect::<Vec<_>>()),
        Err(vec!["[jiangsu] 0.0000000000000000000000001 Yuan cannot be stated exactly in TenThousandYuan".to_owned()])
    );
    assert_eq!(check_translatable(&base, &t), Ok(()));

    let mut a = base.clone();
    a.title = "标题\u{1}".to_owned();
    let e = render(&a, Dialect::Shanghai, &t).expect_err("not XML");
    assert_eq!(
        e.0.iter()
            .map(|f| (f.code.as_str(), f.path.as_str()))
            .collect::<Vec<_>>(),
        vec![("translate.xml_char", "/title")]
    );
    assert!(render(&a, Dialect::Jiangsu, &t).is_ok());

    let mut a = base.clone();
    a.unified_deal_codes = vec!["A;B".to_owned()];
    let e = render(&a, Dialect::Zhejiang, &t).expect_err("separator");
    assert_eq!(
        e.0.iter()
            .map(|f| (f.code.as_str(), f.path.as_str()))
            .collect::<Vec<_>>(),
        vec![("translate.separator_in_value", "/unified_deal_codes")]
    );

    let mut a = base;
    a.times.bid_opening = Some(time::macros::datetime!(0999-01-01 0:00 +8));
    for d in Dialect::PROVINCES {
        let e = render(&a, d, &t).expect_err("year");
        assert_eq!(
            e.0.iter()
                .map(|f| (f.code.as_str(), f.path.as_str()))
                .collect::<Vec<_>>(),
            vec![("translate.time_out_of_range", "/times/bid_opening")],
            "{d}"
        );
    }
}

#[test]
fn translate_reports_source_warnings_and_target_bytes() {
    let t = tables();
    let bytes = fs::read(seeds().join("jiangsu/warn/short-period-pilot-code.json")).expect("read");
    let out = translate(Dialect::Jiangsu, Dialect::Shanghai, &bytes, &t, &policy())
        .expect("warnings only");
    assert_eq!(
        out.warnings
            .iter()
            .map(|w| w.code.as_str())
            .collect::<Vec<_>>(),
        vec!["credit_code.check_digit", "tender.min_bidding_period"]
    );
    assert!(
        out.bytes
            .starts_with(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<tenderBulletin>")
    );
}

#[test]
fn policy_switches() {
    let t = tables();
    let bytes = fs::read(seeds().join("zhejiang/warn/short-period-pilot-code.json")).expect("read");
    let strict = ValidationPolicy {
        credit_check_digit: Severity::Error,
        ..ValidationPolicy::default()
    };
    let e = parse(Dialect::Zhejiang, &bytes, &t, &strict).expect_err("strict");
    assert_eq!(
        e.0.iter()
            .map(|f| (f.code.as_str(), f.severity))
            .collect::<Vec<_>>(),
        vec![
            ("credit_code.check_digit", Severity::Error),
            ("tender.min_bidding_period", Severity::Warning)
        ]
    );
    let off = ValidationPolicy {
        min_bidding_period: None,
        ..ValidationPolicy::default()
    };
    let ok = parse(Dialect::Zhejiang, &bytes, &t, &off).expect("valid");
    assert_eq!(
        ok.warnings
            .iter()
            .map(|f| f.code.as_str())
            .collect::<Vec<_>>(),
        vec!["credit_code.check_digit"]
    );
    let longer = ValidationPolicy {
        min_bidding_days: 10,
        ..ValidationPolicy::default()
    };
    let ok = parse(Dialect::Zhejiang, &bytes, &t, &longer).expect("valid");
    assert_eq!(ok.warnings.len(), 1);
}

#[test]
fn region_validity_follows_the_notice_time() {
    let t = tables();
    let mut a = sample(Dialect::Jiangsu, "01-construction-tender.json");
    a.region = RegionCode::parse("320584").expect("code");
    a.trade_place = a.region;
    let errs: Vec<String> = check(&a, &t, &policy())
        .into_iter()
        .map(|f| format!("{} {}", f.code, f.path))
        .collect();
    assert_eq!(
        errs,
        vec![
            "region.not_valid_at /region",
            "region.not_valid_at /trade_place"
        ]
    );
    // The same code on a notice published in 2011 is valid; the district code is not yet.
    let shift = time::Duration::days(365 * 15);
    a.times.published -= shift;
    for x in [
        &mut a.times.documents_from,
        &mut a.times.documents_until,
        &mut a.times.bid_deadline,
        &mut a.times.bid_opening,
    ] {
        *x = x.map(|v| v - shift);
    }
    assert_eq!(check(&a, &t, &policy()), vec![]);
    a.trade_place = RegionCode::parse("320509").expect("code");
    let errs: Vec<String> = check(&a, &t, &policy())
        .into_iter()
        .map(|f| format!("{} {}", f.code, f.path))
        .collect();
    assert_eq!(errs, vec!["region.not_valid_at /trade_place"]);
}

#[test]
fn identity_versions_and_tender_links() {
    let tender = sample(Dialect::Zhejiang, "01-construction-tender.json");
    let correction = sample(Dialect::Zhejiang, "02-construction-correction.json");
    let extension = sample(Dialect::Zhejiang, "04-construction-extension.json");
    let candidates = sample(Dialect::Zhejiang, "05-construction-candidates.json");
    let award = sample(Dialect::Zhejiang, "06-construction-award.json");
    let termination = sample(Dialect::Zhejiang, "08-procurement-termination.json");
    let id = |n: &str| NoticeId {
        platform: PlatformId::parse("zhejiang").expect("id"),
        notice_id: n.to_owned(),
    };

    assert_eq!(tender.identity(), id("ZH-2026-0101"));
    assert_eq!(tender.versioning(), Versioning::NewNotice);
    assert_eq!(tender.tender_link(), None);
    assert_eq!(correction.identity(), id("ZH-2026-0101"));
    assert_eq!(correction.document_id(), id("ZH-2026-0102"));
    assert_eq!(
        correction.versioning(),
        Versioning::NewVersion {
            of: id("ZH-2026-0101"),
            change: NoticeKind::Correction
        }
    );
    assert_eq!(
        extension.versioning(),
        Versioning::NewVersion {
            of: id("ZH-2026-0101"),
            change: NoticeKind::Extension
        }
    );
    assert_eq!(
        termination.versioning(),
        Versioning::NewVersion {
            of: id("ZH-2026-0107"),
            change: NoticeKind::Termination
        }
    );
    assert_eq!(candidates.identity(), id("ZH-2026-0105"));
    assert_eq!(candidates.versioning(), Versioning::NewNotice);
    let link = TenderLink {
        project_code: "E3304212026000000001".to_owned(),
        section_codes: vec![
            "E3304212026000000001001".to_owned(),
            "E3304212026000000001002".to_owned(),
        ],
    };
    assert_eq!(candidates.tender_link(), Some(link.clone()));
    assert_eq!(award.tender_link(), Some(link));
    assert_eq!(tender.ocid(), "ocds-yrd001-E3304212026000000001");
    assert_eq!(award.ocid(), tender.ocid());
}

#[test]
fn dialect_names_content_types_and_schemas() {
    let names: Vec<&str> = Dialect::ALL.iter().map(|d| d.name()).collect();
    assert_eq!(
        names,
        vec!["canonical", "shanghai", "jiangsu", "zhejiang", "ocds"]
    );
    for d in Dialect::ALL {
        assert_eq!(Dialect::from_str(d.name()), Ok(d));
        let on_disk = fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../schemas")
                .join(d.schema_path()),
        )
        .expect("schema file");
        assert_eq!(on_disk, d.schema(), "{d}");
    }
    assert_eq!(
        Dialect::from_str("anhui"),
        Err(UnknownDialect("anhui".to_owned()))
    );
    assert_eq!(Dialect::Shanghai.content_type(), "application/xml");
    assert_eq!(Dialect::Jiangsu.content_type(), "application/json");
    assert!(!Dialect::Ocds.is_input());
}
