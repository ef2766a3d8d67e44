//! The dialects and the parse / render / translate pipeline.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};

use crate::finding::{Finding, Findings, Severity, Sink};
use crate::model::Announcement;
use crate::policy::ValidationPolicy;
use crate::tables::Tables;

pub(crate) mod canonical;
pub(crate) mod jiangsu;
pub(crate) mod json_read;
pub(crate) mod shanghai;
pub(crate) mod shared;
pub(crate) mod text;
pub(crate) mod xml_tree;
pub(crate) mod zhejiang;

/// A document format the gateway reads or writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dialect {
    /// The canonical JSON model (input and output).
    Canonical,
    /// Shanghai's XML bulletins (input and output).
    Shanghai,
    /// Jiangsu's vendor JSON with lowercase keys (input and output).
    Jiangsu,
    /// Zhejiang's JSON with the national UPPER_SNAKE names (input and output).
    Zhejiang,
    /// An OCDS 1.1 release package (output only).
    Ocds,
}

/// Every published contract file, as `(path under schemas/, text)`, embedded for serving under
/// `/v1/schemas/{path}`: the dialects' schemas, the OCDS release schema the package schema refers
/// to, and the code tables.
pub const SCHEMA_FILES: [(&str, &str); 12] = [
    (
        "canonical/announcement.schema.json",
        include_str!("../../../schemas/canonical/announcement.schema.json"),
    ),
    (
        "shanghai/bulletin.xsd",
        include_str!("../../../schemas/shanghai/bulletin.xsd"),
    ),
    (
        "jiangsu/announcement.schema.json",
        include_str!("../../../schemas/jiangsu/announcement.schema.json"),
    ),
    (
        "zhejiang/announcement.schema.json",
        include_str!("../../../schemas/zhejiang/announcement.schema.json"),
    ),
    (
        "ocds/release-package-schema.json",
        include_str!("../../../schemas/ocds/release-package-schema.json"),
    ),
    (
        "ocds/release-schema.json",
        include_str!("../../../schemas/ocds/release-schema.json"),
    ),
    (
        "codes/categories.csv",
        include_str!("../../../schemas/codes/categories.csv"),
    ),
    (
        "codes/category-keywords.csv",
        include_str!("../../../schemas/codes/category-keywords.csv"),
    ),
    (
        "codes/kind-keywords.csv",
        include_str!("../../../schemas/codes/kind-keywords.csv"),
    ),
    (
        "codes/regions.csv",
        include_str!("../../../schemas/codes/regions.csv"),
    ),
    (
        "codes/project-types.csv",
        include_str!("../../../schemas/codes/project-types.csv"),
    ),
    (
        "codes/units.csv",
        include_str!("../../../schemas/codes/units.csv"),
    ),
];

/// A dialect name that is not known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown dialect `{0}` (expected canonical, shanghai, jiangsu, zhejiang or ocds)")]
pub struct UnknownDialect(pub String);

impl Dialect {
    /// Every dialect.
    pub const ALL: [Dialect; 5] = [
        Dialect::Canonical,
        Dialect::Shanghai,
        Dialect::Jiangsu,
        Dialect::Zhejiang,
        Dialect::Ocds,
    ];

    /// The three provinces' dialects.
    pub const PROVINCES: [Dialect; 3] = [Dialect::Shanghai, Dialect::Jiangsu, Dialect::Zhejiang];

    /// The lowercase name (`shanghai`), used in URLs, the CLI and the code tables.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Canonical => "canonical",
            Dialect::Shanghai => "shanghai",
            Dialect::Jiangsu => "jiangsu",
            Dialect::Zhejiang => "zhejiang",
            Dialect::Ocds => "ocds",
        }
    }

    /// The media type of its documents.
    pub fn content_type(self) -> &'static str {
        match self {
            Dialect::Shanghai => "application/xml",
            _ => "application/json",
        }
    }

    /// The file extension of its documents (without dot).
    pub fn file_extension(self) -> &'static str {
        match self {
            Dialect::Shanghai => "xml",
            _ => "json",
        }
    }

    /// Whether documents in this dialect can be read.
    pub fn is_input(self) -> bool {
        self != Dialect::Ocds
    }

    /// The schema's path relative to the repository's `schemas/` folder (and to `/v1/schemas/`).
    pub fn schema_path(self) -> &'static str {
        match self {
            Dialect::Canonical => "canonical/announcement.schema.json",
            Dialect::Shanghai => "shanghai/bulletin.xsd",
            Dialect::Jiangsu => "jiangsu/announcement.schema.json",
            Dialect::Zhejiang => "zhejiang/announcement.schema.json",
            Dialect::Ocds => "ocds/release-package-schema.json",
        }
    }

    /// The schema's text (embedded), for serving under `/v1/schemas/`.
    pub fn schema(self) -> &'static str {
        let path = self.schema_path();
        SCHEMA_FILES
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, text)| *text)
            .unwrap_or_default()
    }
}

