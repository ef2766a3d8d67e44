//! The canonical announcement model.
//!
//! Field names follow the national public-resource trading data specification (V2.0, 2018), in
//! `snake_case`. Every instant is an [`OffsetDateTime`] at +08:00 (Beijing time); every amount is an exact
//! [`Decimal`] with its currency, unit and price form. Values that are not valid by construction
//! (credit codes, region codes) are newtypes that check their format when built.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::codes::{CreditCode, PlatformId, ProjectType, RegionCode};

/// The placeholder OCDS prefix used to derive `ocid`s.
///
/// `ocds-yrd001-` is **not registered** with the Open Contracting Partnership: it stands in until the
/// demonstration zone registers its own prefix, and changing it changes every `ocid` the gateway emits.
pub const OCID_PREFIX: &str = "ocds-yrd001-";

/// One trading announcement in the canonical model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Announcement {
    /// What kind of notice this is.
    pub kind: NoticeKind,
    /// The trade category (business line).
    pub category: TradeCategory,
    /// Where the notice comes from: the publishing platform and its own id for the notice.
    pub source: Provenance,
    /// The number printed on the notice (`TENDER_SELF_CODE`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice_number: Option<String>,
    /// For a correction, clarification, extension or termination: the notice it changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original: Option<OriginalRef>,
    /// Title (`NOTICE_NAME`).
    pub title: String,
    /// HTML body (`NOTICE_CONTENT`).
    pub body_html: String,
    /// The tender (or purchase) project.
    pub project: Project,
    /// Sections (lots) of the project, in document order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sections: Vec<Section>,
    /// Unified deal codes (opaque, up to 40 characters each).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unified_deal_codes: Vec<String>,
    /// The tenderer (purchaser, seller of rights).
    pub tenderer: Party,
    /// The tender agency; absent when self-tendering.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency: Option<Party>,
    /// Credit codes of the trading platform and the public service platform operators.
    pub operators: Operators,
    /// Where the project is (`REGION_CODE`).
    pub region: RegionCode,
    /// Where the trade takes place (`TRA_PLACE_CODE`).
    pub trade_place: RegionCode,
    /// The notice's times.
    pub times: Times,
    /// Budget or ceiling price of the whole project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<Money>,
    /// What a correction, clarification or extension changes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    /// Ranked candidates (candidate publicity).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<Candidate>,
    /// Winners (award result).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub awards: Vec<Award>,
    /// Why and how the procedure ended (termination / failed tender).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination: Option<Termination>,
    /// Attached documents.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// Fields of some source format that the canonical model has no place for, by `dialect.field` key.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extensions: BTreeMap<String, serde_json::Value>,
}

/// The kind of a notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// Tender notice (招标公告 / 采购公告).
    Tender,
    /// Prequalification notice (资格预审公告).
    Prequalification,
    /// Correction (更正公告 / 变更公告).
    Correction,
    /// Clarification (澄清公告).
    Clarification,
    /// Deadline extension (延期公告).
    Extension,
    /// Candidate publicity (中标候选人公示).
    CandidatePublicity,
    /// Award result (中标结果公告 / 成交公告).
    AwardResult,
    /// Termination or failed tender (终止 / 流标 / 废标).
    Termination,
}

impl NoticeKind {
    /// Every kind, in declaration order.
    pub const ALL: [NoticeKind; 8] = [
        NoticeKind::Tender,
        NoticeKind::Prequalification,
        NoticeKind::Correction,
        NoticeKind::Clarification,
        NoticeKind::Extension,
        NoticeKind::CandidatePublicity,
        NoticeKind::AwardResult,
        NoticeKind::Termination,
    ];

    /// The `snake_case` name used in the canonical JSON and in the code tables.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Tender => "tender",
            NoticeKind::Prequalification => "prequalification",
            NoticeKind::Correction => "correction",
            NoticeKind::Clarification => "clarification",
            NoticeKind::Extension => "extension",
            NoticeKind::CandidatePublicity => "candidate_publicity",
            NoticeKind::AwardResult => "award_result",
            NoticeKind::Termination => "termination",
        }
    }

    /// Whether a notice of this kind is a new version of an existing notice.
    pub fn is_version(self) -> bool {
        matches!(
            self,
            NoticeKind::Correction
                | NoticeKind::Clarification
                | NoticeKind::Extension
                | NoticeKind::Termination
        )
    }
}

impl FromStr for NoticeKind {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NoticeKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownName(s.to_owned()))
    }
}

