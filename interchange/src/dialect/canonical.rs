//! The canonical model as a JSON dialect.
//!
//! Reading walks the JSON value along the model (the structure of
//! `schemas/canonical/announcement.schema.json`) with the JSON dialects' helpers, so every structural
//! problem is reported at once with its JSON pointer and the same rule ids as Jiangsu and Zhejiang:
//! `schema.required`, `schema.type`, `schema.format`, `schema.unknown_field`, `schema.code_unknown`
//! (a name outside an enum) and `credit_code.format`. Unlike the provinces' formats, an empty string is
//! a value, not an absent field; `null` counts as absent. Times must be RFC 3339 at +08:00 and amounts
//! decimal strings. Writing is the model's serde form.

use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::json_read::{Cx, Obj, document};
use super::{Native, SourceMap};
use crate::codes::{CreditCode, PlatformId, ProjectType, RegionCode};
use crate::finding::{Finding, Sink};
use crate::model::*;
use crate::policy::ValidationPolicy;

/// The names of [`MoneyUnit`], [`PriceForm`] and [`TerminationKind`] in canonical JSON (for messages;
/// what is accepted is what the model's serde accepts).
const UNITS: [&str; 3] = ["yuan", "ten_thousand_yuan", "percent"];
const FORMS: [&str; 4] = ["amount", "rate", "unit_price", "other"];
const TERMINATION_KINDS: [&str; 4] = ["failed_tender", "opening_terminated", "withdrawn", "other"];

/// What a value should have been, in English and in Chinese (for `schema.type` and `schema.format`).
type Expected = (&'static str, &'static str);
const STRING: Expected = ("a string", "字符串");
const OBJECT: Expected = ("an object", "对象");
const ARRAY: Expected = ("an array", "数组");
const WHOLE_NUMBER: Expected = ("a whole number", "整数");
const RANK: Expected = (
    "a whole number from 0 to 4294967295",
    "0 至 4294967295 之间的整数",
);
const PLATFORM: Expected = (
    "a platform id (1 to 32 characters of a-z, 0-9 and -)",
    "平台标识（1 至 32 位小写字母、数字或 -）",
);
const PROJECT_TYPE: Expected = ("a project type such as A01", "工程项目类型代码，如 A01");
const REGION: Expected = ("a six-digit region code", "六位行政区划代码");
const TIME: Expected = (
    "an RFC 3339 time at +08:00 such as 2026-03-02T09:00:00+08:00",
    "带 +08:00 时区的 RFC 3339 时间，如 2026-03-02T09:00:00+08:00",
);
const DECIMAL: Expected = ("a decimal number", "十进制数");
const DECIMAL_STRING: Expected = (
    "a decimal string such as \"1234.50\" (numbers lose precision)",
    "十进制数字符串，如 \"1234.50\"（JSON 数字会损失精度）",
);
const CURRENCY: Expected = ("an ISO 4217 code such as CNY", "ISO 4217 币种代码，如 CNY");

pub(crate) fn read(bytes: &[u8], policy: &ValidationPolicy, sink: &mut Sink) -> Option<Native> {
    let doc = document(bytes, policy, sink)?;
    let root = Obj::new(doc.as_object()?, String::new());
    let mut cx = Cx::default();
    let announcement = announcement(&root, &mut cx);
    sink.findings.append(&mut cx.sink.findings);
    Some(Native {
        announcement: announcement?,
        map: SourceMap::identity(),
        patches: Map::new(),
        patches_path: String::new(),
    })
}