impl FromStr for Dialect {
    type Err = UnknownDialect;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Dialect::ALL
            .into_iter()
            .find(|d| d.name() == s)
            .ok_or_else(|| UnknownDialect(s.to_owned()))
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A document that was read and passed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// The announcement in the canonical model.
    pub announcement: Announcement,
    /// Warnings found (never errors).
    pub warnings: Vec<Finding>,
}

/// A translated document.
#[derive(Debug, Clone, PartialEq)]
pub struct Translated {
    /// The document in the target dialect.
    pub bytes: Vec<u8>,
    /// Warnings found while reading the source.
    pub warnings: Vec<Finding>,
}

/// Maps canonical JSON pointers to paths in the source document, so canonical rules report where
/// the offending value was written.
#[derive(Debug, Default, Clone)]
pub(crate) struct SourceMap {
    map: BTreeMap<String, String>,
    identity: bool,
}

impl SourceMap {
    /// The map of a document whose paths are the canonical pointers themselves.
    pub(crate) fn identity() -> Self {
        SourceMap {
            map: BTreeMap::new(),
            identity: true,
        }
    }

    pub(crate) fn record(&mut self, canonical: &str, source: &str) {
        self.map.insert(canonical.to_owned(), source.to_owned());
    }

    /// The source path of a canonical pointer: its own entry or that of its nearest ancestor.
    pub(crate) fn lookup(&self, canonical: &str) -> String {
        if self.identity {
            return canonical.to_owned();
        }
        let mut p = canonical;
        loop {
            if let Some(s) = self.map.get(p) {
                return s.clone();
            }
            match p.rfind('/') {
                Some(0) | None => return self.map.get("").cloned().unwrap_or_default(),
                Some(i) => p = &p[..i],
            }
        }
    }
}

/// What a dialect reader gives back: the announcement from the dialect's own fields, where each field
/// came from, and the extension area's patches with the area's path.
pub(crate) struct Native {
    pub(crate) announcement: Announcement,
    pub(crate) map: SourceMap,
    pub(crate) patches: Map<String, Value>,
    pub(crate) patches_path: String,
}

fn read_native(
    dialect: Dialect,
    bytes: &[u8],
    tables: &Tables,
    policy: &ValidationPolicy,
    sink: &mut Sink,
) -> Option<Native> {
    match dialect {
        Dialect::Canonical => canonical::read(bytes, policy, sink),
        Dialect::Shanghai => shanghai::read(bytes, tables, policy, sink),
        Dialect::Jiangsu => jiangsu::read(bytes, tables, policy, sink),
        Dialect::Zhejiang => zhejiang::read(bytes, tables, policy, sink),
        Dialect::Ocds => {
            sink.push(Finding::error(
                "dialect.output_only",
                "",
                "OCDS is an output format only",
                "OCDS 仅作为输出格式",
            ));
            None
        }
    }
}

fn write_native(
    dialect: Dialect,
    ann: &Announcement,
    tables: &Tables,
    patches: &Map<String, Value>,
) -> Result<Vec<u8>, Vec<Finding>> {
    match dialect {
        Dialect::Canonical => canonical::write(ann),
        Dialect::Shanghai => shanghai::write(ann, tables, patches),
        Dialect::Jiangsu => jiangsu::write(ann, tables, patches),
        Dialect::Zhejiang => zhejiang::write(ann, tables, patches),
        Dialect::Ocds => crate::ocds::write(ann),
    }
}

/// The most findings one document reports; a flood of them (a document made of unknown fields) ends
/// with one `findings.truncated` finding instead, so a problem document stays small.
pub const MAX_FINDINGS: usize = 1000;

fn capped(mut findings: Vec<Finding>) -> Findings {
    if findings.len() > MAX_FINDINGS {
        let more = findings.len() - MAX_FINDINGS;
        findings.truncate(MAX_FINDINGS);
        findings.push(Finding::error(
            "findings.truncated",
            "",
            format!("{more} more findings were not listed"),
            format!("另有 {more} 项问题未列出"),
        ));
    }
    Findings(findings)
}

/// Reads a document, checks its structure and the canonical rules, and returns the canonical
/// announcement with any warnings, or every finding when some is an error (at most
/// [`MAX_FINDINGS`] of them).
pub fn parse(
    dialect: Dialect,
    bytes: &[u8],
    tables: &Tables,
    policy: &ValidationPolicy,
) -> Result<Parsed, Findings> {
    let mut sink = Sink::default();
    if bytes.len() > policy.max_bytes {
        sink.push(Finding::error(
            "input.too_large",
            "",
            format!(
                "the document has {} bytes, more than the limit of {}",
                bytes.len(),
                policy.max_bytes
            ),
            format!(
                "文档大小 {} 字节，超过上限 {} 字节",
                bytes.len(),
                policy.max_bytes
            ),
        ));
        return Err(capped(sink.findings));
    }
    let native = read_native(dialect, bytes, tables, policy, &mut sink);
    // Structure errors that still let an announcement be built (an unknown field, a malformed
    // optional value) do not stop the canonical rules: every problem is reported at once.
    let Some(native) = native else {
        return Err(capped(sink.findings));
    };
    let mut map = native.map;
    let announcement = if native.patches.is_empty() {
        native.announcement
    } else {
        match apply_patches(
            native.announcement,
            &native.patches,
            &native.patches_path,
            &mut map,
        ) {
            Ok(a) => a,
            Err(f) => {
                sink.push(f);
                return Err(capped(sink.findings));
            }
        }
    };
    for f in crate::validate::check(&announcement, tables, policy) {
        let path = map.lookup(&f.path);
        sink.push(Finding { path, ..f });
    }
    if sink.has_errors() {
        Err(capped(sink.findings))
    } else {
        Ok(Parsed {
            announcement,
            warnings: sink.findings,
        })
    }
}

