//! Code tables: category codes, title keywords, regions with validity dates, project types and unit
//! rules, loaded from the CSV files under `schemas/codes/` (embedded in the binary).

use std::collections::BTreeMap;

use time::Date;

use crate::codes::RegionCode;
use crate::model::{NoticeKind, TradeCategory};

/// The CSV texts the tables are built from.
#[derive(Debug, Clone, Copy)]
pub struct TableSources<'a> {
    /// `categories.csv`.
    pub categories: &'a str,
    /// `kind-keywords.csv`.
    pub kind_keywords: &'a str,
    /// `category-keywords.csv`.
    pub category_keywords: &'a str,
    /// `regions.csv`.
    pub regions: &'a str,
    /// `project-types.csv`.
    pub project_types: &'a str,
    /// `units.csv`.
    pub units: &'a str,
}

impl TableSources<'static> {
    /// The tables shipped in `schemas/codes/`.
    pub const BUILTIN: TableSources<'static> = TableSources {
        categories: include_str!("../../schemas/codes/categories.csv"),
        kind_keywords: include_str!("../../schemas/codes/kind-keywords.csv"),
        category_keywords: include_str!("../../schemas/codes/category-keywords.csv"),
        regions: include_str!("../../schemas/codes/regions.csv"),
        project_types: include_str!("../../schemas/codes/project-types.csv"),
        units: include_str!("../../schemas/codes/units.csv"),
    };
}

/// A malformed table row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file} line {line}: {problem}")]
pub struct TableError {
    /// Which table.
    pub file: &'static str,
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub problem: String,
}

/// One category code of one dialect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryCode {
    /// Dialect name (`shanghai`, ...).
    pub dialect: String,
    /// The code (`003001001`, `jyxxgcgg`, ...).
    pub code: String,
    /// The trade category.
    pub category: TradeCategory,
    /// The notice kinds it carries, most usual first.
    pub kinds: Vec<NoticeKind>,
    /// Chinese name.
    pub name_zh: String,
}

/// One administrative division with the dates it was valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// Code.
    pub code: RegionCode,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Valid from this date (inclusive).
    pub valid_from: Option<Date>,
    /// Valid until this date (exclusive).
    pub valid_until: Option<Date>,
    /// The code that replaced it.
    pub successor: Option<RegionCode>,
}

/// How a dialect states currency amounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountUnitRule {
    /// Always 元.
    Yuan,
    /// Always 万元.
    TenThousandYuan,
    /// The document declares it (`PRICE_UNIT`).
    Declared,
}

/// Whether a region code is valid on a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegionStatus<'a> {
    /// Known and valid.
    Valid(&'a Region),
    /// Not in the table.
    Unknown,
    /// Known but not valid on that date.
    NotValid(&'a Region),
}

/// The parsed code tables; build once and pass by reference.
#[derive(Debug, Clone)]
pub struct Tables {
    categories: Vec<CategoryCode>,
    keywords: Vec<(NoticeKind, String)>,
    category_keywords: Vec<(TradeCategory, String)>,
    regions: BTreeMap<RegionCode, Region>,
    project_types: BTreeMap<String, String>,
    units: BTreeMap<String, AmountUnitRule>,
}

fn rows<'a>(
    file: &'static str,
    text: &'a str,
    columns: usize,
) -> Result<Vec<(usize, Vec<&'a str>)>, TableError> {
    let mut out = Vec::new();
    let mut header = true;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() != columns {
            return Err(TableError {
                file,
                line: i + 1,
                problem: format!("{} fields, expected {columns}", fields.len()),
            });
        }
        if header {
            header = false;
            continue;
        }
        out.push((i + 1, fields));
    }
    Ok(out)
}

fn bad(file: &'static str, line: usize, problem: String) -> TableError {
    TableError {
        file,
        line,
        problem,
    }
}

fn date(file: &'static str, line: usize, s: &str) -> Result<Option<Date>, TableError> {
    if s.is_empty() {
        return Ok(None);
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s, &fmt)
        .map(Some)
        .map_err(|e| bad(file, line, format!("bad date `{s}`: {e}")))
}

impl Tables {
    /// The tables shipped in `schemas/codes/`.
    pub fn builtin() -> Result<Tables, TableError> {
        Tables::from_sources(TableSources::BUILTIN)
    }

