//! Distinguished names and general names, owned and normalised for comparison.
//!
//! Why this module exists: name chaining (RFC 5280 6.1.3 a.4), CRL issuer matching and name
//! constraints all compare names. RFC 5280 7.1 asks for RFC 4518-style matching of string values
//! (case-insensitive, insignificant spaces folded, PrintableString equal to UTF8String). Doing that
//! once, when a certificate is parsed, turns every later comparison into a string comparison.

use x509_parser::asn1_rs::{Any, Tag};
use x509_parser::extensions::GeneralName;
use x509_parser::x509::{AttributeTypeAndValue, RelativeDistinguishedName, X509Name};

/// One attribute of a relative distinguished name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Attr {
    /// The attribute type, dotted.
    pub(crate) oid: String,
    /// The comparison key: `oid=normalised-string` or `oid=#tag:hex` for non-string values.
    pub(crate) key: String,
    /// The value as text for display (lossy for non-string values).
    pub(crate) text: String,
}

/// A distinguished name, with a normalised comparison key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name {
    /// Each RDN is a set of attribute keys, sorted.
    pub(crate) rdns: Vec<Vec<Attr>>,
    /// Normalised key of the whole name; two names match iff their keys are equal.
    pub(crate) key: String,
    /// Human-readable rendering (`C=CN, O=..., CN=...`).
    pub(crate) display: String,
    /// The DER encoding, when decoded from DER (empty for constructed names).
    pub(crate) der: Vec<u8>,
}

impl Name {
    /// Builds an owned name from x509-parser's view.
    pub(crate) fn from_x509(name: &X509Name<'_>) -> Name {
        let rdns: Vec<Vec<Attr>> = name.iter_rdn().map(rdn_attrs).collect();
        let mut n = Name::from_rdns(rdns);
        n.der = name.as_raw().to_vec();
        n
    }

    pub(crate) fn from_rdns(rdns: Vec<Vec<Attr>>) -> Name {
        let key = rdns
            .iter()
            .map(|r| {
                r.iter()
                    .map(|a| a.key.as_str())
                    .collect::<Vec<_>>()
                    .join("+")
            })
            .collect::<Vec<_>>()
            .join("/");
        // Personal ID numbers never leave the crate unmasked (see `crate::mask`).
        let display = crate::mask::mask_personal_ids(
            &rdns
                .iter()
                .map(|r| {
                    r.iter()
                        .map(|a| format!("{}={}", short_name(&a.oid), a.text))
                        .collect::<Vec<_>>()
                        .join("+")
                })
                .collect::<Vec<_>>()
                .join(", "),
        );
        Name {
            rdns,
            key,
            display,
            der: Vec::new(),
        }
    }

    /// True for the empty sequence of RDNs.
    pub fn is_empty(&self) -> bool {
        self.rdns.is_empty()
    }

    /// The name as `C=CN, O=..., CN=...`.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The normalised comparison key (RFC 5280 7.1 name matching): two names match exactly when
    /// their keys are equal.
    pub fn matching_key(&self) -> &str {
        &self.key
    }

    /// True when `prefix`'s RDNs are the first RDNs of this name (name constraints, RFC 5280 7.1).
    pub(crate) fn starts_with(&self, prefix: &Name) -> bool {
        prefix.rdns.len() <= self.rdns.len()
            && prefix
                .rdns
                .iter()
                .zip(&self.rdns)
                .all(|(a, b)| rdn_key(a) == rdn_key(b))
    }

    /// Values of the emailAddress attribute (1.2.840.113549.1.9.1), for name constraints.
    pub(crate) fn emails(&self) -> impl Iterator<Item = &str> {
        self.rdns
            .iter()
            .flatten()
            .filter(|a| a.oid == "1.2.840.113549.1.9.1")
            .map(|a| a.text.as_str())
    }

    /// This name with one more RDN appended (nameRelativeToCRLIssuer).
    pub(crate) fn with_rdn(&self, rdn: &[Attr]) -> Name {
        let mut rdns = self.rdns.clone();
        rdns.push(rdn.to_vec());
        Name::from_rdns(rdns)
    }
}

fn rdn_key(r: &[Attr]) -> Vec<&str> {
    r.iter().map(|a| a.key.as_str()).collect()
}

/// The attributes of one RDN, sorted by key so that multi-valued RDNs compare as sets.
pub(crate) fn rdn_attrs(rdn: &RelativeDistinguishedName<'_>) -> Vec<Attr> {
    let mut attrs: Vec<Attr> = rdn.iter().map(attr).collect();
    attrs.sort_by(|a, b| a.key.cmp(&b.key));
    attrs
}

