//! The canonical rules, checked on every announcement whatever its dialect. Paths in the findings are
//! canonical JSON pointers; the pipeline maps them to the source document's paths.

use std::collections::BTreeSet;

use crate::codes::{CreditCode, RegionCode};
use crate::finding::Finding;
use crate::model::*;
use crate::policy::ValidationPolicy;
use crate::tables::{RegionStatus, Tables};

/// Checks an announcement against the canonical rules; every finding at once.
pub fn check(ann: &Announcement, tables: &Tables, policy: &ValidationPolicy) -> Vec<Finding> {
    let mut out = Vec::new();
    credit_codes(ann, policy, &mut out);
    regions(ann, tables, &mut out);
    times(ann, &mut out);
    bidding_period(ann, policy, &mut out);
    amounts(ann, &mut out);
    sections(ann, &mut out);
    kind_rules(ann, &mut out);
    if let Some(t) = &ann.project.project_type
        && !tables.project_type_known(t.as_str())
    {
        out.push(Finding::error(
            "project_type.unknown",
            "/project/project_type",
            format!("`{}` is not a construction project type", t.as_str()),
            format!("`{}` 不是工程项目类型代码", t.as_str()),
        ));
    }
    for (i, a) in ann.attachments.iter().enumerate() {
        if let Some(h) = &a.sha256
            && !(h.len() == 64
                && h.bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
        {
            out.push(Finding::error(
                "attachment.sha256",
                format!("/attachments/{i}/sha256"),
                "a SHA-256 is 64 lowercase hexadecimal digits",
                "SHA-256 摘要应为 64 位小写十六进制数字",
            ));
        }
    }
    out
}

fn credit_codes<'a>(ann: &'a Announcement, policy: &ValidationPolicy, out: &mut Vec<Finding>) {
    let mut all: Vec<(String, &'a CreditCode)> = Vec::new();
    let mut add = |p: String, c: &'a Option<CreditCode>| {
        if let Some(c) = c {
            all.push((p, c));
        }
    };
    add("/tenderer/credit_code".into(), &ann.tenderer.credit_code);
    if let Some(a) = &ann.agency {
        add("/agency/credit_code".into(), &a.credit_code);
    }
    add(
        "/operators/service_platform_code".into(),
        &ann.operators.service_platform_code,
    );
    for (i, c) in ann.candidates.iter().enumerate() {
        add(
            format!("/candidates/{i}/bidder/credit_code"),
            &c.bidder.credit_code,
        );
    }
    for (i, a) in ann.awards.iter().enumerate() {
        add(
            format!("/awards/{i}/winner/credit_code"),
            &a.winner.credit_code,
        );
        for (j, m) in a.consortium_members.iter().enumerate() {
            add(
                format!("/awards/{i}/consortium_members/{j}/credit_code"),
                &m.credit_code,
            );
        }
    }
    all.insert(
        0,
        (
            "/operators/platform_code".into(),
            &ann.operators.platform_code,
        ),
    );
    for (path, code) in all {
        if !code.check_digit_ok() {
            out.push(Finding::new(
                "credit_code.check_digit",
                policy.credit_check_digit,
                path,
                format!(
                    "the check character of {code} should be {} (GB 32100-2015)",
                    code.expected_check_char()
                ),
                format!(
                    "统一社会信用代码 {code} 校验位应为 {}（GB 32100-2015）",
                    code.expected_check_char()
                ),
            ));
        }
    }
}

fn regions(ann: &Announcement, tables: &Tables, out: &mut Vec<Finding>) {
    let date = ann.times.published.to_offset(CST).date();
    for (path, code) in [("/region", ann.region), ("/trade_place", ann.trade_place)] {
        region(tables, path, code, date, out);
    }
}

