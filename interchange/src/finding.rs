//! Findings: what validation and translation report about a document.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The document is refused.
    Error,
    /// The document is accepted; the finding is reported.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One problem found in a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable rule id, e.g. `credit_code.check_digit` (a metric label and a key for documentation).
    pub code: String,
    /// Error or warning.
    pub severity: Severity,
    /// Where in the source document: a JSON pointer for JSON dialects, an XPath-like path
    /// (`/tenderBulletin/sections/section[2]/@code`) for XML, `#byte=N` for undecodable bytes.
    pub path: String,
    /// English message.
    pub message_en: String,
    /// Chinese message.
    pub message_zh: String,
}

impl Finding {
    /// A finding with the given parts.
    pub fn new(
        code: &str,
        severity: Severity,
        path: impl Into<String>,
        message_en: impl Into<String>,
        message_zh: impl Into<String>,
    ) -> Self {
        Finding {
            code: code.to_owned(),
            severity,
            path: path.into(),
            message_en: message_en.into(),
            message_zh: message_zh.into(),
        }
    }

    /// An error.
    pub fn error(
        code: &str,
        path: impl Into<String>,
        en: impl Into<String>,
        zh: impl Into<String>,
    ) -> Self {
        Finding::new(code, Severity::Error, path, en, zh)
    }

    /// A warning.
    pub fn warning(
        code: &str,
        path: impl Into<String>,
        en: impl Into<String>,
        zh: impl Into<String>,
    ) -> Self {
        Finding::new(code, Severity::Warning, path, en, zh)
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} at {}: {} ({})",
            self.severity.as_str(),
            self.code,
            if self.path.is_empty() {
                "/"
            } else {
                &self.path
            },
            self.message_en,
            self.message_zh
        )
    }
}

/// Every finding about a document that was refused; holds at least one error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{} error(s), {} warning(s); first: {}", self.errors().count(), self.warnings().count(), self.first_error())]
pub struct Findings(pub Vec<Finding>);

impl Findings {
    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &Finding> {
        self.0.iter().filter(|f| f.severity == Severity::Error)
    }

    /// The warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Finding> {
        self.0.iter().filter(|f| f.severity == Severity::Warning)
    }

    fn first_error(&self) -> String {
        self.errors()
            .next()
            .map(ToString::to_string)
            .unwrap_or_default()
    }

    /// Whether some finding is an error.
    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }
}

/// Collects findings while a document is read.
#[derive(Debug, Default)]
pub(crate) struct Sink {
    pub(crate) findings: Vec<Finding>,
}

impl Sink {
    pub(crate) fn push(&mut self, f: Finding) {
        self.findings.push(f);
    }

    pub(crate) fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}