impl fmt::Display for NoticeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of an enum's names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown name `{0}`")]
pub struct UnknownName(pub String);

/// The trade category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TradeCategory {
    /// Construction works (工程建设).
    Construction,
    /// Government procurement (政府采购).
    GovernmentProcurement,
    /// Land use rights (土地使用权).
    LandUse,
    /// Mining rights (矿业权).
    Mining,
    /// State-owned property rights (国有产权).
    StateProperty,
    /// Other trades (其他).
    Other,
}

impl TradeCategory {
    /// Every category, in declaration order.
    pub const ALL: [TradeCategory; 6] = [
        TradeCategory::Construction,
        TradeCategory::GovernmentProcurement,
        TradeCategory::LandUse,
        TradeCategory::Mining,
        TradeCategory::StateProperty,
        TradeCategory::Other,
    ];

    /// The `snake_case` name used in the canonical JSON and in the code tables.
    pub fn as_str(self) -> &'static str {
        match self {
            TradeCategory::Construction => "construction",
            TradeCategory::GovernmentProcurement => "government_procurement",
            TradeCategory::LandUse => "land_use",
            TradeCategory::Mining => "mining",
            TradeCategory::StateProperty => "state_property",
            TradeCategory::Other => "other",
        }
    }
}

impl FromStr for TradeCategory {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TradeCategory::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownName(s.to_owned()))
    }
}

impl fmt::Display for TradeCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a notice comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// The publishing platform (`shanghai`, `jiangsu`, `zhejiang`, ...).
    pub platform: PlatformId,
    /// The platform's own id of this document.
    pub notice_id: String,
    /// Where the platform publishes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// The notice that a correction, clarification, extension or termination changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OriginalRef {
    /// The original notice's source id (on the same platform).
    pub notice_id: String,
    /// The original's printed number, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice_number: Option<String>,
}

/// The tender or purchase project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Project {
    /// Tender project code (`TENDER_PROJECT_CODE` / `PURCHASE_PROJECT_CODE`).
    pub code: String,
    /// Project name.
    pub name: String,
    /// Construction project type (A01..A99), for construction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_type: Option<ProjectType>,
}

/// A section (lot, 标段/包).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    /// Section code (`BID_SECTION_CODE`).
    pub code: String,
    /// Section name.
    pub name: String,
    /// Budget or ceiling price of the section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<Money>,
}

/// An organisation: tenderer, agency, bidder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Party {
    /// Name.
    pub name: String,
    /// Unified social credit code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_code: Option<CreditCode>,
    /// Address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Contact person and means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
}

/// A contact person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Name.
    pub name: String,
    /// Phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// Credit codes of the platforms that carried the notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operators {
    /// Trading platform operator (`PLATFORM_CODE`).
    pub platform_code: CreditCode,
    /// Public service platform operator (`PUB_SERVICE_PLAT_CODE`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_platform_code: Option<CreditCode>,
}

/// The times of a notice, each at +08:00.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Times {
    /// When the notice was published (`NOTICE_SEND_TIME`).
    #[serde(with = "crate::model::cst")]
    pub published: OffsetDateTime,
    /// Tender documents available from (`DOC_GET_START_TIME`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::model::cst_opt"
    )]
    pub documents_from: Option<OffsetDateTime>,
    /// Tender documents available until (`DOC_GET_END_TIME`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::model::cst_opt"
    )]
    pub documents_until: Option<OffsetDateTime>,
    /// Bid deadline (`BID_DOC_REFER_END_TIME`; after an extension, the new deadline).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::model::cst_opt"
    )]
    pub bid_deadline: Option<OffsetDateTime>,
    /// Bid opening (`BID_OPEN_TIME`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::model::cst_opt"
    )]
    pub bid_opening: Option<OffsetDateTime>,
    /// Publicity period start (`PUBLICITY_START_TIME`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::model::cst_opt"
    )]
    pub publicity_start: Option<OffsetDateTime>,
    /// Publicity period end (`PUBLICITY_END_TIME`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::model::cst_opt"
    )]
    pub publicity_end: Option<OffsetDateTime>,
}

/// An exact amount of money or a rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Money {
    /// The value, exact; trailing zeros are not significant.
    #[serde(with = "crate::model::dec")]
    pub amount: Decimal,
    /// ISO 4217 currency.
    #[serde(default)]
    pub currency: Currency,
    /// Unit of `amount`.
    pub unit: MoneyUnit,
    /// Price form (`PRICE_FORM_CODE`).
    pub form: PriceForm,
}