fn region(tables: &Tables, path: &str, code: RegionCode, date: time::Date, out: &mut Vec<Finding>) {
    match tables.region_status(code, date) {
        RegionStatus::Valid(_) => {}
        RegionStatus::Unknown => out.push(Finding::error(
            "region.unknown",
            path,
            format!("{code} is not a known region code of Shanghai, Jiangsu or Zhejiang"),
            format!("{code} 不是沪苏浙已知的行政区划代码"),
        )),
        RegionStatus::NotValid(r) => {
            let hint_en = r
                .successor
                .map(|s| format!("; use {s}"))
                .unwrap_or_default();
            let hint_zh = r
                .successor
                .map(|s| format!("，应使用 {s}"))
                .unwrap_or_default();
            out.push(Finding::error(
                "region.not_valid_at",
                path,
                format!(
                    "{code} ({}) was not a valid region code on {date}{hint_en}",
                    r.name_en
                ),
                format!(
                    "{code}（{}）在 {date} 不是有效的行政区划代码{hint_zh}",
                    r.name_zh
                ),
            ));
        }
    }
}

fn times(ann: &Announcement, out: &mut Vec<Finding>) {
    let t = &ann.times;
    let mut chain: Vec<(&str, time::OffsetDateTime)> = Vec::new();
    // A later version (correction, extension ...) is published after the original's window opened.
    if !ann.kind.is_version() {
        chain.push(("published", t.published));
    }
    for (name, v) in [
        ("documents_from", t.documents_from),
        ("documents_until", t.documents_until),
        ("bid_deadline", t.bid_deadline),
        ("bid_opening", t.bid_opening),
    ] {
        if let Some(v) = v {
            chain.push((name, v));
        }
    }
    for w in chain.windows(2) {
        if w[1].1 < w[0].1 {
            out.push(order(w[1].0, w[0].0));
        }
    }
    if let (Some(s), Some(e)) = (t.publicity_start, t.publicity_end)
        && e < s
    {
        out.push(order("publicity_end", "publicity_start"));
    }
}

fn order(later: &str, earlier: &str) -> Finding {
    Finding::error(
        "time.order",
        format!("/times/{later}"),
        format!(
            "{later} is before {earlier} (expected published <= documents <= bid deadline <= opening)"
        ),
        format!(
            "时间顺序错误：{later} 早于 {earlier}（应为 发布 <= 文件获取 <= 投标截止 <= 开标）"
        ),
    )
}

fn bidding_period(ann: &Announcement, policy: &ValidationPolicy, out: &mut Vec<Finding>) {
    let Some(severity) = policy.min_bidding_period else {
        return;
    };
    if ann.kind != NoticeKind::Tender
        || !matches!(
            ann.category,
            TradeCategory::Construction | TradeCategory::GovernmentProcurement
        )
    {
        return;
    }
    let t = &ann.times;
    let (Some(deadline), start) = (t.bid_deadline, t.documents_from.unwrap_or(t.published)) else {
        return;
    };
    let min = time::Duration::days(i64::from(policy.min_bidding_days));
    if deadline - start < min {
        let days = (deadline - start).whole_days();
        out.push(Finding::new(
            "tender.min_bidding_period",
            severity,
            "/times/bid_deadline",
            format!(
                "only {days} day(s) from the documents to the bid deadline; the statutory minimum is {} days",
                policy.min_bidding_days
            ),
            format!(
                "自招标文件发出之日起至投标截止仅 {days} 日，少于法定最短 {} 日",
                policy.min_bidding_days
            ),
        ));
    }
}

