//! Zhejiang: JSON with the national data specification's UPPER_SNAKE names, times `yyyyMMddHHmmss`,
//! `PRICE_UNIT` 0 (元) / 1 (万元) for the document's amounts, `NOTICE_NATURE`, `BULLETIN_TYPE` and
//! Zhejiang's `002xxxyyy` category tree.

use serde_json::{Map, Value};

use super::Native;
use super::json_read::{Cx, Obj, document};
use super::shared::{Out, Parts, finish, json_bytes, no_code};
use super::text::TimeFormat;
use crate::codes::PlatformId;
use crate::finding::{Finding, Sink};
use crate::model::*;
use crate::policy::ValidationPolicy;
use crate::tables::Tables;

const NAME: &str = "zhejiang";
const TF: TimeFormat = TimeFormat::Compact;

fn money(
    o: &Obj<'_>,
    cx: &mut Cx,
    key: &str,
    canon: &str,
    form: PriceForm,
    unit: Option<MoneyUnit>,
    required: bool,
) -> Option<Money> {
    let amount = o.dec(cx, key, canon, required)?;
    let unit = if form == PriceForm::Rate {
        MoneyUnit::Percent
    } else {
        match unit {
            Some(u) => u,
            None => {
                cx.sink.push(Finding::error(
                    "amount.unit_missing",
                    o.ptr(key),
                    "an amount needs PRICE_UNIT (0 yuan, 1 ten thousand yuan) on the document",
                    "金额缺少单位：文档须填写 PRICE_UNIT（0 元，1 万元）",
                ));
                return None;
            }
        }
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
        "PRICE_FORM_CODE",
        canon,
        false,
        "PRICE_FORM_CODE (1, 2, 3, 9)",
        |s| s.parse().ok().and_then(PriceForm::from_code),
    )
    .unwrap_or(PriceForm::Amount)
}

