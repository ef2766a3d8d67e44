//! Distinct announcements to publish: publishing the same body twice stores nothing (idempotent
//! `200`), so every request of an insert benchmark needs a new notice.
//!
//! The template is Jiangsu's demo construction tender (`seeds/announcements/jiangsu/ok/01-...`),
//! embedded at build time; each copy gets its own notice id (`infoid`) and title.

use anyhow::{Context, Result};

/// The platform that publishes (its client certificate is `pki/platforms/jiangsu.pem`).
pub(crate) const PLATFORM: &str = "jiangsu";

/// The media type of the publisher's dialect (Jiangsu JSON).
pub(crate) const CONTENT_TYPE: &str = "application/json";

/// Jiangsu's demo construction tender, the template of every generated notice.
const TEMPLATE: &str =
    include_str!("../../seeds/announcements/jiangsu/ok/01-construction-tender.json");

/// `count` distinct Jiangsu announcements whose notice ids are `BENCH-{run}-{set}{i:06}`.
///
/// `run` separates benchmark runs, `set` the batches of one run (warm-up, measured, ...).
pub(crate) fn jiangsu_tenders(run: &str, set: &str, count: usize) -> Result<Vec<Vec<u8>>> {
    let template: serde_json::Value =
        serde_json::from_str(TEMPLATE).context("the embedded template is not JSON")?;
    let title = template
        .get("title")
        .and_then(serde_json::Value::as_str)
        .context("the template has no title")?
        .to_owned();
    (0..count)
        .map(|i| {
            let mut doc = template.clone();
            doc["infoid"] = format!("BENCH-{run}-{set}{i:06}").into();
            doc["title"] = format!("{title}（压测 {set}{i}）").into();
            serde_json::to_vec(&doc).context("serialising a generated announcement")
        })
        .collect()
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn generated_notices_are_distinct_and_valid() {
        let docs = jiangsu_tenders("t", "M", 3).expect("generated");
        assert_eq!(docs.len(), 3);
        assert_ne!(docs[0], docs[1]);
        let tables = interchange::Tables::builtin().expect("tables");
        for doc in &docs {
            interchange::translate(
                interchange::Dialect::Jiangsu,
                interchange::Dialect::Canonical,
                doc,
                &tables,
                &interchange::ValidationPolicy::default(),
            )
            .expect("a generated notice validates");
        }
    }
}