fn amounts(ann: &Announcement, out: &mut Vec<Finding>) {
    let mut all: Vec<(String, &Money)> = Vec::new();
    if let Some(b) = &ann.budget {
        all.push(("/budget".into(), b));
    }
    for (i, s) in ann.sections.iter().enumerate() {
        if let Some(b) = &s.budget {
            all.push((format!("/sections/{i}/budget"), b));
        }
    }
    for (i, c) in ann.candidates.iter().enumerate() {
        all.push((format!("/candidates/{i}/bid_price"), &c.bid_price));
        if let Some(e) = &c.evaluated_price {
            all.push((format!("/candidates/{i}/evaluated_price"), e));
        }
    }
    for (i, a) in ann.awards.iter().enumerate() {
        all.push((format!("/awards/{i}/price"), &a.price));
    }
    for (path, m) in all {
        if m.amount.is_sign_negative() && !m.amount.is_zero() {
            out.push(Finding::error(
                "amount.negative",
                format!("{path}/amount"),
                format!("the amount {} is negative", m.amount),
                format!("金额 {} 为负数", m.amount),
            ));
        }
        if (m.form == PriceForm::Rate) != (m.unit == MoneyUnit::Percent) {
            out.push(Finding::error(
                "amount.unit_form_mismatch",
                format!("{path}/unit"),
                "a rate is stated in percent and only a rate is",
                "费率应以百分比表示，且只有费率以百分比表示",
            ));
        }
    }
}

fn sections(ann: &Announcement, out: &mut Vec<Finding>) {
    let mut seen = BTreeSet::new();
    for (i, s) in ann.sections.iter().enumerate() {
        if !seen.insert(s.code.as_str()) {
            out.push(Finding::error(
                "section.duplicate_code",
                format!("/sections/{i}/code"),
                format!("the section code {} appears more than once", s.code),
                format!("标段编号 {} 重复", s.code),
            ));
        }
    }
    if ann.sections.is_empty() {
        return;
    }
    let mut refs: Vec<(String, &str)> = Vec::new();
    for (i, c) in ann.candidates.iter().enumerate() {
        refs.push((format!("/candidates/{i}/section_code"), &c.section_code));
    }
    for (i, a) in ann.awards.iter().enumerate() {
        refs.push((format!("/awards/{i}/section_code"), &a.section_code));
    }
    for (path, code) in refs {
        if !seen.contains(code) {
            out.push(Finding::error(
                "section.unknown_reference",
                path,
                format!("no section has the code {code}"),
                format!("标段编号 {code} 不存在"),
            ));
        }
    }
}

fn kind_rules(ann: &Announcement, out: &mut Vec<Finding>) {
    if ann.kind.is_version() && ann.original.is_none() {
        out.push(Finding::error(
            "amendment.original_missing",
            "/original",
            format!("a {} notice must reference the original notice", ann.kind),
            "更正、澄清、延期或终止公告必须引用原公告",
        ));
    }
    if !ann.kind.is_version() && ann.original.is_some() {
        out.push(Finding::error(
            "amendment.unexpected_original",
            "/original",
            format!("a {} notice is not a version of another notice", ann.kind),
            "此类公告不应引用原公告",
        ));
    }
    let need = |ok: bool, code: &str, path: &str, en: &str, zh: &str, out: &mut Vec<Finding>| {
        if !ok {
            out.push(Finding::error(code, path, en, zh));
        }
    };
    match ann.kind {
        NoticeKind::CandidatePublicity => need(
            !ann.candidates.is_empty(),
            "candidates.missing",
            "/candidates",
            "a candidate publicity lists its candidates",
            "中标候选人公示须列出候选人",
            out,
        ),
        NoticeKind::AwardResult => need(
            !ann.awards.is_empty(),
            "awards.missing",
            "/awards",
            "an award result names its winners",
            "中标结果公告须列出中标人",
            out,
        ),
        NoticeKind::Termination => need(
            ann.termination.is_some(),
            "termination.missing",
            "/termination",
            "a termination gives its type and reason",
            "终止公告须说明类型和原因",
            out,
        ),
        NoticeKind::Extension => need(
            ann.times.bid_deadline.is_some(),
            "extension.deadline_missing",
            "/times/bid_deadline",
            "a deadline extension gives the new bid deadline",
            "延期公告须给出新的投标截止时间",
            out,
        ),
        _ => {}
    }
    if ann.kind == NoticeKind::Correction && ann.changes.is_empty() {
        out.push(Finding::warning(
            "amendment.changes_missing",
            "/changes",
            "a correction should list what it changes",
            "更正公告应列明变更事项",
        ));
    }
}
