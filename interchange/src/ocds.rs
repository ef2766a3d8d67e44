//! OCDS 1.1 release package output (output only).
//!
//! One announcement is one release of the contracting process whose `ocid` is
//! [`Announcement::ocid`] (placeholder prefix `ocds-yrd001-` + tender project code), so every notice
//! about one tender shares it. Mapping: tender and prequalification notices are `tender` releases
//! (status `active`); corrections, clarifications and extensions are `tenderAmendment` releases with
//! an amendment naming the original's release id; a termination is `tenderCancellation`
//! (`unsuccessful` for a failed tender, else `cancelled`); a candidate publicity is an `award` release
//! with `pending` awards, an award result one with `active` awards. Amounts are in yuan; an amount that
//! a JSON number cannot hold exactly is refused. Rates have no OCDS value and are stated in the
//! award's description.

use serde_json::{Map, Value, json};

use crate::dialect::text::convert;
use crate::finding::Finding;
use crate::model::*;

/// The publisher named in every package.
pub const PUBLISHER: &str =
    "长三角生态绿色一体化发展示范区公共资源交易网关 (YRD demonstration zone trading gateway)";

fn release_id(platform: &str, notice_id: &str) -> String {
    format!("{platform}-{notice_id}")
}

fn number(m: &Money, path: &str, errors: &mut Vec<Finding>) -> Option<Value> {
    let yuan = convert(m.amount, m.unit, MoneyUnit::Yuan)?;
    let text = yuan.normalize().to_string();
    let f: f64 = text.parse().ok()?;
    let back = format!("{f}");
    let same = crate::model::parse_decimal(&back).ok() == Some(yuan.normalize());
    match serde_json::Number::from_f64(f) {
        Some(n) if same => Some(Value::Number(n)),
        _ => {
            errors.push(Finding::error(
                "translate.ocds_amount_precision",
                path,
                format!("{text} yuan cannot be written exactly as a JSON number"),
                format!("{text} 元无法精确表示为 JSON 数值"),
            ));
            None
        }
    }
}

fn value(m: &Money, path: &str, errors: &mut Vec<Finding>) -> Option<Value> {
    if m.unit == MoneyUnit::Percent {
        return None;
    }
    let amount = number(m, path, errors)?;
    Some(json!({ "amount": amount, "currency": m.currency.as_str() }))
}

struct Parties {
    list: Vec<Map<String, Value>>,
}

impl Parties {
    fn id_of(name: &str, code: Option<&crate::codes::CreditCode>) -> String {
        match code {
            Some(c) => format!("CN-USCC-{c}"),
            None => format!("name-{name}"),
        }
    }

    fn add(
        &mut self,
        name: &str,
        code: Option<&crate::codes::CreditCode>,
        role: &str,
        party: Option<&Party>,
    ) -> Value {
        let id = Parties::id_of(name, code);
        if let Some(p) = self
            .list
            .iter_mut()
            .find(|p| p.get("id") == Some(&Value::String(id.clone())))
        {
            if let Some(Value::Array(roles)) = p.get_mut("roles")
                && !roles.contains(&Value::String(role.to_owned()))
            {
                roles.push(role.into());
            }
        } else {
            let mut p = Map::new();
            p.insert("id".into(), id.clone().into());
            p.insert("name".into(), name.into());
            if let Some(c) = code {
                p.insert(
                    "identifier".into(),
                    json!({"scheme": "CN-USCC", "id": c.as_str(), "legalName": name}),
                );
            }
            if let Some(party) = party {
                if let Some(a) = &party.address {
                    p.insert("address".into(), json!({"streetAddress": a}));
                }
                if let Some(c) = &party.contact {
                    let mut cp = Map::new();
                    cp.insert("name".into(), c.name.clone().into());
                    if let Some(e) = &c.email {
                        cp.insert("email".into(), e.clone().into());
                    }
                    if let Some(t) = &c.phone {
                        cp.insert("telephone".into(), t.clone().into());
                    }
                    p.insert("contactPoint".into(), Value::Object(cp));
                }
            }
            p.insert("roles".into(), json!([role]));
            self.list.push(p);
        }
        json!({"id": id, "name": name})
    }
}

