//! Jiangsu: the vendor's full-text-search JSON with lowercase keys, times `yyyy-MM-dd HH:mm:ss`,
//! amounts in 万元 (as decimal strings), categories from Jiangsu's `003xxxyyy` tree.

use serde_json::{Map, Value, json};

use super::Native;
use super::json_read::{Cx, Obj, document};
use super::shared::{Out, Parts, finish, fixed_unit, json_bytes, no_code};
use super::text::TimeFormat;
use crate::codes::PlatformId;
use crate::finding::{Finding, Sink};
use crate::model::*;
use crate::policy::ValidationPolicy;
use crate::tables::Tables;

const NAME: &str = "jiangsu";
const TF: TimeFormat = TimeFormat::SpaceLocal;

fn money(
    o: &Obj<'_>,
    cx: &mut Cx,
    key: &str,
    canon: &str,
    (form, currency_unit): (PriceForm, MoneyUnit),
    required: bool,
) -> Option<Money> {
    let amount = o.dec(cx, key, canon, required)?;
    let unit = if form == PriceForm::Rate {
        MoneyUnit::Percent
    } else {
        currency_unit
    };
    Some(Money {
        amount,
        currency: Currency::default(),
        unit,
        form,
    })
}

fn form(o: &Obj<'_>, cx: &mut Cx, canon: &str) -> PriceForm {
    o.code(
        cx,
        "jgxs",
        canon,
        false,
        "PRICE_FORM_CODE (1, 2, 3, 9)",
        |s| s.parse().ok().and_then(PriceForm::from_code),
    )
    .unwrap_or(PriceForm::Amount)
}

fn party(o: &Obj<'_>, cx: &mut Cx, canon: &str) -> Option<Party> {
    let name = o.req(cx, "name", &format!("{canon}/name"));
    let credit_code = o.credit(cx, "code", &format!("{canon}/credit_code"));
    let address = o.opt(cx, "address", &format!("{canon}/address"));
    let lxr = o.opt(cx, "lxr", &format!("{canon}/contact/name"));
    let phone = o.opt(cx, "tel", &format!("{canon}/contact/phone"));
    let email = o.opt(cx, "email", &format!("{canon}/contact/email"));
    if lxr.is_none() && (phone.is_some() || email.is_some()) {
        cx.required(&o.ptr("lxr"));
    }
    o.finish(cx);
    Some(Party {
        name: name?,
        credit_code,
        address,
        contact: lxr.map(|name| Contact { name, phone, email }),
    })
}

fn bidder(o: &Obj<'_>, cx: &mut Cx, canon: &str) -> Option<Bidder> {
    let name = o.req(cx, "name", &format!("{canon}/name"));
    let credit_code = o.credit(cx, "code", &format!("{canon}/credit_code"));
    Some(Bidder {
        name: name?,
        credit_code,
    })
}