/// Reads every field (reporting every problem) and builds the announcement when nothing it needs is
/// missing or invalid. An array with an unreadable item is not built at all, so that the canonical
/// rules never report an index that differs from the document's.
fn announcement(o: &Obj<'_>, cx: &mut Cx) -> Option<Announcement> {
    let kind = choice(o, cx, "kind", &NoticeKind::ALL.map(NoticeKind::as_str));
    let category = choice(
        o,
        cx,
        "category",
        &TradeCategory::ALL.map(TradeCategory::as_str),
    );
    let source = nested(o, cx, "source", true, |o, cx| {
        let platform = parsed(o, cx, "platform", true, PLATFORM, |s| {
            PlatformId::parse(s).ok()
        });
        let notice_id = id(o, cx, "notice_id");
        let url = string(o, cx, "url", false);
        Some(Provenance {
            platform: platform?,
            notice_id: notice_id?,
            url,
        })
    });
    let notice_number = string(o, cx, "notice_number", false);
    let original = nested(o, cx, "original", false, |o, cx| {
        let notice_id = id(o, cx, "notice_id");
        let notice_number = string(o, cx, "notice_number", false);
        Some(OriginalRef {
            notice_id: notice_id?,
            notice_number,
        })
    });
    let title = string(o, cx, "title", true);
    let body_html = string(o, cx, "body_html", true);
    let project = nested(o, cx, "project", true, |o, cx| {
        let code = string(o, cx, "code", true);
        let name = string(o, cx, "name", true);
        let project_type = parsed(o, cx, "project_type", false, PROJECT_TYPE, |s| {
            ProjectType::parse(s).ok()
        });
        Some(Project {
            code: code?,
            name: name?,
            project_type,
        })
    });
    let sections = list(o, cx, "sections", |o, cx| {
        let code = string(o, cx, "code", true);
        let name = string(o, cx, "name", true);
        let budget = nested(o, cx, "budget", false, money);
        Some(Section {
            code: code?,
            name: name?,
            budget,
        })
    });
    let unified_deal_codes = strings(o, cx, "unified_deal_codes");
    let tenderer = nested(o, cx, "tenderer", true, party);
    let agency = nested(o, cx, "agency", false, party);
    let operators = nested(o, cx, "operators", true, |o, cx| {
        let platform_code = credit_code(o, cx, "platform_code", true);
        let service_platform_code = credit_code(o, cx, "service_platform_code", false);
        Some(Operators {
            platform_code: platform_code?,
            service_platform_code,
        })
    });
    let region = region_code(o, cx, "region");
    let trade_place = region_code(o, cx, "trade_place");
    let times = nested(o, cx, "times", true, |o, cx| {
        let published = time(o, cx, "published", true);
        let mut opt = |key| time(o, cx, key, false);
        let (documents_from, documents_until) = (opt("documents_from"), opt("documents_until"));
        let (bid_deadline, bid_opening) = (opt("bid_deadline"), opt("bid_opening"));
        let (publicity_start, publicity_end) = (opt("publicity_start"), opt("publicity_end"));
        Some(Times {
            published: published?,
            documents_from,
            documents_until,
            bid_deadline,
            bid_opening,
            publicity_start,
            publicity_end,
        })
    });
    let budget = nested(o, cx, "budget", false, money);
    let changes = list(o, cx, "changes", |o, cx| {
        let item = string(o, cx, "item", true);
        let before = string(o, cx, "before", false);
        let after = string(o, cx, "after", true);
        Some(Change {
            item: item?,
            before,
            after: after?,
        })
    });
    let candidates = list(o, cx, "candidates", |o, cx| {
        let section_code = string(o, cx, "section_code", true);
        let rank = rank(o, cx, "rank");
        let bidder = nested(o, cx, "bidder", true, bidder);
        let bid_price = nested(o, cx, "bid_price", true, money);
        let evaluated_price = nested(o, cx, "evaluated_price", false, money);
        Some(Candidate {
            section_code: section_code?,
            rank: rank?,
            bidder: bidder?,
            bid_price: bid_price?,
            evaluated_price,
        })
    });
    let awards = list(o, cx, "awards", |o, cx| {
        let section_code = string(o, cx, "section_code", true);
        let winner = nested(o, cx, "winner", true, bidder);
        let price = nested(o, cx, "price", true, money);
        let consortium_members = list(o, cx, "consortium_members", bidder);
        Some(Award {
            section_code: section_code?,
            winner: winner?,
            price: price?,
            consortium_members: consortium_members?,
        })
    });
    let termination = nested(o, cx, "termination", false, |o, cx| {
        let kind = choice(o, cx, "kind", &TERMINATION_KINDS);
        let reason = string(o, cx, "reason", true);
        let approved_at = time(o, cx, "approved_at", false);
        Some(Termination {
            kind: kind?,
            reason: reason?,
            approved_at,
        })
    });
    let attachments = list(o, cx, "attachments", |o, cx| {
        let name = string(o, cx, "name", true);
        let url = string(o, cx, "url", true);
        let sha256 = string(o, cx, "sha256", false);
        Some(Attachment {
            name: name?,
            url: url?,
            sha256,
        })
    });
    let extensions = match o.raw("extensions") {
        None => Default::default(),
        Some(Value::Object(m)) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        Some(_) => {
            cx.wrong_type_in(&o.ptr("extensions"), OBJECT);
            Default::default()
        }
    };
    o.finish(cx);
    Some(Announcement {
        kind: kind?,
        category: category?,
        source: source?,
        notice_number,
        original,
        title: title?,
        body_html: body_html?,
        project: project?,
        sections: sections?,
        unified_deal_codes: unified_deal_codes?,
        tenderer: tenderer?,
        agency,
        operators: operators?,
        region: region?,
        trade_place: trade_place?,
        times: times?,
        budget,
        changes: changes?,
        candidates: candidates?,
        awards: awards?,
        termination,
        attachments: attachments?,
        extensions,
    })
}

