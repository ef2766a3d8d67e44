//! Validation policy: the switches a deployment may set.

use crate::finding::Severity;

/// What validation enforces and how strictly. [`ValidationPolicy::default`] is the documented default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationPolicy {
    /// Severity of a credit code whose check character is wrong (default: warning, since some
    /// legally issued pilot-era codes fail the check).
    pub credit_check_digit: Severity,
    /// Minimum days from the start of the document window to the bid deadline for construction and
    /// government procurement tenders (default 20, the statutory minimum).
    pub min_bidding_days: u32,
    /// Severity of a shorter bidding period; `None` turns the rule off (default: warning).
    pub min_bidding_period: Option<Severity>,
    /// Largest accepted document, in bytes (default 1 MiB).
    pub max_bytes: usize,
    /// Deepest accepted nesting of XML elements or JSON values (default 32).
    pub max_depth: usize,
}

impl Default for ValidationPolicy {
    fn default() -> Self {
        ValidationPolicy {
            credit_check_digit: Severity::Warning,
            min_bidding_days: 20,
            min_bidding_period: Some(Severity::Warning),
            max_bytes: 1 << 20,
            max_depth: 32,
        }
    }
}