impl Money {
    /// The amount in yuan, when the unit is a currency unit (`None` for a percentage or overflow).
    pub fn in_yuan(&self) -> Option<Decimal> {
        match self.unit {
            MoneyUnit::Yuan => Some(self.amount),
            MoneyUnit::TenThousandYuan => self.amount.checked_mul(Decimal::from(10_000)),
            MoneyUnit::Percent => None,
        }
    }
}

/// An ISO 4217 currency code (three capital letters).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(String);

impl Currency {
    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Currency {
    fn default() -> Self {
        Currency("CNY".to_owned())
    }
}

impl TryFrom<String> for Currency {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        if s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Currency(s))
        } else {
            Err(format!("`{s}` is not an ISO 4217 currency code"))
        }
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.0
    }
}

/// The unit of an amount (`PRICE_UNIT`, extended with percent for rates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MoneyUnit {
    /// 元.
    Yuan,
    /// 万元 (10,000 yuan).
    TenThousandYuan,
    /// Percent (for a rate such as a discount rate).
    Percent,
}

/// The price form (`PRICE_FORM_CODE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceForm {
    /// 1: an amount.
    Amount,
    /// 2: a rate (e.g. discount rate, in percent).
    Rate,
    /// 3: a unit price.
    UnitPrice,
    /// 9: other.
    Other,
}

impl PriceForm {
    /// The national code (1, 2, 3, 9).
    pub fn code(self) -> u8 {
        match self {
            PriceForm::Amount => 1,
            PriceForm::Rate => 2,
            PriceForm::UnitPrice => 3,
            PriceForm::Other => 9,
        }
    }

    /// From the national code.
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(PriceForm::Amount),
            2 => Some(PriceForm::Rate),
            3 => Some(PriceForm::UnitPrice),
            9 => Some(PriceForm::Other),
            _ => None,
        }
    }
}

/// One change made by a correction, clarification or extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// What changed (free text, e.g. 投标截止时间).
    pub item: String,
    /// The value before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    /// The value after.
    pub after: String,
}

/// A bidder named in a result: candidate, winner or consortium member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bidder {
    /// Name.
    pub name: String,
    /// Unified social credit code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_code: Option<CreditCode>,
}

/// A ranked candidate in a candidate publicity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Candidate {
    /// The section this candidate is ranked in.
    pub section_code: String,
    /// Rank, from 1.
    pub rank: u32,
    /// The candidate.
    pub bidder: Bidder,
    /// Bid price.
    pub bid_price: Money,
    /// Evaluated price, when different from the bid price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluated_price: Option<Money>,
}

/// A winner in an award result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Award {
    /// The section awarded.
    pub section_code: String,
    /// The winner (the lead member of a consortium).
    pub winner: Bidder,
    /// The awarded price or rate.
    pub price: Money,
    /// The other members of a winning consortium.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consortium_members: Vec<Bidder>,
}

/// How a procedure ended early.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Termination {
    /// The exception type.
    pub kind: TerminationKind,
    /// The reason given.
    pub reason: String,
    /// When the termination was approved.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::model::cst_opt"
    )]
    pub approved_at: Option<OffsetDateTime>,
}

/// The exception type of a termination (`EXCEPTION` code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TerminationKind {
    /// 1: failed tender (流标).
    FailedTender,
    /// 2: opening terminated.
    OpeningTerminated,
    /// 3: notice withdrawn.
    Withdrawn,
    /// 9: other.
    Other,
}

impl TerminationKind {
    /// The national code (1, 2, 3, 9).
    pub fn code(self) -> u8 {
        match self {
            TerminationKind::FailedTender => 1,
            TerminationKind::OpeningTerminated => 2,
            TerminationKind::Withdrawn => 3,
            TerminationKind::Other => 9,
        }
    }

    /// From the national code.
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(TerminationKind::FailedTender),
            2 => Some(TerminationKind::OpeningTerminated),
            3 => Some(TerminationKind::Withdrawn),
            9 => Some(TerminationKind::Other),
            _ => None,
        }
    }
}

/// An attached document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// File name.
    pub name: String,
    /// Where to fetch it.
    pub url: String,
    /// SHA-256 of its bytes, 64 lowercase hex digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

/// The identity of a notice: `(source platform, source notice id)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NoticeId {
    /// The platform that published the notice and owns it.
    pub platform: PlatformId,
    /// The platform's id of the notice.
    pub notice_id: String,
}

impl fmt::Display for NoticeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.platform, self.notice_id)
    }
}