fn party(o: &Obj<'_>, cx: &mut Cx) -> Option<Party> {
    let name = string(o, cx, "name", true);
    let credit_code = credit_code(o, cx, "credit_code", false);
    let address = string(o, cx, "address", false);
    let contact = nested(o, cx, "contact", false, |o, cx| {
        let name = string(o, cx, "name", true);
        let phone = string(o, cx, "phone", false);
        let email = string(o, cx, "email", false);
        Some(Contact {
            name: name?,
            phone,
            email,
        })
    });
    Some(Party {
        name: name?,
        credit_code,
        address,
        contact,
    })
}

fn bidder(o: &Obj<'_>, cx: &mut Cx) -> Option<Bidder> {
    let name = string(o, cx, "name", true);
    let credit_code = credit_code(o, cx, "credit_code", false);
    Some(Bidder {
        name: name?,
        credit_code,
    })
}

fn money(o: &Obj<'_>, cx: &mut Cx) -> Option<Money> {
    let amount = decimal(o, cx, "amount");
    let currency = match string(o, cx, "currency", false) {
        None => Some(Currency::default()),
        Some(s) => Currency::try_from(s.clone())
            .map_err(|_| cx.format_in(&o.ptr("currency"), &s, CURRENCY))
            .ok(),
    };
    let unit = choice(o, cx, "unit", &UNITS);
    let form = choice(o, cx, "form", &FORMS);
    Some(Money {
        amount: amount?,
        currency: currency?,
        unit: unit?,
        form: form?,
    })
}

/// A string (an empty one included); `null` counts as absent.
fn string(o: &Obj<'_>, cx: &mut Cx, key: &str, required: bool) -> Option<String> {
    match o.raw(key) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            cx.wrong_type_in(&o.ptr(key), STRING);
            None
        }
        None => {
            if required {
                cx.required(&o.ptr(key));
            }
            None
        }
    }
}

/// A string that `f` turns into a value; `expected` describes the format for the finding.
fn parsed<T>(
    o: &Obj<'_>,
    cx: &mut Cx,
    key: &str,
    required: bool,
    expected: Expected,
    f: impl FnOnce(&str) -> Option<T>,
) -> Option<T> {
    let s = string(o, cx, key, required)?;
    let v = f(&s);
    if v.is_none() {
        cx.format_in(&o.ptr(key), &s, expected);
    }
    v
}

/// A required, non-empty id.
fn id(o: &Obj<'_>, cx: &mut Cx, key: &str) -> Option<String> {
    let s = string(o, cx, key, true)?;
    if s.is_empty() {
        cx.required(&o.ptr(key));
        return None;
    }
    Some(s)
}

/// A required enum name, read by the model's own serde.
fn choice<T: DeserializeOwned>(o: &Obj<'_>, cx: &mut Cx, key: &str, names: &[&str]) -> Option<T> {
    let s = string(o, cx, key, true)?;
    let v = serde_json::from_value(Value::String(s.clone())).ok();
    if v.is_none() {
        cx.sink.push(Finding::error(
            "schema.code_unknown",
            o.ptr(key),
            format!("`{s}` is not one of {}", names.join(", ")),
            format!("`{s}` 不是允许的取值（{}）", names.join("、")),
        ));
    }
    v
}

