//! Digest algorithms of signatures and timestamps: names, object identifiers, computation.
//!
//! Why this module exists: a CMS signer, a caller supplying a detached document's digest and a
//! timestamp's message imprint each name a digest algorithm; this module is the one place that
//! maps names and OIDs to algorithms and refuses the weak ones.

use openssl::hash::MessageDigest;

use crate::Error;
use crate::algorithms::Hash;

/// A digest algorithm accepted for signed content and timestamps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DigestAlgorithm {
    /// SHA-224.
    Sha224,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
    /// SM3 (GB/T 32905), with SM2 signatures.
    Sm3,
}

impl DigestAlgorithm {
    /// The name used in verdicts and on the command line (`sha256`, `sm3`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha224 => "sha224",
            DigestAlgorithm::Sha256 => "sha256",
            DigestAlgorithm::Sha384 => "sha384",
            DigestAlgorithm::Sha512 => "sha512",
            DigestAlgorithm::Sm3 => "sm3",
        }
    }

    /// Parses [`DigestAlgorithm::as_str`] spellings.
    pub fn from_name(name: &str) -> Option<DigestAlgorithm> {
        [
            DigestAlgorithm::Sha224,
            DigestAlgorithm::Sha256,
            DigestAlgorithm::Sha384,
            DigestAlgorithm::Sha512,
            DigestAlgorithm::Sm3,
        ]
        .into_iter()
        .find(|a| a.as_str() == name)
    }

    /// The algorithm's object identifier, dotted.
    pub fn oid(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha224 => "2.16.840.1.101.3.4.2.4",
            DigestAlgorithm::Sha256 => "2.16.840.1.101.3.4.2.1",
            DigestAlgorithm::Sha384 => "2.16.840.1.101.3.4.2.2",
            DigestAlgorithm::Sha512 => "2.16.840.1.101.3.4.2.3",
            DigestAlgorithm::Sm3 => "1.2.156.10197.1.401",
        }
    }

    /// The algorithm of a digest AlgorithmIdentifier's OID; MD5 and SHA-1 are `weak-algorithm`,
    /// anything else `unsupported-algorithm` (`subject` names what used it, for the error).
    ///
    /// # Errors
    /// [`Error::WeakAlgorithm`] or [`Error::UnsupportedAlgorithm`].
    pub fn from_oid(oid: &str, subject: &str) -> Result<DigestAlgorithm, Error> {
        match oid {
            "2.16.840.1.101.3.4.2.4" => Ok(DigestAlgorithm::Sha224),
            "2.16.840.1.101.3.4.2.1" => Ok(DigestAlgorithm::Sha256),
            "2.16.840.1.101.3.4.2.2" => Ok(DigestAlgorithm::Sha384),
            "2.16.840.1.101.3.4.2.3" => Ok(DigestAlgorithm::Sha512),
            "1.2.156.10197.1.401" => Ok(DigestAlgorithm::Sm3),
            "1.3.14.3.2.26" | "1.2.840.113549.2.5" | "1.2.840.113549.2.2" => {
                Err(Error::WeakAlgorithm {
                    subject: subject.to_owned(),
                    algorithm: match oid {
                        "1.3.14.3.2.26" => "sha1".into(),
                        "1.2.840.113549.2.5" => "md5".into(),
                        _ => "md2".into(),
                    },
                })
            }
            other => Err(Error::UnsupportedAlgorithm {
                subject: subject.to_owned(),
                algorithm: format!("digest {other}"),
            }),
        }
    }

    /// The digest's length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            DigestAlgorithm::Sha224 => 28,
            DigestAlgorithm::Sha256 | DigestAlgorithm::Sm3 => 32,
            DigestAlgorithm::Sha384 => 48,
            DigestAlgorithm::Sha512 => 64,
        }
    }

    /// The OpenSSL digest.
    pub(crate) fn md(self) -> MessageDigest {
        match self {
            DigestAlgorithm::Sha224 => MessageDigest::sha224(),
            DigestAlgorithm::Sha256 => MessageDigest::sha256(),
            DigestAlgorithm::Sha384 => MessageDigest::sha384(),
            DigestAlgorithm::Sha512 => MessageDigest::sha512(),
            DigestAlgorithm::Sm3 => MessageDigest::sm3(),
        }
    }

    /// The certificate-signature hash of the same name (SM3 has none: SM2 handles it).
    pub(crate) fn hash(self) -> Option<Hash> {
        match self {
            DigestAlgorithm::Sha224 => Some(Hash::Sha224),
            DigestAlgorithm::Sha256 => Some(Hash::Sha256),
            DigestAlgorithm::Sha384 => Some(Hash::Sha384),
            DigestAlgorithm::Sha512 => Some(Hash::Sha512),
            DigestAlgorithm::Sm3 => None,
        }
    }

    /// The digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        // Hashing with a built-in digest fails only when OpenSSL cannot allocate; an empty digest
        // then matches nothing, so the verification fails closed.
        openssl::hash::hash(self.md(), data)
            .map(|d| d.to_vec())
            .unwrap_or_default()
    }
}

impl std::fmt::Display for DigestAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::DigestAlgorithm;

    #[test]
    fn names_oids_and_lengths_agree() {
        for a in [
            DigestAlgorithm::Sha224,
            DigestAlgorithm::Sha256,
            DigestAlgorithm::Sha384,
            DigestAlgorithm::Sha512,
            DigestAlgorithm::Sm3,
        ] {
            assert_eq!(DigestAlgorithm::from_name(a.as_str()), Some(a));
            assert_eq!(DigestAlgorithm::from_oid(a.oid(), "s"), Ok(a));
            assert_eq!(a.digest(b"abc").len(), a.output_len());
        }
        // GB/T 32905 appendix A example 1.
        assert_eq!(
            hex::encode(DigestAlgorithm::Sm3.digest(b"abc")),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
        assert_eq!(
            DigestAlgorithm::from_oid("1.3.14.3.2.26", "s").map_err(|e| e.code()),
            Err("weak-algorithm")
        );
        assert_eq!(
            DigestAlgorithm::from_oid("1.2.3", "s").map_err(|e| e.code()),
            Err("unsupported-algorithm")
        );
    }
}
