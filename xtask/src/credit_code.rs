//! Unified social credit codes (GB 32100-2015) for the demo bidders.
//!
//! A code is 18 characters: registration authority (`9` = market regulator), organisation type
//! (`1` = enterprise), the 6-digit region code, the 9-character organisation code (GB 11714: 8
//! characters and a check character) and the GB 32100 check character.

/// The GB 32100 alphabet; a character's value is its index.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// GB 32100 weights (3^i mod 31) for the first 17 characters.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// GB 11714 weights for the 8 characters of an organisation code.
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// The GB 32100 check character of the first 17 characters, or `None` when a character is
/// outside the alphabet or the length is wrong.
pub(crate) fn check_char(first17: &str) -> Option<char> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0;
    for (byte, weight) in first17.bytes().zip(WEIGHTS) {
        let index = ALPHABET.iter().position(|&a| a == byte)?;
        sum += index as u32 * weight;
    }
    let check = (31 - sum % 31) % 31;
    Some(char::from(ALPHABET[check as usize]))
}

/// The GB 11714 check character of an 8-character organisation code body (digits and
/// upper-case letters, `A` = 10).
fn org_check_char(body: &str) -> Option<char> {
    if body.len() != 8 {
        return None;
    }
    let mut sum = 0;
    for (c, weight) in body.chars().zip(ORG_WEIGHTS) {
        sum += c.to_digit(36)? * weight;
    }
    match 11 - sum % 11 {
        10 => Some('X'),
        11 => Some('0'),
        digit => char::from_digit(digit, 10),
    }
}

/// A valid enterprise credit code: `91` + `region` + `org_body` + both check characters.
pub(crate) fn enterprise(region: &str, org_body: &str) -> Option<String> {
    let first17 = format!("91{region}{org_body}{}", org_check_char(org_body)?);
    let check = check_char(&first17)?;
    Some(format!("{first17}{check}"))
}

/// The same code with a wrong GB 32100 check character (the next one in the alphabet).
pub(crate) fn with_wrong_check(code: &str) -> Option<String> {
    let (first17, check) = code.split_at_checked(17)?;
    let index = ALPHABET.iter().position(|&a| check.as_bytes() == [a])?;
    let wrong = char::from(ALPHABET[(index + 1) % ALPHABET.len()]);
    Some(format!("{first17}{wrong}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_examples_check() {
        for code in [
            "91350100M000100Y43",
            "91350200776049653A",
            "913502000728319549",
        ] {
            assert_eq!(check_char(&code[..17]), code.chars().nth(17), "{code}");
        }
        // A legally issued pilot-era code that fails the check.
        assert_ne!(check_char("91350100M0001TGQX"), Some('M'));
    }

    #[test]
    fn organisation_code_check() {
        // Published examples of GB 11714 organisation codes.
        assert_eq!(org_check_char("77604965"), Some('3'));
        assert_eq!(org_check_char("07283195"), Some('4'));
    }

    #[test]
    fn wrong_check_differs() {
        let good = enterprise("310118", "MA1H0001").expect("valid input");
        let bad = with_wrong_check(&good).expect("valid input");
        assert_eq!(good[..17], bad[..17]);
        assert_ne!(check_char(&bad[..17]), bad.chars().nth(17));
    }
}