fn credit_code(o: &Obj<'_>, cx: &mut Cx, key: &str, required: bool) -> Option<CreditCode> {
    let s = string(o, cx, key, required)?;
    CreditCode::parse(&s)
        .map_err(|e| cx.bad_credit_code(&o.ptr(key), &s, &e))
        .ok()
}

fn region_code(o: &Obj<'_>, cx: &mut Cx, key: &str) -> Option<RegionCode> {
    parsed(o, cx, key, true, REGION, |s| RegionCode::parse(s).ok())
}

/// An RFC 3339 time at +08:00 (the only offset canonical JSON is written with).
fn time(o: &Obj<'_>, cx: &mut Cx, key: &str, required: bool) -> Option<OffsetDateTime> {
    parsed(o, cx, key, required, TIME, |s| {
        OffsetDateTime::parse(s, &Rfc3339)
            .ok()
            .filter(|t| t.offset() == CST)
    })
}

/// A required amount, written as a decimal string.
fn decimal(o: &Obj<'_>, cx: &mut Cx, key: &str) -> Option<Decimal> {
    if let Some(Value::Number(n)) = o.raw(key) {
        cx.format_in(&o.ptr(key), &n.to_string(), DECIMAL_STRING);
        return None;
    }
    parsed(o, cx, key, true, DECIMAL, |s| parse_decimal(s).ok())
}

/// A required rank: a whole JSON number.
fn rank(o: &Obj<'_>, cx: &mut Cx, key: &str) -> Option<u32> {
    match o.raw(key) {
        Some(Value::Number(n)) => {
            let r = n.as_u64().and_then(|v| u32::try_from(v).ok());
            if r.is_none() {
                cx.format_in(&o.ptr(key), &n.to_string(), RANK);
            }
            r
        }
        Some(_) => {
            cx.wrong_type_in(&o.ptr(key), WHOLE_NUMBER);
            None
        }
        None => {
            cx.required(&o.ptr(key));
            None
        }
    }
}

/// A nested object read by `read`, its unknown keys reported; `None` if absent or unreadable.
fn nested<'a, T>(
    o: &Obj<'a>,
    cx: &mut Cx,
    key: &str,
    required: bool,
    read: impl FnOnce(&Obj<'a>, &mut Cx) -> Option<T>,
) -> Option<T> {
    let inner = match o.raw(key) {
        Some(Value::Object(m)) => Obj::new(m, o.ptr(key)),
        Some(_) => {
            cx.wrong_type_in(&o.ptr(key), OBJECT);
            return None;
        }
        None => {
            if required {
                cx.required(&o.ptr(key));
            }
            return None;
        }
    };
    let v = read(&inner, cx);
    inner.finish(cx);
    v
}

/// An optional array of objects, each read by `read`; `None` if some item could not be read.
fn list<'a, T>(
    o: &Obj<'a>,
    cx: &mut Cx,
    key: &str,
    mut read: impl FnMut(&Obj<'a>, &mut Cx) -> Option<T>,
) -> Option<Vec<T>> {
    let items = match o.raw(key) {
        None => return Some(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            cx.wrong_type_in(&o.ptr(key), ARRAY);
            return None;
        }
    };
    let mut out = Some(Vec::with_capacity(items.len()));
    for (i, item) in items.iter().enumerate() {
        let path = format!("{}/{i}", o.ptr(key));
        let v = match item {
            Value::Object(m) => {
                let inner = Obj::new(m, path);
                let v = read(&inner, cx);
                inner.finish(cx);
                v
            }
            _ => {
                cx.wrong_type_in(&path, OBJECT);
                None
            }
        };
        match (v, &mut out) {
            (Some(v), Some(out)) => out.push(v),
            _ => out = None,
        }
    }
    out
}

