//! Masking of personal ID numbers (18-character PRC resident identity numbers, GB 11643).
//!
//! Why this module exists: personal certificates carry ID card numbers (in extension
//! 1.2.156.10260.4.1.1 or in a subject attribute), and nothing this crate prints (verdicts, error
//! details, `inspect`) may show them whole. Masking is applied once, where a distinguished name's
//! display form is built and where the holder identity is extracted, so every output inherits it.
//!
//! Rule: an 18-character run of ASCII letters and digits (not part of a longer run) that has the
//! shape of an ID number (17 digits then a digit or `X`, with a plausible birth date
//! `YYYYMMDD`, year 1800-2099, in characters 7-14) keeps its first 6 characters (the region of
//! registration) and its last 4, and the 8 in between (the birth date) become `*`:
//! `110101199003071234` -> `110101********1234`. The check character is not required to be right:
//! a mistyped number is still personal data. Unified social credit codes are not masked: their
//! characters 7-14 never form such a date except by coincidence, and over-masking a code in that
//! rare case is the safe failure.

/// The OID of the personal ID number extension.
pub const PERSONAL_ID_EXTENSION: &str = "1.2.156.10260.4.1.1";

/// True when `s` has the shape of an 18-character personal ID number.
pub fn looks_like_personal_id(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    if !(b[17].is_ascii_digit() || b[17] == b'X' || b[17] == b'x') {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> u32 {
        b[r].iter()
            .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
    };
    let (year, month, day) = (num(6..10), num(10..12), num(12..14));
    (1800..=2099).contains(&year) && (1..=12).contains(&month) && (1..=31).contains(&day)
}

/// Masks one personal ID number (first 6 and last 4 characters kept).
fn mask_one(s: &str) -> String {
    format!("{}********{}", &s[..6], &s[14..])
}

/// Returns `text` with every personal ID number in it masked.
pub fn mask_personal_ids(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if looks_like_personal_id(run) {
            out.push_str(&mask_one(run));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::{looks_like_personal_id, mask_personal_ids};

    #[test]
    fn masks_id_numbers_wherever_they_are() {
        assert_eq!(
            mask_personal_ids("CN=张三110101199003071234, serialNumber=11010119900307123X"),
            "CN=张三110101********1234, serialNumber=110101********123X"
        );
        assert_eq!(
            mask_personal_ids("110101199003071234"),
            "110101********1234"
        );
    }

    #[test]
    fn leaves_credit_codes_and_longer_runs_alone() {
        for s in [
            "91310118MA1H3K8N4A",
            "913502000728319549",
            "1101011990030712345",
            "CN=上海青浦明珠建设工程有限公司",
        ] {
            assert_eq!(mask_personal_ids(s), s);
        }
        assert!(!looks_like_personal_id("110101199013071234"));
        assert!(looks_like_personal_id("11010120001231123x"));
    }
}
