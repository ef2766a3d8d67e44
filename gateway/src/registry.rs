//! Who may call the gateway: platforms and operators, and the types that describe them.
//!
//! A caller is known by the SHA-256 fingerprint of its client certificate; the registry maps it to a
//! [`Caller`]. These types are shared by the configuration, the database and the HTTP layer.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

/// A platform's or operator's stable identifier: 1 to 32 of `a-z`, `0-9`, `-`, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct PlatformId(String);

impl PlatformId {
    /// The identifier as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for PlatformId {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let well_formed = (1..=32).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if well_formed {
            Ok(PlatformId(s.to_owned()))
        } else {
            Err(format!(
                "`{s}` is not a platform id (1-32 of a-z, 0-9, '-', starting with a letter)"
            ))
        }
    }
}

impl<'de> Deserialize<'de> for PlatformId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for PlatformId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as stored and shown.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(format!("`{s}` is not a {}", stringify!($name))),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum! {
    /// The three provinces of the demonstration zone.
    Province {
        /// Shanghai (Qingpu district).
        Shanghai = "shanghai",
        /// Jiangsu (Wujiang district, Suzhou).
        Jiangsu = "jiangsu",
        /// Zhejiang (Jiashan county, Jiaxing).
        Zhejiang = "zhejiang",
    }
}

impl Province {
    /// The province's administrative region code (GB/T 2260).
    pub fn region_code(self) -> &'static str {
        match self {
            Province::Shanghai => "310000",
            Province::Jiangsu => "320000",
            Province::Zhejiang => "330000",
        }
    }

    /// The announcement format the province's platform speaks.
    pub fn dialect(self) -> &'static str {
        self.as_str()
    }
}

text_enum! {
    /// What a caller may do.
    Role {
        /// A trading platform: publishes and receives announcements, verifies certificates.
        Platform = "platform",
        /// An operator of the gateway: administration under `/v1/admin/`.
        Operator = "operator",
    }
}

text_enum! {
    /// Whether a registered caller is currently admitted.
    PlatformStatus {
        /// Requests are served.
        Active = "active",
        /// Every request is refused with 403 until an operator resumes the platform.
        Suspended = "suspended",
    }
}

/// A registered platform or operator, as stored in the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Caller {
    /// The identifier, e.g. `shanghai`.
    pub id: PlatformId,
    /// Platform or operator.
    pub role: Role,
    /// The province of a platform; `None` for operators.
    pub province: Option<Province>,
    /// Human-readable name.
    pub name: String,
    /// Admitted or suspended.
    pub status: PlatformStatus,
    /// Lowercase hex SHA-256 of the client certificate's DER.
    pub cert_sha256: CertFingerprint,
}

/// The SHA-256 fingerprint of a DER certificate, as 64 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct CertFingerprint(String);

impl CertFingerprint {
    /// The fingerprint of a DER-encoded certificate.
    pub fn of_der(der: &[u8]) -> Self {
        use sha2::Digest;
        CertFingerprint(hex::encode(sha2::Sha256::digest(der)))
    }

    /// The fingerprint as hex.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for CertFingerprint {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let normalised: String = s
            .chars()
            .filter(|c| *c != ':')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if normalised.len() == 64 && normalised.chars().all(|c| c.is_ascii_hexdigit()) {
            Ok(CertFingerprint(normalised))
        } else {
            Err("a SHA-256 fingerprint is 64 hex digits (colons allowed)".to_owned())
        }
    }
}

impl<'de> Deserialize<'de> for CertFingerprint {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_ids_are_checked() {
        assert!("shanghai".parse::<PlatformId>().is_ok());
        assert!("jiaxing-city2".parse::<PlatformId>().is_ok());
        for bad in ["", "Shanghai", "1abc", "a b", "a_b", &"x".repeat(33)] {
            assert!(bad.parse::<PlatformId>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn fingerprints_accept_colons_and_case() {
        let fp: CertFingerprint = "AB:".repeat(32).trim_end_matches(':').parse().expect("fp");
        assert_eq!(fp.as_str(), "ab".repeat(32));
        assert!("abc".parse::<CertFingerprint>().is_err());
    }
}
