//! The holder's unified social credit code (GB 32100-2015): where a CA puts it, and its check
//! character.
//!
//! Why this module exists: every CA stores the code somewhere else (an extension, or a subject
//! attribute), so the trust list gives each CA an ordered rule list; the first rule that finds a
//! value wins. The value is then checked: 18 characters of `0123456789ABCDEFGHJKLMNPQRTUWXY`, the
//! last one the check character over the first 17 with weights 3^i mod 31,
//! check = (31 - sum mod 31) mod 31.

use serde::{Deserialize, Serialize};

use crate::der_limits::read_tlv;
use crate::mask::{looks_like_personal_id, mask_personal_ids};
use crate::parse::Certificate;

/// The GB 32100 alphabet (no I, O, S, V, Z).
pub const CREDIT_CODE_ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Where a CA puts the holder's credit code: one rule of the ordered list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum CreditCodeRule {
    /// A non-critical extension whose value is a DER string (PrintableString, UTF8String,
    /// IA5String or an OCTET STRING of ASCII), e.g. `1.2.156.10260.4.4`.
    Extension {
        /// The extension's OID, dotted.
        extension: String,
    },
    /// A subject attribute: `OU`, `CN`, `serialNumber` or `O`.
    Subject {
        /// The attribute's short name.
        subject: SubjectAttribute,
    },
}

/// The subject attributes a credit code may be taken from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SubjectAttribute {
    /// organizationalUnitName, 2.5.4.11.
    #[serde(rename = "OU")]
    Ou,
    /// commonName, 2.5.4.3.
    #[serde(rename = "CN")]
    Cn,
    /// serialNumber, 2.5.4.5.
    #[serde(rename = "serialNumber")]
    SerialNumber,
    /// organizationName, 2.5.4.10.
    #[serde(rename = "O")]
    O,
}

impl SubjectAttribute {
    fn oid(self) -> &'static str {
        match self {
            SubjectAttribute::Ou => "2.5.4.11",
            SubjectAttribute::Cn => "2.5.4.3",
            SubjectAttribute::SerialNumber => "2.5.4.5",
            SubjectAttribute::O => "2.5.4.10",
        }
    }
}

/// The outcome of the GB 32100 check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CreditCodeCheck {
    /// 18 characters of the alphabet with the right check character.
    Valid,
    /// Well formed, but the check character is wrong (some legal pilot-era codes are like this).
    BadCheckDigit,
    /// No rule found a value.
    Missing,
    /// A value was found but is not 18 characters of the alphabet.
    Malformed,
}

impl CreditCodeCheck {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CreditCodeCheck::Valid => "valid",
            CreditCodeCheck::BadCheckDigit => "bad-check-digit",
            CreditCodeCheck::Missing => "missing",
            CreditCodeCheck::Malformed => "malformed",
        }
    }
}

/// The GB 32100 check character of the first 17 characters of `code`; `None` when `code` has
/// fewer than 17 characters or one outside the alphabet.
pub fn check_character(code: &str) -> Option<char> {
    let alphabet = CREDIT_CODE_ALPHABET.as_bytes();
    let mut sum = 0u32;
    let mut weight = 1u32;
    let mut n = 0;
    for b in code.bytes().take(17) {
        let idx = alphabet.iter().position(|&a| a == b)?;
        sum += u32::try_from(idx).ok()? * weight;
        weight = weight * 3 % 31;
        n += 1;
    }
    if n < 17 {
        return None;
    }
    let check = (31 - sum % 31) % 31;
    alphabet
        .get(usize::try_from(check).ok()?)
        .map(|&b| char::from(b))
}

/// Checks a credit code (GB 32100).
pub fn check_credit_code(code: &str) -> CreditCodeCheck {
    let alphabet = CREDIT_CODE_ALPHABET.as_bytes();
    if code.len() != 18 || !code.bytes().all(|b| alphabet.contains(&b)) {
        return CreditCodeCheck::Malformed;
    }
    match check_character(code) {
        Some(c) if code.ends_with(c) => CreditCodeCheck::Valid,
        _ => CreditCodeCheck::BadCheckDigit,
    }
}

