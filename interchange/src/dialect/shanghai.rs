//! Shanghai: XML bulletins after the e-bidding document kinds (`tenderBulletin`, `amendBulletin`,
//! `winCandidateBulletin`, `winBidBulletin`, `terminateBulletin`), Shanghai's channel codes for the
//! category, times `yyyy-MM-ddTHH:mm:ss` without zone, amounts in yuan. The contract is
//! `schemas/shanghai/bulletin.xsd`; this module checks the same structure with precise paths.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::Native;
use super::json_read::Cx;
use super::shared::{Out, Parts, finish, fixed_unit, no_code};
use super::text::TimeFormat;
use super::xml_tree::{El, X, parse};
use crate::codes::{CreditCode, PlatformId, ProjectType, RegionCode};
use crate::finding::{Finding, Sink};
use crate::model::*;
use crate::policy::ValidationPolicy;
use crate::tables::Tables;

const NAME: &str = "shanghai";
const TF: TimeFormat = TimeFormat::IsoLocal;

type V = Option<(String, String)>;

fn time(cx: &mut Cx, v: V) -> Option<time::OffsetDateTime> {
    let (s, p) = v?;
    let t = TF.parse(&s);
    if t.is_none() {
        cx.format(&p, &s, TF.pattern());
    }
    t
}

fn dec(cx: &mut Cx, v: V) -> Option<rust_decimal::Decimal> {
    let (s, p) = v?;
    let d = parse_decimal(&s).ok();
    if d.is_none() {
        cx.format(&p, &s, "a decimal number");
    }
    d
}

fn credit(cx: &mut Cx, v: V) -> Option<CreditCode> {
    let (s, p) = v?;
    match CreditCode::parse(&s) {
        Ok(c) => Some(c),
        Err(e) => {
            cx.sink.push(Finding::error(
                "credit_code.format",
                p,
                e.to_string(),
                format!("`{s}` 不是统一社会信用代码（18 位，不含 I、O、S、V、Z）"),
            ));
            None
        }
    }
}

fn region(cx: &mut Cx, v: V) -> Option<RegionCode> {
    let (s, p) = v?;
    let r = RegionCode::parse(&s).ok();
    if r.is_none() {
        cx.format(&p, &s, "a six-digit region code");
    }
    r
}

fn price_form(cx: &mut Cx, v: V) -> PriceForm {
    match v {
        None => PriceForm::Amount,
        Some((s, p)) => match s.as_str() {
            "amount" => PriceForm::Amount,
            "rate" => PriceForm::Rate,
            "unitPrice" => PriceForm::UnitPrice,
            "other" => PriceForm::Other,
            _ => {
                cx.unknown_code(&p, &s, "price forms (amount, rate, unitPrice, other)");
                PriceForm::Amount
            }
        },
    }
}

fn form_name(f: PriceForm) -> &'static str {
    match f {
        PriceForm::Amount => "amount",
        PriceForm::Rate => "rate",
        PriceForm::UnitPrice => "unitPrice",
        PriceForm::Other => "other",
    }
}