fn ts(t: time::OffsetDateTime) -> Value {
    let s = t
        .to_offset(CST)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    Value::String(s)
}

/// The release package of an announcement, as pretty JSON.
pub(crate) fn write(ann: &Announcement) -> Result<Vec<u8>, Vec<Finding>> {
    let mut errors = Vec::new();
    let platform = ann.source.platform.as_str();
    let id = release_id(platform, &ann.source.notice_id);
    let mut parties = Parties { list: Vec::new() };
    let buyer = parties.add(
        &ann.tenderer.name,
        ann.tenderer.credit_code.as_ref(),
        "buyer",
        Some(&ann.tenderer),
    );
    let procuring = match &ann.agency {
        Some(a) => parties.add(&a.name, a.credit_code.as_ref(), "procuringEntity", Some(a)),
        None => parties.add(
            &ann.tenderer.name,
            ann.tenderer.credit_code.as_ref(),
            "procuringEntity",
            None,
        ),
    };

    let tag = match ann.kind {
        NoticeKind::Tender | NoticeKind::Prequalification => "tender",
        NoticeKind::Correction | NoticeKind::Clarification | NoticeKind::Extension => {
            "tenderAmendment"
        }
        NoticeKind::Termination => "tenderCancellation",
        NoticeKind::CandidatePublicity | NoticeKind::AwardResult => "award",
    };
    let status = match (ann.kind, ann.termination.as_ref().map(|t| t.kind)) {
        (NoticeKind::Termination, Some(TerminationKind::FailedTender)) => "unsuccessful",
        (NoticeKind::Termination, _) => "cancelled",
        (NoticeKind::AwardResult, _) => "complete",
        _ => "active",
    };

    let mut tender = Map::new();
    tender.insert("id".into(), ann.project.code.clone().into());
    tender.insert("title".into(), ann.project.name.clone().into());
    tender.insert("status".into(), status.into());
    tender.insert("procuringEntity".into(), procuring);
    if let Some(b) = &ann.budget
        && let Some(v) = value(b, "/budget", &mut errors)
    {
        tender.insert("value".into(), v);
    }
    match ann.kind {
        NoticeKind::Tender => {
            tender.insert("procurementMethod".into(), "open".into());
        }
        NoticeKind::Prequalification => {
            tender.insert("procurementMethod".into(), "selective".into());
        }
        _ => {}
    }
    if ann.category == TradeCategory::Construction {
        tender.insert("mainProcurementCategory".into(), "works".into());
    }
    if !ann.sections.is_empty() {
        let items: Vec<Value> = ann
            .sections
            .iter()
            .map(|s| json!({"id": s.code, "description": s.name}))
            .collect();
        tender.insert("items".into(), items.into());
    }
    let t = &ann.times;
    let mut period = Map::new();
    if let Some(s) = t.documents_from {
        period.insert("startDate".into(), ts(s));
    }
    if let Some(e) = t.bid_deadline {
        period.insert("endDate".into(), ts(e));
    }
    if !period.is_empty() {
        tender.insert("tenderPeriod".into(), Value::Object(period));
    }
    if !ann.attachments.is_empty() {
        let docs: Vec<Value> = ann
            .attachments
            .iter()
            .enumerate()
            .map(|(i, a)| json!({"id": format!("{id}-doc-{}", i + 1), "documentType": "tenderNotice", "title": a.name, "url": a.url, "format": "application/octet-stream"}))
            .collect();
        tender.insert("documents".into(), docs.into());
    }
    if let Some(o) = &ann.original {
        let rationale = match (&ann.termination, ann.kind) {
            (Some(t), _) => t.reason.clone(),
            (None, NoticeKind::Clarification) => "澄清 (clarification)".to_owned(),
            (None, NoticeKind::Extension) => "延期 (deadline extension)".to_owned(),
            _ => "更正 (correction)".to_owned(),
        };
        let description: Vec<String> = ann
            .changes
            .iter()
            .map(|c| match &c.before {
                Some(b) => format!("{}: {b} -> {}", c.item, c.after),
                None => format!("{}: {}", c.item, c.after),
            })
            .collect();
        let mut am = Map::new();
        am.insert("id".into(), format!("{id}-amendment").into());
        am.insert("date".into(), ts(t.published));
        am.insert("rationale".into(), rationale.into());
        if !description.is_empty() {
            am.insert("description".into(), description.join("; ").into());
        }
        am.insert(
            "amendsReleaseID".into(),
            release_id(platform, &o.notice_id).into(),
        );
        am.insert("releaseID".into(), id.clone().into());
        tender.insert("amendments".into(), json!([am]));
    }

    let mut awards = Vec::new();
    for (i, c) in ann.candidates.iter().enumerate() {
        let s = parties.add(
            &c.bidder.name,
            c.bidder.credit_code.as_ref(),
            "tenderer",
            None,
        );
        let mut a = Map::new();
        a.insert(
            "id".into(),
            format!("{id}-{}-{}", c.section_code, c.rank).into(),
        );
        a.insert(
            "title".into(),
            format!("第{}中标候选人 (candidate ranked {})", c.rank, c.rank).into(),
        );
        a.insert("status".into(), "pending".into());
        a.insert("date".into(), ts(t.published));
        match value(
            &c.bid_price,
            &format!("/candidates/{i}/bid_price"),
            &mut errors,
        ) {
            Some(v) => {
                a.insert("value".into(), v);
            }
            None if c.bid_price.unit == MoneyUnit::Percent => {
                a.insert(
                    "description".into(),
                    format!("报价费率 {}% (rate)", c.bid_price.amount.normalize()).into(),
                );
            }
            None => {}
        }
        a.insert("suppliers".into(), json!([s]));
        a.insert(
            "items".into(),
            json!([{"id": c.section_code, "description": section_name(ann, &c.section_code)}]),
        );
        awards.push(Value::Object(a));
    }
    for (i, aw) in ann.awards.iter().enumerate() {
        let mut suppliers = vec![parties.add(
            &aw.winner.name,
            aw.winner.credit_code.as_ref(),
            "supplier",
            None,
        )];
        for m in &aw.consortium_members {
            suppliers.push(parties.add(&m.name, m.credit_code.as_ref(), "supplier", None));
        }
        let mut a = Map::new();
        a.insert("id".into(), format!("{id}-{}", aw.section_code).into());
        a.insert("status".into(), "active".into());
        a.insert("date".into(), ts(t.published));
        match value(&aw.price, &format!("/awards/{i}/price"), &mut errors) {
            Some(v) => {
                a.insert("value".into(), v);
            }
            None if aw.price.unit == MoneyUnit::Percent => {
                a.insert(
                    "description".into(),
                    format!("中标费率 {}% (rate)", aw.price.amount.normalize()).into(),
                );
            }
            None => {}
        }
        a.insert("suppliers".into(), suppliers.into());
        a.insert(
            "items".into(),
            json!([{"id": aw.section_code, "description": section_name(ann, &aw.section_code)}]),
        );
        awards.push(Value::Object(a));
    }

    let mut release = Map::new();
    release.insert("ocid".into(), ann.ocid().into());
    release.insert("id".into(), id.clone().into());
    release.insert("date".into(), ts(t.published));
    release.insert("tag".into(), json!([tag]));
    release.insert("initiationType".into(), "tender".into());
    release.insert("language".into(), "zh".into());
    release.insert(
        "parties".into(),
        parties
            .list
            .into_iter()
            .map(Value::Object)
            .collect::<Vec<_>>()
            .into(),
    );
    release.insert("buyer".into(), buyer);
    release.insert("tender".into(), Value::Object(tender));
    if !awards.is_empty() {
        release.insert("awards".into(), awards.into());
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let package = json!({
        "uri": format!("urn:yrd-gateway:release-package:{platform}:{}", ann.source.notice_id),
        "version": "1.1",
        "publishedDate": ts(t.published),
        "publisher": {"name": PUBLISHER},
        "releases": [Value::Object(release)],
    });
    crate::dialect::shared::json_bytes(&package)
}

fn section_name(ann: &Announcement, code: &str) -> String {
    ann.sections
        .iter()
        .find(|s| s.code == code)
        .map(|s| s.name.clone())
        .unwrap_or_else(|| code.to_owned())
}