fn attr(a: &AttributeTypeAndValue<'_>) -> Attr {
    let oid = a.attr_type().to_id_string();
    let v = a.attr_value();
    match decode_string(v) {
        Some(s) => Attr {
            key: format!("{oid}={}", normalise(&s)),
            text: s,
            oid,
        },
        None => {
            let raw = v.data;
            Attr {
                key: format!("{oid}=#{}:{}", v.tag().0, hex::encode(raw)),
                text: format!("#{}", hex::encode(raw)),
                oid,
            }
        }
    }
}

/// Decodes the directory string types; `None` for anything else.
fn decode_string(v: &Any<'_>) -> Option<String> {
    let data = v.data;
    match v.tag() {
        Tag::Utf8String
        | Tag::PrintableString
        | Tag::Ia5String
        | Tag::NumericString
        | Tag::VisibleString => std::str::from_utf8(data).ok().map(str::to_owned),
        // T.61 in practice carries Latin-1.
        Tag::TeletexString => Some(data.iter().map(|&b| char::from(b)).collect()),
        Tag::BmpString => {
            if !data.len().is_multiple_of(2) {
                return None;
            }
            let units: Vec<u16> = data
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        Tag::UniversalString => {
            if !data.len().is_multiple_of(4) {
                return None;
            }
            data.chunks_exact(4)
                .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
                .collect()
        }
        _ => None,
    }
}

/// RFC 4518 in the small: case folded, leading/trailing spaces removed, inner runs folded to one.
pub(crate) fn normalise(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn short_name(oid: &str) -> &str {
    match oid {
        "2.5.4.6" => "C",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.3" => "CN",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.5" => "serialNumber",
        "2.5.4.9" => "street",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        "1.2.840.113549.1.9.1" => "emailAddress",
        other => other,
    }
}

/// A general name (RFC 5280 4.2.1.6), owned; the forms this validator does not process are kept as
/// [`GName::Other`] so that constraints on them can be refused rather than ignored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum GName {
    Email(String),
    Dns(String),
    Uri(String),
    Dir(Name),
    Ip(Vec<u8>),
    /// otherName, x400Address, ediPartyName, registeredID or undecodable: the context tag.
    Other(u32),
}

impl GName {
    pub(crate) fn from_x509(g: &GeneralName<'_>) -> GName {
        match g {
            GeneralName::RFC822Name(s) => GName::Email((*s).to_owned()),
            GeneralName::DNSName(s) => GName::Dns((*s).to_owned()),
            GeneralName::URI(s) => GName::Uri((*s).to_owned()),
            GeneralName::DirectoryName(n) => GName::Dir(Name::from_x509(n)),
            GeneralName::IPAddress(b) => GName::Ip(b.to_vec()),
            GeneralName::OtherName(..) => GName::Other(0),
            GeneralName::X400Address(_) => GName::Other(3),
            GeneralName::EDIPartyName(_) => GName::Other(5),
            GeneralName::RegisteredID(_) => GName::Other(8),
            GeneralName::Invalid(t, _) => GName::Other(t.0),
        }
    }

    /// Equality for distribution point names: DNs by key, strings case-insensitively.
    pub(crate) fn matches(&self, other: &GName) -> bool {
        match (self, other) {
            (GName::Dir(a), GName::Dir(b)) => a.key == b.key,
            (GName::Email(a), GName::Email(b))
            | (GName::Dns(a), GName::Dns(b))
            | (GName::Uri(a), GName::Uri(b)) => a.eq_ignore_ascii_case(b),
            (GName::Ip(a), GName::Ip(b)) => a == b,
            _ => false,
        }
    }

    /// A rendering for error messages and the verdict.
    pub(crate) fn describe(&self) -> String {
        match self {
            GName::Email(s) => format!("email:{s}"),
            GName::Dns(s) => format!("dns:{s}"),
            GName::Uri(s) => format!("uri:{s}"),
            GName::Dir(n) => format!("dn:{}", n.display),
            GName::Ip(b) => format!("ip:{}", hex::encode(b)),
            GName::Other(t) => format!("other-name-form:{t}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn strings_are_compared_case_and_space_insensitively() {
        assert_eq!(normalise("  Good   CA "), "good ca");
        assert_eq!(normalise("ÉCOLE\tDu  Nord"), "école du nord");
        assert_eq!(normalise("上海 市"), "上海 市");
    }
}