fn apply_patches(
    ann: Announcement,
    patches: &Map<String, Value>,
    area: &str,
    map: &mut SourceMap,
) -> Result<Announcement, Finding> {
    let bad = |why: String| {
        Finding::error(
            "extension.invalid",
            area,
            format!("the extension area does not fit the announcement: {why}"),
            format!("扩展区内容与公告不符：{why}"),
        )
    };
    let mut doc = serde_json::to_value(&ann).map_err(|e| bad(e.to_string()))?;
    for (pointer, value) in patches {
        crate::patch::apply(&mut doc, pointer, value, patches).map_err(&bad)?;
        map.record(pointer, area);
    }
    serde_json::from_value(doc).map_err(|e| bad(e.to_string()))
}

/// Writes an announcement in a dialect. Fields the dialect has no place for go to its extension
/// area; a value the dialect cannot represent at all fails with a precise finding whose path is the
/// canonical JSON pointer of the value (e.g. `/budget`), since the target document does not exist.
pub fn render(ann: &Announcement, target: Dialect, tables: &Tables) -> Result<Vec<u8>, Findings> {
    let empty = Map::new();
    let first = write_native(target, ann, tables, &empty).map_err(Findings)?;
    if matches!(target, Dialect::Canonical | Dialect::Ocds) {
        return Ok(first);
    }
    // Read our own output back (structure only) and carry whatever did not survive.
    let policy = ValidationPolicy {
        max_bytes: usize::MAX,
        ..ValidationPolicy::default()
    };
    let mut sink = Sink::default();
    let back = read_native(target, &first, tables, &policy, &mut sink);
    let back = match back {
        Some(b) if !sink.has_errors() => b,
        _ => {
            let mut findings = sink.findings;
            findings.retain(|f| f.severity == Severity::Error);
            for f in &mut findings {
                f.message_en = format!("cannot be represented in {target}: {}", f.message_en);
                f.message_zh = format!("无法用{}格式表示：{}", target.name(), f.message_zh);
            }
            return Err(Findings(findings));
        }
    };
    let want = serde_json::to_value(ann).map_err(|e| internal(e.to_string()))?;
    let mut have = serde_json::to_value(&back.announcement).map_err(|e| internal(e.to_string()))?;
    crate::patch::align_units(&want, &mut have);
    let mut patches = Map::new();
    crate::patch::diff("", &want, &have, &mut patches);
    if patches.is_empty() {
        Ok(first)
    } else {
        write_native(target, ann, tables, &patches).map_err(Findings)
    }
}

fn internal(why: String) -> Findings {
    Findings(vec![Finding::error(
        "internal.serialize",
        "",
        format!("the announcement could not be serialised: {why}"),
        format!("公告无法序列化：{why}"),
    )])
}

/// Checks that an announcement can be written in every province's dialect and as OCDS, reporting
/// every finding at once (each message names the target). Publishing uses it to refuse a notice that
/// some province could not receive.
pub fn check_translatable(ann: &Announcement, tables: &Tables) -> Result<(), Findings> {
    let mut all = Vec::new();
    for target in [
        Dialect::Shanghai,
        Dialect::Jiangsu,
        Dialect::Zhejiang,
        Dialect::Ocds,
    ] {
        if let Err(Findings(fs)) = render(ann, target, tables) {
            for f in fs {
                all.push(Finding {
                    message_en: format!("[{target}] {}", f.message_en),
                    message_zh: format!("[{target}] {}", f.message_zh),
                    ..f
                });
            }
        }
    }
    if all.is_empty() {
        Ok(())
    } else {
        Err(Findings(all))
    }
}

/// Reads a document in `from` and writes it in `to`.
pub fn translate(
    from: Dialect,
    to: Dialect,
    bytes: &[u8],
    tables: &Tables,
    policy: &ValidationPolicy,
) -> Result<Translated, Findings> {
    let parsed = parse(from, bytes, tables, policy)?;
    let out = render(&parsed.announcement, to, tables).map_err(|mut f| {
        f.0.extend(parsed.warnings.iter().cloned());
        f
    })?;
    Ok(Translated {
        bytes: out,
        warnings: parsed.warnings,
    })
}
