//! Identifier newtypes: unified social credit code, region code, platform id, project type.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The alphabet of GB 32100-2015 codes; a character's index is its value.
const USCC_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// The weights of the first 17 characters (3^i mod 31).
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A unified social credit code (统一社会信用代码, GB 32100-2015).
///
/// Holds 18 characters of the code's alphabet. The check character is *not* enforced here, since some
/// legally issued pilot-era codes fail it: ask [`CreditCode::check_digit_ok`] (validation warns by default).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CreditCode(String);

/// Why a text is not a credit code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CreditCodeError {
    /// Not 18 characters long.
    #[error("a credit code has 18 characters, `{text}` has {len}")]
    Length {
        /// The text.
        text: String,
        /// Its length in characters.
        len: usize,
    },
    /// A character outside `0-9A-HJ-NPQRTUWXY`.
    #[error("`{ch}` at position {pos} of `{text}` is not in the credit-code alphabet")]
    Character {
        /// The text.
        text: String,
        /// The offending character.
        ch: char,
        /// Its 1-based position.
        pos: usize,
    },
}

impl CreditCode {
    /// Checks the format (length and alphabet) but not the check character.
    pub fn parse(text: &str) -> Result<Self, CreditCodeError> {
        let len = text.chars().count();
        if len != 18 {
            return Err(CreditCodeError::Length {
                text: text.to_owned(),
                len,
            });
        }
        if let Some((i, ch)) = text
            .chars()
            .enumerate()
            .find(|(_, c)| !c.is_ascii() || !USCC_ALPHABET.contains(&(*c as u8)))
        {
            return Err(CreditCodeError::Character {
                text: text.to_owned(),
                ch,
                pos: i + 1,
            });
        }
        Ok(CreditCode(text.to_owned()))
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The check character the first 17 characters call for.
    pub fn expected_check_char(&self) -> char {
        let sum: u32 = self
            .0
            .bytes()
            .take(17)
            .zip(USCC_WEIGHTS)
            .map(|(b, w)| index_of(b) * w)
            .sum();
        let check = (31 - sum % 31) % 31;
        char::from(USCC_ALPHABET[check as usize])
    }

    /// Whether the 18th character is the right check character.
    pub fn check_digit_ok(&self) -> bool {
        self.0.ends_with(self.expected_check_char())
    }
}

fn index_of(b: u8) -> u32 {
    // Every byte was checked against the alphabet in `parse`.
    USCC_ALPHABET.iter().position(|a| *a == b).unwrap_or(0) as u32
}

impl FromStr for CreditCode {
    type Err = CreditCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CreditCode::parse(s)
    }
}

impl TryFrom<String> for CreditCode {
    type Error = CreditCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        CreditCode::parse(&s)
    }
}

impl From<CreditCode> for String {
    fn from(c: CreditCode) -> String {
        c.0
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A six-digit administrative division code (GB/T 2260), e.g. 310118 Qingpu.
///
/// Only the format is checked here; whether the code exists and was valid at a given time is a
/// question for the region table ([`crate::Tables`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(u32);

/// A text that is not six digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a region code has six digits, not `{0}`")]
pub struct RegionCodeError(pub String);

impl RegionCode {
    /// Parses six ASCII digits.
    pub fn parse(text: &str) -> Result<Self, RegionCodeError> {
        if text.len() == 6 && text.bytes().all(|b| b.is_ascii_digit()) && !text.starts_with('0') {
            text.parse()
                .map(RegionCode)
                .map_err(|_| RegionCodeError(text.to_owned()))
        } else {
            Err(RegionCodeError(text.to_owned()))
        }
    }

    /// The code as a number.
    pub fn value(self) -> u32 {
        self.0
    }
}

impl FromStr for RegionCode {
    type Err = RegionCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RegionCode::parse(s)
    }
}

impl TryFrom<String> for RegionCode {
    type Error = RegionCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        RegionCode::parse(&s)
    }
}

impl From<RegionCode> for String {
    fn from(c: RegionCode) -> String {
        c.to_string()
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

/// The id of a publishing platform: 1 to 32 characters of `a-z`, `0-9` and `-` (e.g. `shanghai`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PlatformId(String);

/// A text that is not a platform id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a platform id is 1 to 32 characters of a-z, 0-9 and -, not `{0}`")]
pub struct PlatformIdError(pub String);

impl PlatformId {
    /// Checks the format.
    pub fn parse(text: &str) -> Result<Self, PlatformIdError> {
        let ok = (1..=32).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(PlatformId(text.to_owned()))
        } else {
            Err(PlatformIdError(text.to_owned()))
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for PlatformId {
    type Err = PlatformIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PlatformId::parse(s)
    }
}

impl TryFrom<String> for PlatformId {
    type Error = PlatformIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        PlatformId::parse(&s)
    }
}

impl From<PlatformId> for String {
    fn from(c: PlatformId) -> String {
        c.0
    }
}

impl fmt::Display for PlatformId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A construction project type code (`A01` housing ... `A99` other), as listed in
/// `schemas/codes/project-types.csv`. Only the shape (`A` and two digits) is checked here.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ProjectType(String);

/// A text that is not a project type code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a project type is `A` and two digits, not `{0}`")]
pub struct ProjectTypeError(pub String);

impl ProjectType {
    /// Checks the shape.
    pub fn parse(text: &str) -> Result<Self, ProjectTypeError> {
        let b = text.as_bytes();
        if b.len() == 3 && b[0] == b'A' && b[1].is_ascii_digit() && b[2].is_ascii_digit() {
            Ok(ProjectType(text.to_owned()))
        } else {
            Err(ProjectTypeError(text.to_owned()))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ProjectType {
    type Error = ProjectTypeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        ProjectType::parse(&s)
    }
}

impl From<ProjectType> for String {
    fn from(c: ProjectType) -> String {
        c.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digits_from_the_standard() {
        for ok in [
            "91350100M000100Y43",
            "91350200776049653A",
            "913502000728319549",
        ] {
            assert!(
                CreditCode::parse(ok)
                    .map(|c| c.check_digit_ok())
                    .unwrap_or(false),
                "{ok}"
            );
        }
        let pilot = CreditCode::parse("91350100M0001TGQXM").expect("format is fine");
        assert!(!pilot.check_digit_ok());
    }

    #[test]
    fn format_errors() {
        assert_eq!(
            CreditCode::parse("91350100M000100Y4"),
            Err(CreditCodeError::Length {
                text: "91350100M000100Y4".into(),
                len: 17
            })
        );
        assert_eq!(
            CreditCode::parse("91350100M000100I43"),
            Err(CreditCodeError::Character {
                text: "91350100M000100I43".into(),
                ch: 'I',
                pos: 16
            })
        );
        assert_eq!(
            RegionCode::parse("310118").map(|r| r.to_string()),
            Ok("310118".to_owned())
        );
        assert_eq!(
            RegionCode::parse("31011"),
            Err(RegionCodeError("31011".into()))
        );
    }
}