fn party(o: &Obj<'_>, cx: &mut Cx, prefix: &str, canon: &str) -> Option<Party> {
    let k = |s: &str| format!("{prefix}_{s}");
    let name = o.req(cx, &k("NAME"), &format!("{canon}/name"));
    let credit_code = o.credit(cx, &k("CODE"), &format!("{canon}/credit_code"));
    let address = o.opt(cx, &k("ADDRESS"), &format!("{canon}/address"));
    let contactor = o.opt(cx, &k("CONTACTOR"), &format!("{canon}/contact/name"));
    let phone = o.opt(cx, &k("PHONE_NUMBER"), &format!("{canon}/contact/phone"));
    let email = o.opt(cx, &k("EMAIL"), &format!("{canon}/contact/email"));
    if contactor.is_none() && (phone.is_some() || email.is_some()) {
        cx.required(&o.ptr(&k("CONTACTOR")));
    }
    Some(Party {
        name: name?,
        credit_code,
        address,
        contact: contactor.map(|name| Contact { name, phone, email }),
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
    let o = Obj::new(root, String::new());
    let mut cx = Cx::default();
    cx.map.record("", "");
    cx.map.record("/original", "/ORIGINAL_NOTICE_ID");
    let cx = &mut cx;

    let notice_id = o.req(cx, "NOTICE_ID", "/source/notice_id");
    let platform = o.code(
        cx,
        "DATA_SOURCE",
        "/source/platform",
        true,
        "platform ids",
        |s| PlatformId::parse(s).ok(),
    );
    let url = o.opt(cx, "URL", "/source/url");
    let notice_number = o.opt(cx, "TENDER_SELF_CODE", "/notice_number");
    let title = o.req(cx, "NOTICE_NAME", "/title");
    let catnum = o.req(cx, "CATEGORY_CODE", "/category");
    cx.map.record("/kind", &o.ptr("CATEGORY_CODE"));
    let row = catnum.as_deref().and_then(|c| {
        let r = tables.category_code_for_title(NAME, c, title.as_deref().unwrap_or(""));
        if r.is_none() {
            cx.unknown_code(&o.ptr("CATEGORY_CODE"), c, "Zhejiang's category tree");
        }
        r
    });
    let nature = o.code(
        cx,
        "NOTICE_NATURE",
        "/kind",
        true,
        "NOTICE_NATURE (1 normal, 2 change)",
        |s| match s {
            "1" => Some(false),
            "2" => Some(true),
            _ => None,
        },
    );
    let bulletin_type = o.code(
        cx,
        "BULLETIN_TYPE",
        "/kind",
        false,
        "BULLETIN_TYPE (1, 2, 3)",
        |s| match s {
            "1" | "2" | "3" => Some(s.to_owned()),
            _ => None,
        },
    );
    let original = o
        .opt(cx, "ORIGINAL_NOTICE_ID", "/original/notice_id")
        .map(|notice_id| OriginalRef {
            notice_id,
            notice_number: o.opt(cx, "ORIGINAL_TENDER_SELF_CODE", "/original/notice_number"),
        });
    if original.is_none() && o.has("ORIGINAL_TENDER_SELF_CODE") {
        cx.required(&o.ptr("ORIGINAL_NOTICE_ID"));
    }
    let body_html = o.req(cx, "NOTICE_CONTENT", "/body_html");
    let code = o.req(cx, "TENDER_PROJECT_CODE", "/project/code");
    let pname = o.req(cx, "TENDER_PROJECT_NAME", "/project/name");
    let project_type = o.project_type(cx, "TENDER_PROJECT_TYPE", "/project/project_type");
    let unit = o.code(
        cx,
        "PRICE_UNIT",
        "",
        false,
        "PRICE_UNIT (0, 1)",
        |s| match s {
            "0" => Some(MoneyUnit::Yuan),
            "1" => Some(MoneyUnit::TenThousandYuan),
            _ => None,
        },
    );
    let mut sections = Vec::new();
    for (i, s) in o
        .objects(cx, "BID_SECTIONS", "/sections")
        .iter()
        .enumerate()
    {
        let c = format!("/sections/{i}");
        let code = s.req(cx, "BID_SECTION_CODE", &format!("{c}/code"));
        let name = s.req(cx, "BID_SECTION_NAME", &format!("{c}/name"));
        let budget = money(
            s,
            cx,
            "BID_SECTION_BUDGET",
            &format!("{c}/budget"),
            PriceForm::Amount,
            unit,
            false,
        );
        s.finish(cx);
        if let (Some(code), Some(name)) = (code, name) {
            sections.push(Section { code, name, budget });
        }
    }
    let unified_deal_codes: Vec<String> = o
        .opt(cx, "UNIFIED_DEAL_CODES", "/unified_deal_codes")
        .map(|s| s.split(';').map(str::to_owned).collect())
        .unwrap_or_default();
    let tenderer = party(&o, cx, "TENDERER", "/tenderer");
    let agency_keys = [
        "NAME",
        "CODE",
        "ADDRESS",
        "CONTACTOR",
        "PHONE_NUMBER",
        "EMAIL",
    ];
    let agency = if agency_keys
        .iter()
        .any(|k| o.has(&format!("TENDER_AGENCY_{k}")))
    {
        party(&o, cx, "TENDER_AGENCY", "/agency")
    } else {
        None
    };
    let platform_code = o.credit_req(cx, "PLATFORM_CODE", "/operators/platform_code");
    let service_platform_code = o.credit(
        cx,
        "PUB_SERVICE_PLAT_CODE",
        "/operators/service_platform_code",
    );
    let region = o.region(cx, "REGION_CODE", "/region");
    let trade_place = o.region(cx, "TRA_PLACE_CODE", "/trade_place");
    let published = o.time(cx, "NOTICE_SEND_TIME", "/times/published", TF, true);
    let times = |cx: &mut Cx, k: &str, c: &str| o.time(cx, k, c, TF, false);
    let documents_from = times(cx, "DOC_GET_START_TIME", "/times/documents_from");
    let documents_until = times(cx, "DOC_GET_END_TIME", "/times/documents_until");
    let deadline = times(cx, "BID_DOC_REFER_END_TIME", "/times/bid_deadline");
    let post_deadline = times(cx, "POST_BID_CLOSING_TIME", "/times/bid_deadline");
    let bid_opening = times(cx, "BID_OPEN_TIME", "/times/bid_opening");
    let publicity_start = times(cx, "PUBLICITY_START_TIME", "/times/publicity_start");
    let publicity_end = times(cx, "PUBLICITY_END_TIME", "/times/publicity_end");
    if deadline.is_some() && post_deadline.is_some() {
        cx.sink.push(Finding::error(
            "schema.exclusive",
            o.ptr("POST_BID_CLOSING_TIME"),
            "give either BID_DOC_REFER_END_TIME or POST_BID_CLOSING_TIME, not both",
            "BID_DOC_REFER_END_TIME 与 POST_BID_CLOSING_TIME 只能填写其一",
        ));
    }
    let bid_deadline = deadline.or(post_deadline);
    let budget = money(
        &o,
        cx,
        "BUDGET_AMOUNT",
        "/budget",
        PriceForm::Amount,
        unit,
        false,
    );
    let mut changes = Vec::new();
    for (i, c) in o.objects(cx, "CHANGE_ITEMS", "/changes").iter().enumerate() {
        let p = format!("/changes/{i}");
        let item = c.req(cx, "CHANGE_ITEM", &format!("{p}/item"));
        let before = c.opt(cx, "BEFORE_CHANGE", &format!("{p}/before"));
        let after = c.req(cx, "AFTER_CHANGE", &format!("{p}/after"));
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
    for (i, c) in o
        .objects(cx, "CANDIDATES", "/candidates")
        .iter()
        .enumerate()
    {
        let p = format!("/candidates/{i}");
        let section_code = c.req(cx, "BID_SECTION_CODE", &format!("{p}/section_code"));
        let rank = c.parsed::<u32>(cx, "RANK", &format!("{p}/rank"));
        let name = c.req(cx, "BIDDER_NAME", &format!("{p}/bidder/name"));
        let credit_code = c.credit(cx, "BIDDER_CODE", &format!("{p}/bidder/credit_code"));
        let f = form(c, cx, &format!("{p}/bid_price/form"));
        let bid_price = money(c, cx, "BID_PRICE", &format!("{p}/bid_price"), f, unit, true);
        let evaluated_price = money(
            c,
            cx,
            "EVALUATED_PRICE",
            &format!("{p}/evaluated_price"),
            f,
            unit,
            false,
        );
        c.finish(cx);
        if let (Some(section_code), Some(rank), Some(name), Some(bid_price)) =
            (section_code, rank, name, bid_price)
        {
            candidates.push(Candidate {
                section_code,
                rank,
                bidder: Bidder { name, credit_code },
                bid_price,
                evaluated_price,
            });
        }
    }
    let mut awards = Vec::new();
    for (i, a) in o.objects(cx, "WIN_BIDDERS", "/awards").iter().enumerate() {
        let p = format!("/awards/{i}");
        let section_code = a.req(cx, "BID_SECTION_CODE", &format!("{p}/section_code"));
        let name = a.req(cx, "WIN_BIDDER_NAME", &format!("{p}/winner/name"));
        let credit_code = a.credit(cx, "WIN_BIDDER_CODE", &format!("{p}/winner/credit_code"));
        let f = form(a, cx, &format!("{p}/price/form"));
        let price = money(a, cx, "BID_AMOUNT", &format!("{p}/price"), f, unit, true);
        let mut consortium_members = Vec::new();
        for (j, m) in a
            .objects(cx, "UNION_MEMBERS", &format!("{p}/consortium_members"))
            .iter()
            .enumerate()
        {
            let q = format!("{p}/consortium_members/{j}");
            let n = m.req(cx, "UNION_NAME", &format!("{q}/name"));
            let c = m.credit(cx, "UNION_CODE", &format!("{q}/credit_code"));
            m.finish(cx);
            if let Some(name) = n {
                consortium_members.push(Bidder {
                    name,
                    credit_code: c,
                });
            }
        }
        a.finish(cx);
        if let (Some(section_code), Some(name), Some(price)) = (section_code, name, price) {
            awards.push(Award {
                section_code,
                winner: Bidder { name, credit_code },
                price,
                consortium_members,
            });
        }
    }
    let termination = if o.has("EXCEPTION_TYPE") || o.has("EXCEPTION_REASON") {
        let kind = o.code(
            cx,
            "EXCEPTION_TYPE",
            "/termination/kind",
            true,
            "EXCEPTION types (1, 2, 3, 9)",
            |s| s.parse().ok().and_then(TerminationKind::from_code),
        );
        let reason = o.req(cx, "EXCEPTION_REASON", "/termination/reason");
        let approved_at = o.time(cx, "APPROVAL_TIME", "/termination/approved_at", TF, false);
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
    for (i, a) in o
        .objects(cx, "ATTACHMENTS", "/attachments")
        .iter()
        .enumerate()
    {
        let p = format!("/attachments/{i}");
        let name = a.req(cx, "ATTACHMENT_NAME", &format!("{p}/name"));
        let url = a.req(cx, "ATTACHMENT_URL", &format!("{p}/url"));
        let sha256 = a.opt(cx, "ATTACHMENT_SHA256", &format!("{p}/sha256"));
        a.finish(cx);
        if let (Some(name), Some(url)) = (name, url) {
            attachments.push(Attachment { name, url, sha256 });
        }
    }
    let patches = o.patches(cx, "EXTENSION");
    o.finish(cx);

    let (category, kind) = match (row, &title, nature) {
        (Some(r), Some(t), Some(change)) => {
            let allowed: Vec<NoticeKind> = r
                .kinds
                .iter()
                .copied()
                .filter(|k| {
                    if termination.is_some() {
                        return *k == NoticeKind::Termination;
                    }
                    let by_nature = change
                        == matches!(
                            k,
                            NoticeKind::Correction
                                | NoticeKind::Clarification
                                | NoticeKind::Extension
                                | NoticeKind::Termination
                        );
                    let by_type = match bulletin_type.as_deref() {
                        Some("1") => *k == NoticeKind::Tender,
                        Some("2") => *k == NoticeKind::Prequalification,
                        Some("3") => {
                            matches!(k, NoticeKind::CandidatePublicity | NoticeKind::AwardResult)
                        }
                        _ => true,
                    };
                    by_nature && by_type
                })
                .collect();
            let allowed = if allowed.is_empty() {
                r.kinds.clone()
            } else {
                allowed
            };
            (Some(r.category), tables.kind_by_title(&allowed, t))
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
        "/EXTENSION",
    )
}

fn put(m: &mut Map<String, Value>, k: &str, v: Option<impl Into<Value>>) {
    if let Some(v) = v {
        m.insert(k.to_owned(), v.into());
    }
}

fn put_party(m: &mut Map<String, Value>, prefix: &str, p: &Party) {
    m.insert(format!("{prefix}_NAME"), p.name.clone().into());
    put(
        m,
        &format!("{prefix}_CODE"),
        p.credit_code.as_ref().map(|c| c.to_string()),
    );
    put(m, &format!("{prefix}_ADDRESS"), p.address.clone());
    if let Some(c) = &p.contact {
        m.insert(format!("{prefix}_CONTACTOR"), c.name.clone().into());
        put(m, &format!("{prefix}_PHONE_NUMBER"), c.phone.clone());
        put(m, &format!("{prefix}_EMAIL"), c.email.clone());
    }
}

/// The unit of the document: that of its first currency amount (元 when it has none).
fn document_unit(ann: &Announcement) -> Option<MoneyUnit> {
    let mut all: Vec<&Money> = Vec::new();
    all.extend(ann.budget.iter());
    all.extend(ann.sections.iter().filter_map(|s| s.budget.as_ref()));
    for c in &ann.candidates {
        all.push(&c.bid_price);
        all.extend(c.evaluated_price.iter());
    }
    all.extend(ann.awards.iter().map(|a| &a.price));
    all.into_iter()
        .map(|m| m.unit)
        .find(|u| *u != MoneyUnit::Percent)
}

pub(crate) fn write(
    ann: &Announcement,
    tables: &Tables,
    patches: &Map<String, Value>,
) -> Result<Vec<u8>, Vec<Finding>> {
    let mut o = Out::default();
    let mut m = Map::new();
    let unit = document_unit(ann).unwrap_or(MoneyUnit::Yuan);
    m.insert("NOTICE_ID".into(), ann.source.notice_id.clone().into());
    m.insert("DATA_SOURCE".into(), ann.source.platform.to_string().into());
    put(&mut m, "URL", ann.source.url.clone());
    put(&mut m, "TENDER_SELF_CODE", ann.notice_number.clone());
    match tables.code_for(NAME, ann.category, ann.kind) {
        Some(r) => {
            m.insert("CATEGORY_CODE".into(), r.code.clone().into());
        }
        None => o.errors.push(no_code(NAME, ann)),
    }
    let change = ann.kind.is_version();
    m.insert(
        "NOTICE_NATURE".into(),
        if change { "2" } else { "1" }.into(),
    );
    let bt = match ann.kind {
        NoticeKind::Tender => Some("1"),
        NoticeKind::Prequalification => Some("2"),
        NoticeKind::CandidatePublicity | NoticeKind::AwardResult => Some("3"),
        _ => None,
    };
    put(&mut m, "BULLETIN_TYPE", bt);
    if let Some(orig) = &ann.original {
        m.insert("ORIGINAL_NOTICE_ID".into(), orig.notice_id.clone().into());
        put(
            &mut m,
            "ORIGINAL_TENDER_SELF_CODE",
            orig.notice_number.clone(),
        );
    }
    m.insert("NOTICE_NAME".into(), ann.title.clone().into());
    m.insert("NOTICE_CONTENT".into(), ann.body_html.clone().into());
    m.insert(
        "TENDER_PROJECT_CODE".into(),
        ann.project.code.clone().into(),
    );
    m.insert(
        "TENDER_PROJECT_NAME".into(),
        ann.project.name.clone().into(),
    );
    put(
        &mut m,
        "TENDER_PROJECT_TYPE",
        ann.project
            .project_type
            .as_ref()
            .map(|t| t.as_str().to_owned()),
    );
    if document_unit(ann).is_some() {
        m.insert(
            "PRICE_UNIT".into(),
            if unit == MoneyUnit::Yuan { "0" } else { "1" }.into(),
        );
    }
    if !ann.sections.is_empty() {
        let list: Vec<Value> = ann
            .sections
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut b = Map::new();
                b.insert("BID_SECTION_CODE".into(), s.code.clone().into());
                b.insert("BID_SECTION_NAME".into(), s.name.clone().into());
                if let Some(bud) = &s.budget {
                    b.insert(
                        "BID_SECTION_BUDGET".into(),
                        o.amount(&format!("/sections/{i}/budget"), bud, unit).into(),
                    );
                }
                Value::Object(b)
            })
            .collect();
        m.insert("BID_SECTIONS".into(), list.into());
    }
    if !ann.unified_deal_codes.is_empty() {
        if ann
            .unified_deal_codes
            .iter()
            .any(|c| c.contains(';') || c.is_empty())
        {
            o.errors.push(Finding::error(
                "translate.separator_in_value",
                "/unified_deal_codes",
                "a unified deal code that is empty or contains `;` cannot be listed in UNIFIED_DEAL_CODES",
                "交易统一编码为空或含有“;”，无法写入 UNIFIED_DEAL_CODES",
            ));
        }
        m.insert(
            "UNIFIED_DEAL_CODES".into(),
            ann.unified_deal_codes.join(";").into(),
        );
    }
    put_party(&mut m, "TENDERER", &ann.tenderer);
    if let Some(a) = &ann.agency {
        put_party(&mut m, "TENDER_AGENCY", a);
    }
    m.insert(
        "PLATFORM_CODE".into(),
        ann.operators.platform_code.to_string().into(),
    );
    put(
        &mut m,
        "PUB_SERVICE_PLAT_CODE",
        ann.operators
            .service_platform_code
            .as_ref()
            .map(|c| c.to_string()),
    );
    m.insert("REGION_CODE".into(), ann.region.to_string().into());
    m.insert("TRA_PLACE_CODE".into(), ann.trade_place.to_string().into());
    let t = &ann.times;
    m.insert(
        "NOTICE_SEND_TIME".into(),
        o.time("/times/published", t.published, TF).into(),
    );
    let deadline_key = if change {
        "POST_BID_CLOSING_TIME"
    } else {
        "BID_DOC_REFER_END_TIME"
    };
    for (k, v, c) in [
        ("DOC_GET_START_TIME", t.documents_from, "documents_from"),
        ("DOC_GET_END_TIME", t.documents_until, "documents_until"),
        (deadline_key, t.bid_deadline, "bid_deadline"),
        ("BID_OPEN_TIME", t.bid_opening, "bid_opening"),
        ("PUBLICITY_START_TIME", t.publicity_start, "publicity_start"),
        ("PUBLICITY_END_TIME", t.publicity_end, "publicity_end"),
    ] {
        if let Some(v) = v {
            m.insert(k.into(), o.time(&format!("/times/{c}"), v, TF).into());
        }
    }
    if let Some(b) = &ann.budget {
        m.insert("BUDGET_AMOUNT".into(), o.amount("/budget", b, unit).into());
    }
    if !ann.changes.is_empty() {
        let list: Vec<Value> = ann
            .changes
            .iter()
            .map(|c| {
                let mut b = Map::new();
                b.insert("CHANGE_ITEM".into(), c.item.clone().into());
                put(&mut b, "BEFORE_CHANGE", c.before.clone());
                b.insert("AFTER_CHANGE".into(), c.after.clone().into());
                Value::Object(b)
            })
            .collect();
        m.insert("CHANGE_ITEMS".into(), list.into());
    }
    if !ann.candidates.is_empty() {
        let list: Vec<Value> = ann
            .candidates
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut b = Map::new();
                b.insert("BID_SECTION_CODE".into(), c.section_code.clone().into());
                b.insert("RANK".into(), c.rank.to_string().into());
                b.insert("BIDDER_NAME".into(), c.bidder.name.clone().into());
                put(
                    &mut b,
                    "BIDDER_CODE",
                    c.bidder.credit_code.as_ref().map(|c| c.to_string()),
                );
                b.insert(
                    "PRICE_FORM_CODE".into(),
                    c.bid_price.form.code().to_string().into(),
                );
                b.insert(
                    "BID_PRICE".into(),
                    o.amount(&format!("/candidates/{i}/bid_price"), &c.bid_price, unit)
                        .into(),
                );
                if let Some(e) = &c.evaluated_price {
                    b.insert(
                        "EVALUATED_PRICE".into(),
                        o.amount(&format!("/candidates/{i}/evaluated_price"), e, unit)
                            .into(),
                    );
                }
                Value::Object(b)
            })
            .collect();
        m.insert("CANDIDATES".into(), list.into());
    }
    if !ann.awards.is_empty() {
        let list: Vec<Value> = ann
            .awards
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let mut b = Map::new();
                b.insert("BID_SECTION_CODE".into(), a.section_code.clone().into());
                b.insert("WIN_BIDDER_NAME".into(), a.winner.name.clone().into());
                put(
                    &mut b,
                    "WIN_BIDDER_CODE",
                    a.winner.credit_code.as_ref().map(|c| c.to_string()),
                );
                b.insert(
                    "PRICE_FORM_CODE".into(),
                    a.price.form.code().to_string().into(),
                );
                b.insert(
                    "BID_AMOUNT".into(),
                    o.amount(&format!("/awards/{i}/price"), &a.price, unit)
                        .into(),
                );
                if !a.consortium_members.is_empty() {
                    let ms: Vec<Value> = a
                        .consortium_members
                        .iter()
                        .map(|m| {
                            let mut x = Map::new();
                            x.insert("UNION_NAME".into(), m.name.clone().into());
                            put(
                                &mut x,
                                "UNION_CODE",
                                m.credit_code.as_ref().map(|c| c.to_string()),
                            );
                            Value::Object(x)
                        })
                        .collect();
                    b.insert("UNION_MEMBERS".into(), ms.into());
                }
                Value::Object(b)
            })
            .collect();
        m.insert("WIN_BIDDERS".into(), list.into());
    }
    if let Some(tm) = &ann.termination {
        m.insert("EXCEPTION_TYPE".into(), tm.kind.code().to_string().into());
        m.insert("EXCEPTION_REASON".into(), tm.reason.clone().into());
        if let Some(a) = tm.approved_at {
            m.insert(
                "APPROVAL_TIME".into(),
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
                b.insert("ATTACHMENT_NAME".into(), a.name.clone().into());
                b.insert("ATTACHMENT_URL".into(), a.url.clone().into());
                put(&mut b, "ATTACHMENT_SHA256", a.sha256.clone());
                Value::Object(b)
            })
            .collect();
        m.insert("ATTACHMENTS".into(), list.into());
    }
    if !patches.is_empty() {
        m.insert("EXTENSION".into(), Value::Object(patches.clone()));
    }
    if !o.errors.is_empty() {
        return Err(o.errors);
    }
    json_bytes(&Value::Object(m))
}