pub(crate) fn read(
    bytes: &[u8],
    tables: &Tables,
    policy: &ValidationPolicy,
    sink: &mut Sink,
) -> Option<Native> {
    let doc = document(bytes, policy, sink)?;
    let root = doc.as_object()?;
    let unit = fixed_unit(tables, NAME, MoneyUnit::TenThousandYuan);
    let o = Obj::new(root, String::new());
    let mut cx = Cx::default();
    cx.map.record("", "");
    cx.map.record("/original", "/yggid");
    let cx = &mut cx;

    let notice_id = o.req(cx, "infoid", "/source/notice_id");
    let platform = o.code(
        cx,
        "zhuanzai",
        "/source/platform",
        true,
        "platform ids",
        |s| PlatformId::parse(s).ok(),
    );
    let url = o.opt(cx, "linkurl", "/source/url");
    let notice_number = o.opt(cx, "noticeno", "/notice_number");
    let title = o.req(cx, "title", "/title");
    let catnum = o.req(cx, "categorynum", "/category");
    cx.map.record("/kind", &o.ptr("categorynum"));
    let row = catnum.as_deref().and_then(|c| {
        let r = tables.category_code_for_title(NAME, c, title.as_deref().unwrap_or(""));
        if r.is_none() {
            cx.unknown_code(&o.ptr("categorynum"), c, "Jiangsu's category tree");
        }
        r
    });
    let original = o
        .opt(cx, "yggid", "/original/notice_id")
        .map(|notice_id| OriginalRef {
            notice_id,
            notice_number: o.opt(cx, "yggno", "/original/notice_number"),
        });
    if original.is_none() && o.has("yggno") {
        cx.required(&o.ptr("yggid"));
    }
    let body_html = o.req(cx, "content", "/body_html");
    let code = o.req(cx, "projectcode", "/project/code");
    let pname = o.req(cx, "projectname", "/project/name");
    let project_type = o.project_type(cx, "projecttype", "/project/project_type");
    let mut sections = Vec::new();
    for (i, s) in o.objects(cx, "bdlist", "/sections").iter().enumerate() {
        let c = format!("/sections/{i}");
        let code = s.req(cx, "bdcode", &format!("{c}/code"));
        let name = s.req(cx, "bdname", &format!("{c}/name"));
        let budget = money(
            s,
            cx,
            "bdys",
            &format!("{c}/budget"),
            (PriceForm::Amount, unit),
            false,
        );
        s.finish(cx);
        if let (Some(code), Some(name)) = (code, name) {
            sections.push(Section { code, name, budget });
        }
    }
    let unified_deal_codes = o.strings(cx, "dealcodes", "/unified_deal_codes");
    let tenderer = match o.object(cx, "zbr") {
        Some(z) => party(&z, cx, "/tenderer"),
        None => {
            cx.required(&o.ptr("zbr"));
            None
        }
    };
    let agency = o.object(cx, "dljg").and_then(|d| party(&d, cx, "/agency"));
    let platform_code = o.credit_req(cx, "platformcode", "/operators/platform_code");
    let service_platform_code = o.credit(cx, "servicecode", "/operators/service_platform_code");
    let region = o.region(cx, "xiaqucode", "/region");
    let trade_place = o.region(cx, "infod", "/trade_place");
    let published = o.time(cx, "infodate", "/times/published", TF, true);
    let times = |cx: &mut Cx, k: &str, c: &str| o.time(cx, k, c, TF, false);
    let documents_from = times(cx, "wjhqstart", "/times/documents_from");
    let documents_until = times(cx, "wjhqend", "/times/documents_until");
    let bid_deadline = times(cx, "tbjzsj", "/times/bid_deadline");
    let bid_opening = times(cx, "kbsj", "/times/bid_opening");
    let publicity_start = times(cx, "gsstart", "/times/publicity_start");
    let publicity_end = times(cx, "gsend", "/times/publicity_end");
    let budget = money(&o, cx, "ysje", "/budget", (PriceForm::Amount, unit), false);
    let mut changes = Vec::new();
    for (i, c) in o.objects(cx, "bgnr", "/changes").iter().enumerate() {
        let p = format!("/changes/{i}");
        let item = c.req(cx, "bgx", &format!("{p}/item"));
        let before = c.opt(cx, "bgq", &format!("{p}/before"));
        let after = c.req(cx, "bgh", &format!("{p}/after"));
        c.finish(cx);
        if let (Some(item), Some(after)) = (item, after) {
            changes.push(Change {
                item,
                before,
                after,
            });
        }
    }
    let mut candidates = Vec::new();
    for (i, c) in o.objects(cx, "hxrlist", "/candidates").iter().enumerate() {
        let p = format!("/candidates/{i}");
        let section_code = c.req(cx, "bdcode", &format!("{p}/section_code"));
        let rank = c.parsed::<u32>(cx, "pm", &format!("{p}/rank"));
        let b = bidder(c, cx, &format!("{p}/bidder"));
        let f = form(c, cx, &format!("{p}/bid_price/form"));
        let bid_price = money(c, cx, "tbbj", &format!("{p}/bid_price"), (f, unit), true);
        let evaluated_price = money(
            c,
            cx,
            "psjg",
            &format!("{p}/evaluated_price"),
            (f, unit),
            false,
        );
        c.finish(cx);
        if let (Some(section_code), Some(rank), Some(bidder), Some(bid_price)) =
            (section_code, rank, b, bid_price)
        {
            candidates.push(Candidate {
                section_code,
                rank,
                bidder,
                bid_price,
                evaluated_price,
            });
        }
    }
    let mut awards = Vec::new();
    for (i, a) in o.objects(cx, "zbjglist", "/awards").iter().enumerate() {
        let p = format!("/awards/{i}");
        let section_code = a.req(cx, "bdcode", &format!("{p}/section_code"));
        let winner = bidder(a, cx, &format!("{p}/winner"));
        let f = form(a, cx, &format!("{p}/price/form"));
        let price = money(a, cx, "zbje", &format!("{p}/price"), (f, unit), true);
        let mut consortium_members = Vec::new();
        for (j, m) in a
            .objects(cx, "lhtcy", &format!("{p}/consortium_members"))
            .iter()
            .enumerate()
        {
            if let Some(b) = bidder(m, cx, &format!("{p}/consortium_members/{j}")) {
                consortium_members.push(b);
            }
            m.finish(cx);
        }
        a.finish(cx);
        if let (Some(section_code), Some(winner), Some(price)) = (section_code, winner, price) {
            awards.push(Award {
                section_code,
                winner,
                price,
                consortium_members,
            });
        }
    }
    let termination = if o.has("zzlx") || o.has("zzyy") {
        let kind = o.code(
            cx,
            "zzlx",
            "/termination/kind",
            true,
            "exception types (1, 2, 3, 9)",
            |s| s.parse().ok().and_then(TerminationKind::from_code),
        );
        let reason = o.req(cx, "zzyy", "/termination/reason");
        let approved_at = o.time(cx, "pzsj", "/termination/approved_at", TF, false);
        match (kind, reason) {
            (Some(kind), Some(reason)) => Some(Termination {
                kind,
                reason,
                approved_at,
            }),
            _ => None,
        }
    } else {
        None
    };
    let mut attachments = Vec::new();
    for (i, a) in o.objects(cx, "fjlist", "/attachments").iter().enumerate() {
        let p = format!("/attachments/{i}");
        let name = a.req(cx, "fjmc", &format!("{p}/name"));
        let url = a.req(cx, "fjurl", &format!("{p}/url"));
        let sha256 = a.opt(cx, "sha256", &format!("{p}/sha256"));
        a.finish(cx);
        if let (Some(name), Some(url)) = (name, url) {
            attachments.push(Attachment { name, url, sha256 });
        }
    }
    let patches = o.patches(cx, "ext");
    o.finish(cx);

    let (category, kind) = match (row, &title) {
        (Some(r), Some(t)) => {
            let kind = if termination.is_some() && r.kinds.contains(&NoticeKind::Termination) {
                Some(NoticeKind::Termination)
            } else {
                tables.kind_by_title(&r.kinds, t)
            };
            (Some(r.category), kind)
        }
        _ => (None, None),
    };
    let cx_map = std::mem::take(&mut cx.map);
    sink.findings.append(&mut cx.sink.findings);
    finish(
        Parts {
            kind,
            category,
            notice_id,
            platform,
            url,
            notice_number,
            original,
            title,
            body_html,
            code,
            pname,
            project_type,
            sections,
            unified_deal_codes,
            tenderer,
            agency,
            platform_code,
            service_platform_code,
            region,
            trade_place,
            published,
            documents_from,
            documents_until,
            bid_deadline,
            bid_opening,
            publicity_start,
            publicity_end,
            budget,
            changes,
            candidates,
            awards,
            termination,
            attachments,
        },
        cx_map,
        patches,
        "/ext",
    )
}