/// Decodes a DER string value (PrintableString, UTF8String, IA5String, NumericString,
/// VisibleString, or an OCTET STRING holding UTF-8) to text.
pub(crate) fn der_string(value: &[u8]) -> Option<String> {
    let (tlv, rest) = read_tlv(value, "extension").ok()?;
    if !rest.is_empty() {
        return None;
    }
    match tlv.tag {
        0x04 | 0x0c | 0x12 | 0x13 | 0x16 | 0x1a => std::str::from_utf8(tlv.content)
            .ok()
            .map(|s| s.trim().to_owned()),
        _ => None,
    }
}

/// Finds the credit code by the ordered rules: the first rule that finds a value wins. Returns the
/// value found (a non-string extension value gives `Some(None)`: present but unreadable).
fn find(cert: &Certificate, rules: &[CreditCodeRule]) -> Option<Option<String>> {
    for rule in rules {
        match rule {
            CreditCodeRule::Extension { extension } => {
                if let Some((_, _, v)) = cert.ext.others.iter().find(|(o, _, _)| o == extension) {
                    return Some(der_string(v));
                }
            }
            CreditCodeRule::Subject { subject } => {
                let oid = subject.oid();
                if let Some(a) = cert.subject.rdns.iter().flatten().find(|a| a.oid == oid) {
                    return Some(Some(a.text.trim().to_owned()));
                }
            }
        }
    }
    None
}

/// The holder's credit code by the CA's rules, with its check; personal ID numbers come back
/// masked (and `malformed`: a person is not an organisation).
pub fn extract_credit_code(
    cert: &Certificate,
    rules: &[CreditCodeRule],
) -> (Option<String>, CreditCodeCheck) {
    match find(cert, rules) {
        None => (None, CreditCodeCheck::Missing),
        Some(None) => (None, CreditCodeCheck::Malformed),
        Some(Some(code)) => {
            if looks_like_personal_id(&code) {
                return (Some(mask_personal_ids(&code)), CreditCodeCheck::Malformed);
            }
            let check = check_credit_code(&code);
            (Some(code), check)
        }
    }
}

/// The holder's name: the subject's CN, else its O (masked).
pub(crate) fn holder_name(cert: &Certificate) -> Option<String> {
    let attr = |oid: &str| {
        cert.subject
            .rdns
            .iter()
            .flatten()
            .find(|a| a.oid == oid)
            .map(|a| mask_personal_ids(&a.text))
    };
    attr("2.5.4.3").or_else(|| attr("2.5.4.10"))
}

#[cfg(test)]
mod tests {
    use super::{CreditCodeCheck, check_character, check_credit_code};

    #[test]
    fn gb32100_examples() {
        for ok in [
            "91350100M000100Y43",
            "91350200776049653A",
            "913502000728319549",
            "91310118MA1H3K8N4A",
            "91320509MA1MQ2G59F",
            "91330421MA2B1C3D4B",
        ] {
            assert_eq!(check_credit_code(ok), CreditCodeCheck::Valid, "{ok}");
        }
        assert_eq!(
            check_credit_code("91350100M0001TGQXM"),
            CreditCodeCheck::BadCheckDigit
        );
        assert_eq!(
            check_credit_code("91310118MA1HE9X3X9"),
            CreditCodeCheck::BadCheckDigit
        );
        assert_eq!(check_character("91310118MA1HE9X3X9"), Some('8'));
        assert_eq!(check_character("91330421MA2BCN3P2X"), Some('W'));
        for bad in [
            "",
            "91350100M000100Y4",
            "91350100M000100Y43X",
            "91350100M000100I43",
        ] {
            assert_eq!(check_credit_code(bad), CreditCodeCheck::Malformed, "{bad}");
        }
    }
}