fn money(cx: &mut Cx, v: V, form: PriceForm, currency_unit: MoneyUnit) -> Option<Money> {
    let amount = dec(cx, v)?;
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

fn party(x: &X<'_>, cx: &mut Cx, canon: &str) -> Option<Party> {
    let credit_code = {
        let v = x.attr(cx, "creditCode", &format!("{canon}/credit_code"));
        credit(cx, v)
    };
    let name = x.text_req(cx, "name", &format!("{canon}/name"));
    let address = x
        .text(cx, "address", &format!("{canon}/address"))
        .map(|v| v.0);
    let contact = x.child(cx, "contact").and_then(|c| {
        let name = c.attr_req(cx, "name", &format!("{canon}/contact/name"));
        let phone = c
            .attr(cx, "phone", &format!("{canon}/contact/phone"))
            .map(|v| v.0);
        let email = c
            .attr(cx, "email", &format!("{canon}/contact/email"))
            .map(|v| v.0);
        c.finish(cx);
        Some(Contact {
            name: name?.0,
            phone,
            email,
        })
    });
    x.finish(cx);
    Some(Party {
        name: name?.0,
        credit_code,
        address,
        contact,
    })
}

fn bidder_of(x: &X<'_>, cx: &mut Cx, canon: &str) -> Option<Bidder> {
    let credit_code = {
        let v = x.attr(cx, "creditCode", &format!("{canon}/credit_code"));
        credit(cx, v)
    };
    Some(Bidder {
        name: x.leaf(cx)?.0,
        credit_code,
    })
}

pub(crate) fn read(
    bytes: &[u8],
    tables: &Tables,
    policy: &ValidationPolicy,
    sink: &mut Sink,
) -> Option<Native> {
    let root_el: El = parse(bytes, policy, sink)?;
    let unit = fixed_unit(tables, NAME, MoneyUnit::Yuan);
    let mut cx = Cx::default();
    cx.map.record("", &root_el.path);
    let cx = &mut cx;
    let r = X::new(&root_el);
    let root_kinds: &[NoticeKind] = match root_el.name.as_str() {
        "tenderBulletin" => &[NoticeKind::Tender, NoticeKind::Prequalification],
        "amendBulletin" => &[
            NoticeKind::Correction,
            NoticeKind::Clarification,
            NoticeKind::Extension,
        ],
        "winCandidateBulletin" => &[NoticeKind::CandidatePublicity],
        "winBidBulletin" => &[NoticeKind::AwardResult],
        "terminateBulletin" => &[NoticeKind::Termination],
        other => {
            sink.push(Finding::error(
                "schema.unknown_element",
                root_el.path.clone(),
                format!("`{other}` is not a bulletin (tenderBulletin, amendBulletin, winCandidateBulletin, winBidBulletin, terminateBulletin)"),
                format!("`{other}` 不是公告根元素"),
            ));
            return None;
        }
    };
    cx.map.record("/kind", &root_el.path);
    cx.map
        .record("/original", &format!("{}/originalBulletin", root_el.path));
    let notice_id = r
        .text_req(cx, "bulletinId", "/source/notice_id")
        .map(|v| v.0);
    let platform = r
        .text_req(cx, "platform", "/source/platform")
        .and_then(|(s, p)| {
            let id = PlatformId::parse(&s).ok();
            if id.is_none() {
                cx.format(&p, &s, "a platform id");
            }
            id
        });
    let notice_number = r.text(cx, "bulletinCode", "/notice_number").map(|v| v.0);
    let channel = r.text_req(cx, "channel", "/category");
    let title = r.text_req(cx, "title", "/title").map(|v| v.0);
    let sub_kind = match root_el.name.as_str() {
        "tenderBulletin" => match r.text(cx, "bulletinType", "/kind") {
            None => Some(NoticeKind::Tender),
            Some((s, p)) => match s.as_str() {
                "tender" => Some(NoticeKind::Tender),
                "prequalification" => Some(NoticeKind::Prequalification),
                _ => {
                    cx.unknown_code(&p, &s, "bulletin types (tender, prequalification)");
                    None
                }
            },
        },
        "amendBulletin" => {
            r.text_req(cx, "amendType", "/kind")
                .and_then(|(s, p)| match s.as_str() {
                    "correction" => Some(NoticeKind::Correction),
                    "clarification" => Some(NoticeKind::Clarification),
                    "extension" => Some(NoticeKind::Extension),
                    _ => {
                        cx.unknown_code(
                            &p,
                            &s,
                            "amendment types (correction, clarification, extension)",
                        );
                        None
                    }
                })
        }
        _ => root_kinds.first().copied(),
    };
    let category = channel.as_ref().and_then(|(c, p)| {
        match tables.category_code_for_title(NAME, c, title.as_deref().unwrap_or("")) {
            None => {
                cx.unknown_code(p, c, "Shanghai's channels");
                None
            }
            Some(row) => {
                if let Some(k) = sub_kind
                    && !row.kinds.contains(&k)
                {
                    cx.sink.push(Finding::error(
                        "schema.channel_mismatch",
                        p.clone(),
                        format!("channel `{c}` does not carry {k} notices"),
                        format!("栏目 `{c}` 不发布此类公告（{k}）"),
                    ));
                }
                Some(row.category)
            }
        }
    });
    let original = r.child(cx, "originalBulletin").and_then(|o| {
        let id = o.attr_req(cx, "id", "/original/notice_id");
        let code = o.attr(cx, "code", "/original/notice_number").map(|v| v.0);
        o.finish(cx);
        Some(OriginalRef {
            notice_id: id?.0,
            notice_number: code,
        })
    });
    let body_html = r.text_req(cx, "content", "/body_html").map(|v| v.0);
    let published = r.text_req(cx, "publishTime", "/times/published");
    let published = time(cx, published);
    let url = r.text(cx, "url", "/source/url").map(|v| v.0);
    let (code, pname, project_type) = match r.child(cx, "project") {
        None => {
            cx.required(&format!("{}/project", root_el.path));
            (None, None, None)
        }
        Some(p) => {
            let code = p.attr_req(cx, "code", "/project/code").map(|v| v.0);
            let pt = p
                .attr(cx, "type", "/project/project_type")
                .and_then(|(s, path)| {
                    let t = ProjectType::parse(&s).ok();
                    if t.is_none() {
                        cx.format(&path, &s, "a project type such as A01");
                    }
                    t
                });
            cx.map.record("/project/name", &p.el.path);
            let name = p.leaf(cx).map(|v| v.0);
            if name.is_none() {
                cx.required(&p.el.path);
            }
            p.finish(cx);
            (code, name, pt)
        }
    };
    let mut sections = Vec::new();
    if let Some(list) = r.child(cx, "sections") {
        cx.map.record("/sections", &list.el.path);
        for (i, s) in list.children("section").iter().enumerate() {
            let c = format!("/sections/{i}");
            let code = s.attr_req(cx, "code", &format!("{c}/code")).map(|v| v.0);
            let budget = {
                let v = s.attr(cx, "budget", &format!("{c}/budget"));
                money(cx, v, PriceForm::Amount, unit)
            };
            cx.map.record(&format!("{c}/name"), &s.el.path);
            let name = s.leaf(cx).map(|v| v.0);
            if name.is_none() {
                cx.required(&s.el.path);
            }
            s.finish(cx);
            if let (Some(code), Some(name)) = (code, name) {
                sections.push(Section { code, name, budget });
            }
        }
        list.finish(cx);
    }
    let mut unified_deal_codes = Vec::new();
    if let Some(list) = r.child(cx, "dealCodes") {
        cx.map.record("/unified_deal_codes", &list.el.path);
        for d in list.children("dealCode") {
            if let Some((s, _)) = d.leaf(cx) {
                unified_deal_codes.push(s);
            }
            d.finish(cx);
        }
        list.finish(cx);
    }
    let tenderer = match r.child(cx, "tenderer") {
        Some(t) => party(&t, cx, "/tenderer"),
        None => {
            cx.required(&format!("{}/tenderer", root_el.path));
            None
        }
    };
    let agency = r.child(cx, "agency").and_then(|a| party(&a, cx, "/agency"));
    let (platform_code, service_platform_code) = match r.child(cx, "operators") {
        None => {
            cx.required(&format!("{}/operators", root_el.path));
            (None, None)
        }
        Some(o) => {
            let pc = o.attr_req(cx, "platformCode", "/operators/platform_code");
            let pc = credit(cx, pc);
            let sc = o.attr(
                cx,
                "servicePlatformCode",
                "/operators/service_platform_code",
            );
            let sc = credit(cx, sc);
            o.finish(cx);
            (pc, sc)
        }
    };
    let (region_code, trade_place) = match r.child(cx, "region") {
        None => {
            cx.required(&format!("{}/region", root_el.path));
            (None, None)
        }
        Some(g) => {
            let a = g.attr_req(cx, "project", "/region");
            let a = region(cx, a);
            let b = g.attr_req(cx, "tradePlace", "/trade_place");
            let b = region(cx, b);
            g.finish(cx);
            (a, b)
        }
    };
    let mut sched = [None, None, None, None, None, None];
    if let Some(s) = r.child(cx, "schedule") {
        for (i, (attr, canon)) in SCHEDULE.iter().enumerate() {
            let v = s.attr(cx, attr, &format!("/times/{canon}"));
            sched[i] = time(cx, v);
        }
        s.finish(cx);
    }
    let budget = r.text(cx, "budget", "/budget");
    let budget = money(cx, budget, PriceForm::Amount, unit);
    let mut changes = Vec::new();
    if let Some(list) = r.child(cx, "changes") {
        cx.map.record("/changes", &list.el.path);
        for (i, c) in list.children("change").iter().enumerate() {
            let p = format!("/changes/{i}");
            let item = c.attr_req(cx, "item", &format!("{p}/item")).map(|v| v.0);
            let before = c.attr(cx, "before", &format!("{p}/before")).map(|v| v.0);
            cx.map.record(&format!("{p}/after"), &c.el.path);
            let after = c.leaf(cx).map(|v| v.0);
            if after.is_none() {
                cx.required(&c.el.path);
            }
            c.finish(cx);
            if let (Some(item), Some(after)) = (item, after) {
                changes.push(Change {
                    item,
                    before,
                    after,
                });
            }
        }
        list.finish(cx);
    }
    let mut candidates = Vec::new();
    if let Some(list) = r.child(cx, "candidates") {
        cx.map.record("/candidates", &list.el.path);
        for (i, c) in list.children("candidate").iter().enumerate() {
            let p = format!("/candidates/{i}");
            let section_code = c
                .attr_req(cx, "section", &format!("{p}/section_code"))
                .map(|v| v.0);
            let rank = c
                .attr_req(cx, "rank", &format!("{p}/rank"))
                .and_then(|(s, path)| {
                    let n = s.parse::<u32>().ok();
                    if n.is_none() {
                        cx.format(&path, &s, "a positive whole number");
                    }
                    n
                });
            let f = c.attr(cx, "priceForm", &format!("{p}/bid_price/form"));
            let f = price_form(cx, f);
            let bp = c.attr_req(cx, "bidPrice", &format!("{p}/bid_price"));
            let bid_price = money(cx, bp, f, unit);
            let ep = c.attr(cx, "evaluatedPrice", &format!("{p}/evaluated_price"));
            let evaluated_price = money(cx, ep, f, unit);
            cx.map.record(&format!("{p}/bidder/name"), &c.el.path);
            let b = bidder_of(c, cx, &format!("{p}/bidder"));
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
        list.finish(cx);
    }
    let mut awards = Vec::new();
    if let Some(list) = r.child(cx, "winners") {
        cx.map.record("/awards", &list.el.path);
        for (i, w) in list.children("winner").iter().enumerate() {
            let p = format!("/awards/{i}");
            let section_code = w
                .attr_req(cx, "section", &format!("{p}/section_code"))
                .map(|v| v.0);
            let cc = w.attr(cx, "creditCode", &format!("{p}/winner/credit_code"));
            let cc = credit(cx, cc);
            let f = w.attr(cx, "priceForm", &format!("{p}/price/form"));
            let f = price_form(cx, f);
            let pr = w.attr_req(cx, "price", &format!("{p}/price"));
            let price = money(cx, pr, f, unit);
            let name = w
                .text_req(cx, "name", &format!("{p}/winner/name"))
                .map(|v| v.0);
            let mut consortium_members = Vec::new();
            for (j, m) in w.children("member").iter().enumerate() {
                if let Some(b) = bidder_of(m, cx, &format!("{p}/consortium_members/{j}")) {
                    consortium_members.push(b);
                }
                m.finish(cx);
            }
            w.finish(cx);
            if let (Some(section_code), Some(name), Some(price)) = (section_code, name, price) {
                awards.push(Award {
                    section_code,
                    winner: Bidder {
                        name,
                        credit_code: cc,
                    },
                    price,
                    consortium_members,
                });
            }
        }
        list.finish(cx);
    }
    let termination = r.child(cx, "termination").and_then(|t| {
        let kind = t
            .attr_req(cx, "type", "/termination/kind")
            .and_then(|(s, p)| {
                let k = s.parse().ok().and_then(TerminationKind::from_code);
                if k.is_none() {
                    cx.unknown_code(&p, &s, "exception types (1, 2, 3, 9)");
                }
                k
            });
        let at = t.attr(cx, "approvedTime", "/termination/approved_at");
        let approved_at = time(cx, at);
        let reason = t.text_req(cx, "reason", "/termination/reason").map(|v| v.0);
        t.finish(cx);
        Some(Termination {
            kind: kind?,
            reason: reason?,
            approved_at,
        })
    });
    let mut attachments = Vec::new();
    if let Some(list) = r.child(cx, "attachments") {
        cx.map.record("/attachments", &list.el.path);
        for (i, a) in list.children("attachment").iter().enumerate() {
            let p = format!("/attachments/{i}");
            let name = a.attr_req(cx, "name", &format!("{p}/name")).map(|v| v.0);
            let url = a.attr_req(cx, "url", &format!("{p}/url")).map(|v| v.0);
            let sha256 = a.attr(cx, "sha256", &format!("{p}/sha256")).map(|v| v.0);
            a.finish(cx);
            if let (Some(name), Some(url)) = (name, url) {
                attachments.push(Attachment { name, url, sha256 });
            }
        }
        list.finish(cx);
    }
    let mut patches = Map::new();
    let mut area = format!("{}/extension", root_el.path);
    if let Some(ext) = r.child(cx, "extension") {
        area = ext.el.path.clone();
        for f in ext.children("field") {
            let path = f.attr_req(cx, "path", "");
            let value = f.leaf(cx);
            f.finish(cx);
            if let (Some((ptr, _)), Some((json, jp))) = (path, value) {
                match serde_json::from_str::<Value>(&json) {
                    Ok(v) => {
                        patches.insert(ptr, v);
                    }
                    Err(e) => cx.format(&jp, &e.to_string(), "a JSON value"),
                }
            }
        }
        ext.finish(cx);
    }
    r.finish(cx);
    let [
        documents_from,
        documents_until,
        bid_deadline,
        bid_opening,
        publicity_start,
        publicity_end,
    ] = sched;
    let cx_map = std::mem::take(&mut cx.map);
    sink.findings.append(&mut cx.sink.findings);
    finish(
        Parts {
            kind: sub_kind,
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
            region: region_code,
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
        &area,
    )
}

const SCHEDULE: [(&str, &str); 6] = [
    ("docStart", "documents_from"),
    ("docEnd", "documents_until"),
    ("bidDeadline", "bid_deadline"),
    ("bidOpening", "bid_opening"),
    ("publicityStart", "publicity_start"),
    ("publicityEnd", "publicity_end"),
];

/// Builds the XML text, refusing characters XML 1.0 cannot hold.
struct W {
    buf: String,
    out: Out,
    unit: MoneyUnit,
}

fn legal(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

impl W {
    fn esc(&mut self, s: &str, path: &str) -> String {
        if let Some(c) = s.chars().find(|c| !legal(*c)) {
            self.out.errors.push(Finding::error(
                "translate.xml_char",
                path,
                format!(
                    "the character U+{:04X} cannot be written in XML 1.0",
                    c as u32
                ),
                format!("字符 U+{:04X} 无法用 XML 1.0 表示", c as u32),
            ));
        }
        let mut e = quick_xml::escape::escape(s).into_owned();
        // Keep carriage returns and tabs in attributes and text exactly (XML normalises them).
        if e.contains('\r') {
            e = e.replace('\r', "&#xD;");
        }
        e
    }

    fn esc_attr(&mut self, s: &str, path: &str) -> String {
        let e = self.esc(s, path);
        e.replace('\n', "&#xA;").replace('\t', "&#x9;")
    }

    fn leaf(&mut self, indent: usize, name: &str, text: &str, path: &str) {
        let t = self.esc(text, path);
        let _ = writeln!(
            self.buf,
            "{:indent$}<{name}>{t}</{name}>",
            "",
            indent = indent
        );
    }

    fn attrs(&mut self, list: &[(&str, Option<String>, &str)]) -> String {
        let mut s = String::new();
        for (k, v, path) in list {
            if let Some(v) = v {
                let e = self.esc_attr(v, path);
                let _ = write!(s, " {k}=\"{e}\"");
            }
        }
        s
    }
}

fn amount(w: &mut W, m: &Money, path: &str) -> String {
    let unit = w.unit;
    w.out.amount(path, m, unit)
}

pub(crate) fn write(
    ann: &Announcement,
    tables: &Tables,
    patches: &Map<String, Value>,
) -> Result<Vec<u8>, Vec<Finding>> {
    let mut w = W {
        buf: String::new(),
        out: Out::default(),
        unit: fixed_unit(tables, NAME, MoneyUnit::Yuan),
    };
    let root = match ann.kind {
        NoticeKind::Tender | NoticeKind::Prequalification => "tenderBulletin",
        NoticeKind::Correction | NoticeKind::Clarification | NoticeKind::Extension => {
            "amendBulletin"
        }
        NoticeKind::CandidatePublicity => "winCandidateBulletin",
        NoticeKind::AwardResult => "winBidBulletin",
        NoticeKind::Termination => "terminateBulletin",
    };
    w.buf
        .push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(w.buf, "<{root}>");
    w.leaf(2, "bulletinId", &ann.source.notice_id, "/source/notice_id");
    w.leaf(
        2,
        "platform",
        ann.source.platform.as_str(),
        "/source/platform",
    );
    if let Some(n) = &ann.notice_number {
        w.leaf(2, "bulletinCode", n, "/notice_number");
    }
    match tables.code_for(NAME, ann.category, ann.kind) {
        Some(r) => w.leaf(2, "channel", &r.code.clone(), "/category"),
        None => w.out.errors.push(no_code(NAME, ann)),
    }
    match ann.kind {
        NoticeKind::Prequalification => w.leaf(2, "bulletinType", "prequalification", "/kind"),
        NoticeKind::Correction => w.leaf(2, "amendType", "correction", "/kind"),
        NoticeKind::Clarification => w.leaf(2, "amendType", "clarification", "/kind"),
        NoticeKind::Extension => w.leaf(2, "amendType", "extension", "/kind"),
        _ => {}
    }
    if let Some(o) = &ann.original {
        let a = w.attrs(&[
            ("id", Some(o.notice_id.clone()), "/original/notice_id"),
            ("code", o.notice_number.clone(), "/original/notice_number"),
        ]);
        let _ = writeln!(w.buf, "  <originalBulletin{a}/>");
    }
    w.leaf(2, "title", &ann.title, "/title");
    w.leaf(2, "content", &ann.body_html, "/body_html");
    let published = w.out.time("/times/published", ann.times.published, TF);
    w.leaf(2, "publishTime", &published, "/times/published");
    if let Some(u) = &ann.source.url {
        w.leaf(2, "url", u, "/source/url");
    }
    let a = w.attrs(&[
        ("code", Some(ann.project.code.clone()), "/project/code"),
        (
            "type",
            ann.project
                .project_type
                .as_ref()
                .map(|t| t.as_str().to_owned()),
            "/project/project_type",
        ),
    ]);
    let n = w.esc(&ann.project.name, "/project/name");
    let _ = writeln!(w.buf, "  <project{a}>{n}</project>");
    if !ann.sections.is_empty() {
        w.buf.push_str("  <sections>\n");
        for (i, s) in ann.sections.iter().enumerate() {
            let budget = s
                .budget
                .as_ref()
                .map(|b| amount(&mut w, b, &format!("/sections/{i}/budget")));
            let a = w.attrs(&[
                ("code", Some(s.code.clone()), &format!("/sections/{i}/code")),
                ("budget", budget, ""),
            ]);
            let n = w.esc(&s.name, &format!("/sections/{i}/name"));
            let _ = writeln!(w.buf, "    <section{a}>{n}</section>");
        }
        w.buf.push_str("  </sections>\n");
    }
    if !ann.unified_deal_codes.is_empty() {
        w.buf.push_str("  <dealCodes>\n");
        for (i, d) in ann.unified_deal_codes.iter().enumerate() {
            w.leaf(4, "dealCode", d, &format!("/unified_deal_codes/{i}"));
        }
        w.buf.push_str("  </dealCodes>\n");
    }
    write_party(&mut w, "tenderer", &ann.tenderer, "/tenderer");
    if let Some(a) = &ann.agency {
        write_party(&mut w, "agency", a, "/agency");
    }
    let a = w.attrs(&[
        (
            "platformCode",
            Some(ann.operators.platform_code.to_string()),
            "",
        ),
        (
            "servicePlatformCode",
            ann.operators
                .service_platform_code
                .as_ref()
                .map(|c| c.to_string()),
            "",
        ),
    ]);
    let _ = writeln!(w.buf, "  <operators{a}/>");
    let _ = writeln!(
        w.buf,
        "  <region project=\"{}\" tradePlace=\"{}\"/>",
        ann.region, ann.trade_place
    );
    let t = &ann.times;
    let vals = [
        t.documents_from,
        t.documents_until,
        t.bid_deadline,
        t.bid_opening,
        t.publicity_start,
        t.publicity_end,
    ];
    if vals.iter().any(Option::is_some) {
        let mut list = Vec::new();
        for ((attr, canon), v) in SCHEDULE.iter().zip(vals) {
            let s = v.map(|v| w.out.time(&format!("/times/{canon}"), v, TF));
            list.push((*attr, s, ""));
        }
        let a = w.attrs(&list);
        let _ = writeln!(w.buf, "  <schedule{a}/>");
    }
    if let Some(b) = &ann.budget {
        let v = amount(&mut w, b, "/budget");
        w.leaf(2, "budget", &v, "/budget");
    }
    if !ann.changes.is_empty() {
        w.buf.push_str("  <changes>\n");
        for (i, c) in ann.changes.iter().enumerate() {
            let p = format!("/changes/{i}");
            let a = w.attrs(&[
                ("item", Some(c.item.clone()), &format!("{p}/item")),
                ("before", c.before.clone(), &format!("{p}/before")),
            ]);
            let after = w.esc(&c.after, &format!("{p}/after"));
            let _ = writeln!(w.buf, "    <change{a}>{after}</change>");
        }
        w.buf.push_str("  </changes>\n");
    }
    if !ann.candidates.is_empty() {
        w.buf.push_str("  <candidates>\n");
        for (i, c) in ann.candidates.iter().enumerate() {
            let p = format!("/candidates/{i}");
            let bp = amount(&mut w, &c.bid_price, &format!("{p}/bid_price"));
            let ep = c
                .evaluated_price
                .as_ref()
                .map(|e| amount(&mut w, e, &format!("{p}/evaluated_price")));
            let form = (c.bid_price.form != PriceForm::Amount)
                .then(|| form_name(c.bid_price.form).to_owned());
            let a = w.attrs(&[
                (
                    "section",
                    Some(c.section_code.clone()),
                    &format!("{p}/section_code"),
                ),
                ("rank", Some(c.rank.to_string()), ""),
                (
                    "creditCode",
                    c.bidder.credit_code.as_ref().map(|c| c.to_string()),
                    "",
                ),
                ("priceForm", form, ""),
                ("bidPrice", Some(bp), ""),
                ("evaluatedPrice", ep, ""),
            ]);
            let n = w.esc(&c.bidder.name, &format!("{p}/bidder/name"));
            let _ = writeln!(w.buf, "    <candidate{a}>{n}</candidate>");
        }
        w.buf.push_str("  </candidates>\n");
    }
    if !ann.awards.is_empty() {
        w.buf.push_str("  <winners>\n");
        for (i, aw) in ann.awards.iter().enumerate() {
            let p = format!("/awards/{i}");
            let price = amount(&mut w, &aw.price, &format!("{p}/price"));
            let form =
                (aw.price.form != PriceForm::Amount).then(|| form_name(aw.price.form).to_owned());
            let a = w.attrs(&[
                (
                    "section",
                    Some(aw.section_code.clone()),
                    &format!("{p}/section_code"),
                ),
                (
                    "creditCode",
                    aw.winner.credit_code.as_ref().map(|c| c.to_string()),
                    "",
                ),
                ("priceForm", form, ""),
                ("price", Some(price), ""),
            ]);
            let _ = writeln!(w.buf, "    <winner{a}>");
            w.leaf(6, "name", &aw.winner.name, &format!("{p}/winner/name"));
            for (j, m) in aw.consortium_members.iter().enumerate() {
                let a = w.attrs(&[(
                    "creditCode",
                    m.credit_code.as_ref().map(|c| c.to_string()),
                    "",
                )]);
                let n = w.esc(&m.name, &format!("{p}/consortium_members/{j}/name"));
                let _ = writeln!(w.buf, "      <member{a}>{n}</member>");
            }
            w.buf.push_str("    </winner>\n");
        }
        w.buf.push_str("  </winners>\n");
    }
    if let Some(tm) = &ann.termination {
        let at = tm
            .approved_at
            .map(|t| w.out.time("/termination/approved_at", t, TF));
        let a = w.attrs(&[
            ("type", Some(tm.kind.code().to_string()), ""),
            ("approvedTime", at, ""),
        ]);
        let _ = writeln!(w.buf, "  <termination{a}>");
        w.leaf(4, "reason", &tm.reason, "/termination/reason");
        w.buf.push_str("  </termination>\n");
    }
    if !ann.attachments.is_empty() {
        w.buf.push_str("  <attachments>\n");
        for (i, at) in ann.attachments.iter().enumerate() {
            let p = format!("/attachments/{i}");
            let a = w.attrs(&[
                ("name", Some(at.name.clone()), &format!("{p}/name")),
                ("url", Some(at.url.clone()), &format!("{p}/url")),
                ("sha256", at.sha256.clone(), &format!("{p}/sha256")),
            ]);
            let _ = writeln!(w.buf, "    <attachment{a}/>");
        }
        w.buf.push_str("  </attachments>\n");
    }
    if !patches.is_empty() {
        w.buf.push_str("  <extension>\n");
        for (ptr, v) in patches {
            let json = v.to_string();
            let a = w.attrs(&[("path", Some(ptr.clone()), ptr)]);
            let t = w.esc(&json, ptr);
            let _ = writeln!(w.buf, "    <field{a}>{t}</field>");
        }
        w.buf.push_str("  </extension>\n");
    }
    let _ = writeln!(w.buf, "</{root}>");
    if !w.out.errors.is_empty() {
        return Err(w.out.errors);
    }
    Ok(w.buf.into_bytes())
}

fn write_party(w: &mut W, el: &str, p: &Party, canon: &str) {
    let a = w.attrs(&[(
        "creditCode",
        p.credit_code.as_ref().map(|c| c.to_string()),
        "",
    )]);
    let _ = writeln!(w.buf, "  <{el}{a}>");
    w.leaf(4, "name", &p.name, &format!("{canon}/name"));
    if let Some(ad) = &p.address {
        w.leaf(4, "address", ad, &format!("{canon}/address"));
    }
    if let Some(c) = &p.contact {
        let a = w.attrs(&[
            (
                "name",
                Some(c.name.clone()),
                &format!("{canon}/contact/name"),
            ),
            ("phone", c.phone.clone(), &format!("{canon}/contact/phone")),
            ("email", c.email.clone(), &format!("{canon}/contact/email")),
        ]);
        let _ = writeln!(w.buf, "    <contact{a}/>");
    }
    let _ = writeln!(w.buf, "  </{el}>");
}