/// Whether a document starts a notice or is a new version of one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Versioning {
    /// A notice of its own (tender, prequalification, candidate publicity, award result).
    NewNotice,
    /// A new version of an existing notice (correction, clarification, extension, termination).
    NewVersion {
        /// The notice it is a version of.
        of: NoticeId,
        /// What kind of change it is.
        change: NoticeKind,
    },
}

/// How a candidate publicity or award result is linked to its tender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenderLink {
    /// The tender project code.
    pub project_code: String,
    /// The section codes concerned, in document order, without duplicates.
    pub section_codes: Vec<String>,
}

impl Announcement {
    /// The identity of the notice this document belongs to: for a new version (correction,
    /// clarification, extension, termination) that of the original notice, otherwise its own.
    pub fn identity(&self) -> NoticeId {
        match (&self.original, self.kind.is_version()) {
            (Some(original), true) => NoticeId {
                platform: self.source.platform.clone(),
                notice_id: original.notice_id.clone(),
            },
            _ => self.document_id(),
        }
    }

    /// The identity of this document itself: `(source platform, source notice id)`.
    pub fn document_id(&self) -> NoticeId {
        NoticeId {
            platform: self.source.platform.clone(),
            notice_id: self.source.notice_id.clone(),
        }
    }

    /// Whether this document is a new notice or a new version of an existing one.
    pub fn versioning(&self) -> Versioning {
        match (&self.original, self.kind.is_version()) {
            (Some(_), true) => Versioning::NewVersion {
                of: self.identity(),
                change: self.kind,
            },
            _ => Versioning::NewNotice,
        }
    }

    /// The tender a candidate publicity or award result belongs to; `None` for other kinds.
    pub fn tender_link(&self) -> Option<TenderLink> {
        let codes: Vec<&str> = match self.kind {
            NoticeKind::CandidatePublicity => self
                .candidates
                .iter()
                .map(|c| c.section_code.as_str())
                .collect(),
            NoticeKind::AwardResult => self
                .awards
                .iter()
                .map(|a| a.section_code.as_str())
                .collect(),
            _ => return None,
        };
        let mut seen = std::collections::BTreeSet::new();
        let section_codes: Vec<String> = codes
            .into_iter()
            .filter(|c| seen.insert(*c))
            .map(str::to_owned)
            .collect();
        Some(TenderLink {
            project_code: self.project.code.clone(),
            section_codes,
        })
    }

    /// The OCDS `ocid` of the contracting process: [`OCID_PREFIX`] followed by the tender project
    /// code, so every notice about one tender shares it.
    pub fn ocid(&self) -> String {
        format!("{OCID_PREFIX}{}", self.project.code)
    }
}

/// Serde for a [`Decimal`] as a normalised string (`"1200.5"`, never a JSON number).
pub(crate) mod dec {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&d.normalize().to_string())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let s = String::deserialize(d)?;
        crate::model::parse_decimal(&s)
            .map_err(|_| serde::de::Error::custom(format!("`{s}` is not a decimal number")))
    }
}

/// Parses a plain decimal (`-?digits(.digits)?`), refusing exponents, spaces and `+`.
pub(crate) fn parse_decimal(s: &str) -> Result<Decimal, ()> {
    let body = s.strip_prefix('-').unwrap_or(s);
    let mut parts = body.splitn(2, '.');
    let int = parts.next().unwrap_or("");
    let frac = parts.next();
    let ok = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    if !ok {
        return Err(());
    }
    Decimal::from_str_exact(s)
        .map_err(|_| ())
        .map(|d| d.normalize())
}

/// Beijing time (+08:00).
pub const CST: time::UtcOffset = time::macros::offset!(+8);

/// Serde for an instant as RFC 3339 at +08:00.
pub(crate) mod cst {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::OffsetDateTime;
    use time::format_description::well_known::Rfc3339;

    pub(crate) fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        let text = t
            .to_offset(super::CST)
            .format(&Rfc3339)
            .map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
        let s = String::deserialize(d)?;
        OffsetDateTime::parse(&s, &Rfc3339)
            .map(|t| t.to_offset(super::CST))
            .map_err(|_| serde::de::Error::custom(format!("`{s}` is not an RFC 3339 time")))
    }
}

/// Serde for an optional instant as RFC 3339 at +08:00.
pub(crate) mod cst_opt {
    use serde::{Deserializer, Serializer};
    use time::OffsetDateTime;

    pub(crate) fn serialize<S: Serializer>(
        t: &Option<OffsetDateTime>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => super::cst::serialize(t, s),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        super::cst::deserialize(d).map(Some)
    }
}
