//! Pieces every dialect module uses: the collected parts of an announcement, the write-error
//! collector, JSON output and the category-code error.

use serde_json::{Map, Value};

use super::text::{TimeFormat, convert, dec_text, inexact, unwritable_time};
use super::{Native, SourceMap};
use crate::codes::PlatformId;
use crate::finding::Finding;
use crate::model::*;

/// The fields a dialect reader collected, each `None` if missing or invalid.
pub(crate) struct Parts {
    pub(crate) kind: Option<NoticeKind>,
    pub(crate) category: Option<TradeCategory>,
    pub(crate) notice_id: Option<String>,
    pub(crate) platform: Option<PlatformId>,
    pub(crate) url: Option<String>,
    pub(crate) notice_number: Option<String>,
    pub(crate) original: Option<OriginalRef>,
    pub(crate) title: Option<String>,
    pub(crate) body_html: Option<String>,
    pub(crate) code: Option<String>,
    pub(crate) pname: Option<String>,
    pub(crate) project_type: Option<crate::codes::ProjectType>,
    pub(crate) sections: Vec<Section>,
    pub(crate) unified_deal_codes: Vec<String>,
    pub(crate) tenderer: Option<Party>,
    pub(crate) agency: Option<Party>,
    pub(crate) platform_code: Option<crate::codes::CreditCode>,
    pub(crate) service_platform_code: Option<crate::codes::CreditCode>,
    pub(crate) region: Option<crate::codes::RegionCode>,
    pub(crate) trade_place: Option<crate::codes::RegionCode>,
    pub(crate) published: Option<time::OffsetDateTime>,
    pub(crate) documents_from: Option<time::OffsetDateTime>,
    pub(crate) documents_until: Option<time::OffsetDateTime>,
    pub(crate) bid_deadline: Option<time::OffsetDateTime>,
    pub(crate) bid_opening: Option<time::OffsetDateTime>,
    pub(crate) publicity_start: Option<time::OffsetDateTime>,
    pub(crate) publicity_end: Option<time::OffsetDateTime>,
    pub(crate) budget: Option<Money>,
    pub(crate) changes: Vec<Change>,
    pub(crate) candidates: Vec<Candidate>,
    pub(crate) awards: Vec<Award>,
    pub(crate) termination: Option<Termination>,
    pub(crate) attachments: Vec<Attachment>,
}

/// Builds the announcement when every required part is there.
pub(crate) fn finish(
    p: Parts,
    map: SourceMap,
    patches: Map<String, Value>,
    area: &str,
) -> Option<Native> {
    let announcement = Announcement {
        kind: p.kind?,
        category: p.category?,
        source: Provenance {
            platform: p.platform?,
            notice_id: p.notice_id?,
            url: p.url,
        },
        notice_number: p.notice_number,
        original: p.original,
        title: p.title?,
        body_html: p.body_html?,
        project: Project {
            code: p.code?,
            name: p.pname?,
            project_type: p.project_type,
        },
        sections: p.sections,
        unified_deal_codes: p.unified_deal_codes,
        tenderer: p.tenderer?,
        agency: p.agency,
        operators: Operators {
            platform_code: p.platform_code?,
            service_platform_code: p.service_platform_code,
        },
        region: p.region?,
        trade_place: p.trade_place?,
        times: Times {
            published: p.published?,
            documents_from: p.documents_from,
            documents_until: p.documents_until,
            bid_deadline: p.bid_deadline,
            bid_opening: p.bid_opening,
            publicity_start: p.publicity_start,
            publicity_end: p.publicity_end,
        },
        budget: p.budget,
        changes: p.changes,
        candidates: p.candidates,
        awards: p.awards,
        termination: p.termination,
        attachments: p.attachments,
        extensions: Default::default(),
    };
    Some(Native {
        announcement,
        map,
        patches,
        patches_path: area.to_owned(),
    })
}

/// Collects write errors.
#[derive(Default)]
pub(crate) struct Out {
    pub(crate) errors: Vec<Finding>,
}

impl Out {
    pub(crate) fn time(&mut self, path: &str, t: time::OffsetDateTime, fmt: TimeFormat) -> String {
        match fmt.format(t) {
            Some(s) => s,
            None => {
                self.errors.push(unwritable_time(path, t));
                String::new()
            }
        }
    }

    /// An amount in `to` (unless a percentage, which is written as is).
    pub(crate) fn amount(&mut self, path: &str, m: &Money, to: MoneyUnit) -> String {
        if m.unit == MoneyUnit::Percent {
            return dec_text(m.amount);
        }
        match convert(m.amount, m.unit, to) {
            Some(d) => dec_text(d),
            None => {
                self.errors.push(inexact(path, m.amount, m.unit, to));
                String::new()
            }
        }
    }
}

/// Pretty JSON with a final newline.
pub(crate) fn json_bytes(v: &Value) -> Result<Vec<u8>, Vec<Finding>> {
    let mut out = serde_json::to_vec_pretty(v).map_err(|e| {
        vec![Finding::error(
            "internal.serialize",
            "",
            e.to_string(),
            format!("序列化失败：{e}"),
        )]
    })?;
    out.push(b'\n');
    Ok(out)
}

/// The finding for a category and kind a dialect has no code for.
pub(crate) fn no_code(dialect: &str, ann: &Announcement) -> Finding {
    Finding::error(
        "translate.no_category_code",
        "/category",
        format!(
            "{dialect} has no category code for a {} {} notice",
            ann.category, ann.kind
        ),
        format!(
            "{dialect} 没有对应 {} / {} 公告的分类代码",
            ann.category, ann.kind
        ),
    )
}

/// The unit a fixed-unit dialect states currency amounts in, from `units.csv` (`default` when the
/// table says the document declares it, which a fixed-unit format cannot).
pub(crate) fn fixed_unit(
    tables: &crate::tables::Tables,
    dialect: &str,
    default: MoneyUnit,
) -> MoneyUnit {
    match tables.amount_unit(dialect) {
        crate::tables::AmountUnitRule::Yuan => MoneyUnit::Yuan,
        crate::tables::AmountUnitRule::TenThousandYuan => MoneyUnit::TenThousandYuan,
        crate::tables::AmountUnitRule::Declared => default,
    }
}