    /// Parses tables from CSV texts.
    pub fn from_sources(src: TableSources<'_>) -> Result<Tables, TableError> {
        let mut categories = Vec::new();
        for (line, f) in rows("categories.csv", src.categories, 6)? {
            let category = f[2].parse().map_err(|_| {
                bad(
                    "categories.csv",
                    line,
                    format!("unknown category `{}`", f[2]),
                )
            })?;
            let kinds = f[3]
                .split('|')
                .map(|k| {
                    k.parse::<NoticeKind>()
                        .map_err(|_| bad("categories.csv", line, format!("unknown kind `{k}`")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            categories.push(CategoryCode {
                dialect: f[0].to_owned(),
                code: f[1].to_owned(),
                category,
                kinds,
                name_zh: f[4].to_owned(),
            });
        }
        let mut keywords = Vec::new();
        for (line, f) in rows("kind-keywords.csv", src.kind_keywords, 2)? {
            let kind = f[0].parse().map_err(|_| {
                bad(
                    "kind-keywords.csv",
                    line,
                    format!("unknown kind `{}`", f[0]),
                )
            })?;
            keywords.push((kind, f[1].to_owned()));
        }
        let mut category_keywords = Vec::new();
        for (line, f) in rows("category-keywords.csv", src.category_keywords, 2)? {
            let c = f[0].parse().map_err(|_| {
                bad(
                    "category-keywords.csv",
                    line,
                    format!("unknown category `{}`", f[0]),
                )
            })?;
            category_keywords.push((c, f[1].to_owned()));
        }
        let mut regions = BTreeMap::new();
        for (line, f) in rows("regions.csv", src.regions, 7)? {
            let code =
                RegionCode::parse(f[0]).map_err(|e| bad("regions.csv", line, e.to_string()))?;
            let successor = if f[6].is_empty() {
                None
            } else {
                Some(RegionCode::parse(f[6]).map_err(|e| bad("regions.csv", line, e.to_string()))?)
            };
            let region = Region {
                code,
                name_zh: f[1].to_owned(),
                name_en: f[2].to_owned(),
                valid_from: date("regions.csv", line, f[4])?,
                valid_until: date("regions.csv", line, f[5])?,
                successor,
            };
            if regions.insert(code, region).is_some() {
                return Err(bad("regions.csv", line, format!("duplicate code {code}")));
            }
        }
        let mut project_types = BTreeMap::new();
        for (_, f) in rows("project-types.csv", src.project_types, 3)? {
            project_types.insert(f[0].to_owned(), f[1].to_owned());
        }
        let mut units = BTreeMap::new();
        for (line, f) in rows("units.csv", src.units, 2)? {
            let rule = match f[1] {
                "yuan" => AmountUnitRule::Yuan,
                "ten_thousand_yuan" => AmountUnitRule::TenThousandYuan,
                "declared" => AmountUnitRule::Declared,
                other => return Err(bad("units.csv", line, format!("unknown rule `{other}`"))),
            };
            units.insert(f[0].to_owned(), rule);
        }
        Ok(Tables {
            categories,
            keywords,
            category_keywords,
            regions,
            project_types,
            units,
        })
    }

    /// The row of a dialect's category code.
    pub fn category_code(&self, dialect: &str, code: &str) -> Option<&CategoryCode> {
        self.categories
            .iter()
            .find(|c| c.dialect == dialect && c.code == code)
    }

    /// The row of a dialect's category code, choosing by title keywords when several categories
    /// share the code.
    pub fn category_code_for_title(
        &self,
        dialect: &str,
        code: &str,
        title: &str,
    ) -> Option<&CategoryCode> {
        let rows: Vec<&CategoryCode> = self
            .categories
            .iter()
            .filter(|c| c.dialect == dialect && c.code == code)
            .collect();
        if rows.len() > 1 {
            for (cat, word) in &self.category_keywords {
                if title.contains(word.as_str())
                    && let Some(r) = rows.iter().find(|r| r.category == *cat)
                {
                    return Some(r);
                }
            }
        }
        rows.first().copied()
    }

    /// The code a dialect uses for a category and kind.
    pub fn code_for(
        &self,
        dialect: &str,
        category: TradeCategory,
        kind: NoticeKind,
    ) -> Option<&CategoryCode> {
        self.categories
            .iter()
            .find(|c| c.dialect == dialect && c.category == category && c.kinds.contains(&kind))
    }

    /// Picks among `allowed` kinds by title keywords; the first allowed kind when none matches.
    pub fn kind_by_title(&self, allowed: &[NoticeKind], title: &str) -> Option<NoticeKind> {
        self.keywords
            .iter()
            .find(|(k, word)| allowed.contains(k) && title.contains(word.as_str()))
            .map(|(k, _)| *k)
            .or_else(|| allowed.first().copied())
    }

    /// A region by code.
    pub fn region(&self, code: RegionCode) -> Option<&Region> {
        self.regions.get(&code)
    }

    /// Whether a region code is known and valid on `date`.
    pub fn region_status(&self, code: RegionCode, date: Date) -> RegionStatus<'_> {
        match self.regions.get(&code) {
            None => RegionStatus::Unknown,
            Some(r) => {
                let after_start = r.valid_from.is_none_or(|from| date >= from);
                let before_end = r.valid_until.is_none_or(|until| date < until);
                if after_start && before_end {
                    RegionStatus::Valid(r)
                } else {
                    RegionStatus::NotValid(r)
                }
            }
        }
    }

    /// Whether a construction project type code is known.
    pub fn project_type_known(&self, code: &str) -> bool {
        self.project_types.contains_key(code)
    }

    /// How a dialect states amounts (`Yuan` when the table has no row for it).
    pub fn amount_unit(&self, dialect: &str) -> AmountUnitRule {
        self.units
            .get(dialect)
            .copied()
            .unwrap_or(AmountUnitRule::Yuan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_tables_parse_and_cover_every_category_and_kind() {
        let t = Tables::builtin().expect("builtin tables");
        for dialect in ["shanghai", "jiangsu", "zhejiang"] {
            for c in TradeCategory::ALL {
                for k in NoticeKind::ALL {
                    assert!(t.code_for(dialect, c, k).is_some(), "{dialect} {c} {k}");
                }
            }
        }
        let wujiang_old = RegionCode::parse("320584").expect("code");
        let d = time::macros::date!(2011 - 05 - 01);
        assert!(matches!(
            t.region_status(wujiang_old, d),
            RegionStatus::Valid(_)
        ));
        let d = time::macros::date!(2013 - 05 - 01);
        assert!(
            matches!(t.region_status(wujiang_old, d), RegionStatus::NotValid(r) if r.successor == RegionCode::parse("320509").ok())
        );
    }
}