/// An optional array of strings; `None` if some item is not a string.
fn strings(o: &Obj<'_>, cx: &mut Cx, key: &str) -> Option<Vec<String>> {
    let items = match o.raw(key) {
        None => return Some(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            cx.wrong_type_in(&o.ptr(key), ARRAY);
            return None;
        }
    };
    let mut out = Some(Vec::with_capacity(items.len()));
    for (i, item) in items.iter().enumerate() {
        match (item, &mut out) {
            (Value::String(s), Some(out)) => out.push(s.clone()),
            (Value::String(_), None) => {}
            _ => {
                cx.wrong_type_in(&format!("{}/{i}", o.ptr(key)), STRING);
                out = None;
            }
        }
    }
    out
}

pub(crate) fn write(ann: &Announcement) -> Result<Vec<u8>, Vec<Finding>> {
    let v = serde_json::to_value(ann).map_err(|e| {
        vec![Finding::error(
            "internal.serialize",
            "",
            e.to_string(),
            format!("序列化失败：{e}"),
        )]
    })?;
    super::shared::json_bytes(&v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names<T: serde::Serialize>(all: &[T]) -> Vec<String> {
        all.iter()
            .map(|v| match serde_json::to_value(v) {
                Ok(Value::String(s)) => s,
                other => panic!("{other:?}"),
            })
            .collect()
    }

    fn read_back(ann: &Announcement) -> Result<Announcement, Vec<Finding>> {
        let bytes = write(ann).expect("writes");
        let mut sink = Sink::default();
        let native = read(&bytes, &ValidationPolicy::default(), &mut sink);
        match native {
            Some(n) if sink.findings.is_empty() => Ok(n.announcement),
            _ => Err(sink.findings),
        }
    }

    fn sample() -> Announcement {
        let tables = crate::Tables::builtin().expect("tables");
        let bytes =
            include_bytes!("../../../seeds/announcements/jiangsu/ok/06-construction-award.json");
        crate::parse(
            crate::Dialect::Jiangsu,
            bytes,
            &tables,
            &ValidationPolicy::default(),
        )
        .expect("valid")
        .announcement
    }

    #[test]
    fn empty_strings_are_values_and_read_back_losslessly() {
        let mut a = sample();
        a.title = String::new();
        a.notice_number = Some(String::new());
        a.tenderer.address = Some(String::new());
        a.extensions
            .insert("x.y".into(), serde_json::json!([null, {"": ""}]));
        assert_eq!(read_back(&a), Ok(a));
    }

    #[test]
    fn null_is_absent_and_every_problem_is_reported() {
        let mut v = serde_json::to_value(sample()).expect("value");
        v["notice_number"] = Value::Null;
        v["awards"][0]["price"]["currency"] = Value::Null;
        let bytes = serde_json::to_vec(&v).expect("bytes");
        let mut sink = Sink::default();
        let a = read(&bytes, &ValidationPolicy::default(), &mut sink).expect("builds");
        assert_eq!(sink.findings, vec![]);
        assert_eq!(a.announcement.notice_number, None);
        assert_eq!(a.announcement.awards[0].price.currency, Currency::default());

        v["times"]["published"] = "2026-04-10T01:00:00Z".into();
        v["awards"][1]["price"]["unit"] = "wan".into();
        v["awards"][1]["winner"]["extra"] = true.into();
        let bytes = serde_json::to_vec(&v).expect("bytes");
        let mut sink = Sink::default();
        assert!(read(&bytes, &ValidationPolicy::default(), &mut sink).is_none());
        let got: Vec<_> = sink
            .findings
            .iter()
            .map(|f| (f.code.as_str(), f.path.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("schema.format", "/times/published"),
                ("schema.unknown_field", "/awards/1/winner/extra"),
                ("schema.code_unknown", "/awards/1/price/unit"),
            ]
        );
    }

    #[test]
    fn the_listed_names_are_the_models() {
        use MoneyUnit as U;
        use PriceForm as F;
        use TerminationKind as K;
        assert_eq!(names(&[U::Yuan, U::TenThousandYuan, U::Percent]), UNITS);
        assert_eq!(names(&[F::Amount, F::Rate, F::UnitPrice, F::Other]), FORMS);
        let kinds = [
            K::FailedTender,
            K::OpeningTerminated,
            K::Withdrawn,
            K::Other,
        ];
        assert_eq!(names(&kinds), TERMINATION_KINDS);
    }
}
