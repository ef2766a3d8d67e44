//! The canonical trading-announcement model and the provincial dialects it translates between.
//!
//! A platform hands the gateway an announcement in its own format (a [`Dialect`]); [`parse`] reads it
//! into the canonical [`Announcement`], checking structure and the canonical rules and reporting every
//! [`Finding`] at once; [`render`] writes an announcement in any dialect (or as an OCDS release
//! package); [`translate`] does both; [`check_translatable`] tells whether every province (and OCDS)
//! can receive an announcement.
//!
//! ```
//! use interchange::{Dialect, Tables, ValidationPolicy, translate};
//! let tables = Tables::builtin().expect("the shipped tables parse");
//! let policy = ValidationPolicy::default();
//! let xml = include_bytes!("../../seeds/announcements/shanghai/ok/01-construction-tender.xml");
//! let out = translate(Dialect::Shanghai, Dialect::Jiangsu, xml, &tables, &policy).expect("valid");
//! assert!(out.warnings.is_empty());
//! ```
//!
//! # Architecture invariants
//!
//! - **Pure.** No I/O, no clock, no globals: code tables come in as a [`Tables`] value (built once
//!   from the CSV files under `schemas/codes/`, embedded); validity checks use the document's own
//!   publication time. `clippy.toml` bans the clock in this crate.
//! - **Lossless.** Rendering writes the target's own fields, reads them back, and stores whatever did
//!   not survive as JSON-pointer patches in the target's extension area (`<extension>` in Shanghai's
//!   XML, `ext` for Jiangsu, `EXTENSION` for Zhejiang); parsing applies them. So `A -> B -> A` gives
//!   the same canonical announcement for every pair, and an amount's unit travels as a `/unit` patch
//!   that converts exactly. A value the target cannot hold at all (an amount not exact in 万元, a
//!   character XML 1.0 forbids, a year without four digits, a `;` inside a Zhejiang list) fails with a
//!   `translate.*` finding instead of being approximated.
//! - **Every problem at once, located.** Findings carry a stable rule id (metric label), severity,
//!   the path in the source document (JSON pointer, XPath-like path, `#byte=N` or `#line=N`) and
//!   English and Chinese messages. Canonical rules work on canonical pointers; each dialect reader
//!   records where it read each field so the finding points into the source document.
//! - **Hostile input is refused early.** Size before anything; XML DOCTYPEs and non-predefined
//!   entities refused; nesting bounded; bytes invalid in the declared encoding reported with their
//!   offset, never replaced; duplicate JSON keys refused; amounts never read from JSON numbers.
//! - **Deterministic.** The same input gives byte-identical output: no processing times, random ids
//!   or hash-map iteration order in any document.
//!
//! # Dialects
//!
//! | dialect | format | times | amounts | kind and category |
//! |---|---|---|---|---|
//! | `shanghai` | XML, root per kind (`tenderBulletin`, `amendBulletin`, `winCandidateBulletin`, `winBidBulletin`, `terminateBulletin`), UTF-8 or GB18030/GBK | `yyyy-MM-ddTHH:mm:ss` | 元 | root + `bulletinType`/`amendType`, `channel` code |
//! | `jiangsu` | vendor JSON, lowercase keys | `yyyy-MM-dd HH:mm:ss` | 万元 (decimal strings) | `categorynum` (003xxxyyy) + title keywords |
//! | `zhejiang` | JSON, national UPPER_SNAKE names | `yyyyMMddHHmmss` | `PRICE_UNIT` 0 元 / 1 万元 | `CATEGORY_CODE` (002xxxyyy) + `NOTICE_NATURE`, `BULLETIN_TYPE`, `EXCEPTION_TYPE`, title keywords |
//! | `canonical` | the model as JSON (`schemas/canonical/`) | RFC 3339 +08:00 | decimal strings with unit | explicit |
//! | `ocds` | OCDS 1.1 release package, output only | RFC 3339 | yuan, JSON numbers (exact or refused) | tags, tender and award status |
//!
//! Identity for storage: [`Announcement::identity`] (the notice a document belongs to),
//! [`Announcement::document_id`], [`Announcement::versioning`] (new notice, or new version of which
//! notice), [`Announcement::tender_link`] (project and section codes of candidate publicity and award
//! results) and [`Announcement::ocid`] (placeholder prefix [`OCID_PREFIX`]).

mod codes;
mod dialect;
mod finding;
mod model;
mod ocds;
mod patch;
mod policy;
mod tables;
mod validate;

pub use codes::{
    CreditCode, CreditCodeError, PlatformId, PlatformIdError, ProjectType, ProjectTypeError,
    RegionCode, RegionCodeError,
};
pub use dialect::{
    Dialect, MAX_FINDINGS, Parsed, SCHEMA_FILES, Translated, UnknownDialect, check_translatable,
    parse, render, translate,
};
pub use finding::{Finding, Findings, Severity};
pub use model::{
    Announcement, Attachment, Award, Bidder, CST, Candidate, Change, Contact, Currency, Money,
    MoneyUnit, NoticeId, NoticeKind, OCID_PREFIX, Operators, OriginalRef, Party, PriceForm,
    Project, Provenance, Section, TenderLink, Termination, TerminationKind, Times, TradeCategory,
    UnknownName, Versioning,
};
pub use ocds::PUBLISHER;
pub use policy::ValidationPolicy;
pub use tables::{
    AmountUnitRule, CategoryCode, Region, RegionStatus, TableError, TableSources, Tables,
};
pub use validate::check;