fn put(m: &mut Map<String, Value>, k: &str, v: Option<impl Into<Value>>) {
    if let Some(v) = v {
        m.insert(k.to_owned(), v.into());
    }
}

fn write_party(p: &Party) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), p.name.clone().into());
    put(
        &mut m,
        "code",
        p.credit_code.as_ref().map(|c| c.to_string()),
    );
    put(&mut m, "address", p.address.clone());
    if let Some(c) = &p.contact {
        m.insert("lxr".into(), c.name.clone().into());
        put(&mut m, "tel", c.phone.clone());
        put(&mut m, "email", c.email.clone());
    }
    Value::Object(m)
}

pub(crate) fn write(
    ann: &Announcement,
    tables: &Tables,
    patches: &Map<String, Value>,
) -> Result<Vec<u8>, Vec<Finding>> {
    let mut o = Out::default();
    let mut m = Map::new();
    let unit = fixed_unit(tables, NAME, MoneyUnit::TenThousandYuan);
    m.insert("infoid".into(), ann.source.notice_id.clone().into());
    m.insert("zhuanzai".into(), ann.source.platform.to_string().into());
    put(&mut m, "linkurl", ann.source.url.clone());
    put(&mut m, "noticeno", ann.notice_number.clone());
    match tables.code_for(NAME, ann.category, ann.kind) {
        Some(r) => {
            m.insert("categorynum".into(), r.code.clone().into());
        }
        None => o.errors.push(no_code(NAME, ann)),
    }
    if let Some(orig) = &ann.original {
        m.insert("yggid".into(), orig.notice_id.clone().into());
        put(&mut m, "yggno", orig.notice_number.clone());
    }
    m.insert("title".into(), ann.title.clone().into());
    m.insert("content".into(), ann.body_html.clone().into());
    m.insert("projectcode".into(), ann.project.code.clone().into());
    m.insert("projectname".into(), ann.project.name.clone().into());
    put(
        &mut m,
        "projecttype",
        ann.project
            .project_type
            .as_ref()
            .map(|t| t.as_str().to_owned()),
    );
    if !ann.sections.is_empty() {
        let list: Vec<Value> = ann
            .sections
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut b = Map::new();
                b.insert("bdcode".into(), s.code.clone().into());
                b.insert("bdname".into(), s.name.clone().into());
                if let Some(bud) = &s.budget {
                    b.insert(
                        "bdys".into(),
                        o.amount(&format!("/sections/{i}/budget"), bud, unit).into(),
                    );
                }
                Value::Object(b)
            })
            .collect();
        m.insert("bdlist".into(), list.into());
    }
    if !ann.unified_deal_codes.is_empty() {
        m.insert("dealcodes".into(), json!(ann.unified_deal_codes));
    }
    m.insert("zbr".into(), write_party(&ann.tenderer));
    if let Some(a) = &ann.agency {
        m.insert("dljg".into(), write_party(a));
    }
    m.insert(
        "platformcode".into(),
        ann.operators.platform_code.to_string().into(),
    );
    put(
        &mut m,
        "servicecode",
        ann.operators
            .service_platform_code
            .as_ref()
            .map(|c| c.to_string()),
    );
    m.insert("xiaqucode".into(), ann.region.to_string().into());
    m.insert("infod".into(), ann.trade_place.to_string().into());
    let t = &ann.times;
    m.insert(
        "infodate".into(),
        o.time("/times/published", t.published, TF).into(),
    );
    for (k, v, c) in [
        ("wjhqstart", t.documents_from, "documents_from"),
        ("wjhqend", t.documents_until, "documents_until"),
        ("tbjzsj", t.bid_deadline, "bid_deadline"),
        ("kbsj", t.bid_opening, "bid_opening"),
        ("gsstart", t.publicity_start, "publicity_start"),
        ("gsend", t.publicity_end, "publicity_end"),
    ] {
        if let Some(v) = v {
            m.insert(k.into(), o.time(&format!("/times/{c}"), v, TF).into());
        }
    }
    if let Some(b) = &ann.budget {
        m.insert("ysje".into(), o.amount("/budget", b, unit).into());
    }
    if !ann.changes.is_empty() {
        let list: Vec<Value> = ann
            .changes
            .iter()
            .map(|c| {
                let mut b = Map::new();
                b.insert("bgx".into(), c.item.clone().into());
                put(&mut b, "bgq", c.before.clone());
                b.insert("bgh".into(), c.after.clone().into());
                Value::Object(b)
            })
            .collect();
        m.insert("bgnr".into(), list.into());
    }
    if !ann.candidates.is_empty() {
        let list: Vec<Value> = ann
            .candidates
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut b = Map::new();
                b.insert("bdcode".into(), c.section_code.clone().into());
                b.insert("pm".into(), c.rank.to_string().into());
                b.insert("name".into(), c.bidder.name.clone().into());
                put(
                    &mut b,
                    "code",
                    c.bidder.credit_code.as_ref().map(|c| c.to_string()),
                );
                b.insert("jgxs".into(), c.bid_price.form.code().to_string().into());
                b.insert(
                    "tbbj".into(),
                    o.amount(&format!("/candidates/{i}/bid_price"), &c.bid_price, unit)
                        .into(),
                );
                if let Some(e) = &c.evaluated_price {
                    b.insert(
                        "psjg".into(),
                        o.amount(&format!("/candidates/{i}/evaluated_price"), e, unit)
                            .into(),
                    );
                }
                Value::Object(b)
            })
            .collect();
        m.insert("hxrlist".into(), list.into());
    }
    if !ann.awards.is_empty() {
        let list: Vec<Value> = ann
            .awards
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let mut b = Map::new();
                b.insert("bdcode".into(), a.section_code.clone().into());
                b.insert("name".into(), a.winner.name.clone().into());
                put(
                    &mut b,
                    "code",
                    a.winner.credit_code.as_ref().map(|c| c.to_string()),
                );
                b.insert("jgxs".into(), a.price.form.code().to_string().into());
                b.insert(
                    "zbje".into(),
                    o.amount(&format!("/awards/{i}/price"), &a.price, unit)
                        .into(),
                );
                if !a.consortium_members.is_empty() {
                    let ms: Vec<Value> = a
                        .consortium_members
                        .iter()
                        .map(|m| {
                            let mut x = Map::new();
                            x.insert("name".into(), m.name.clone().into());
                            put(
                                &mut x,
                                "code",
                                m.credit_code.as_ref().map(|c| c.to_string()),
                            );
                            Value::Object(x)
                        })
                        .collect();
                    b.insert("lhtcy".into(), ms.into());
                }
                Value::Object(b)
            })
            .collect();
        m.insert("zbjglist".into(), list.into());
    }
    if let Some(tm) = &ann.termination {
        m.insert("zzlx".into(), tm.kind.code().to_string().into());
        m.insert("zzyy".into(), tm.reason.clone().into());
        if let Some(a) = tm.approved_at {
            m.insert(
                "pzsj".into(),
                o.time("/termination/approved_at", a, TF).into(),
            );
        }
    }
    if !ann.attachments.is_empty() {
        let list: Vec<Value> = ann
            .attachments
            .iter()
            .map(|a| {
                let mut b = Map::new();
                b.insert("fjmc".into(), a.name.clone().into());
                b.insert("fjurl".into(), a.url.clone().into());
                put(&mut b, "sha256", a.sha256.clone());
                Value::Object(b)
            })
            .collect();
        m.insert("fjlist".into(), list.into());
    }
    if !patches.is_empty() {
        m.insert("ext".into(), Value::Object(patches.clone()));
    }
    if !o.errors.is_empty() {
        return Err(o.errors);
    }
    json_bytes(&Value::Object(m))
}
