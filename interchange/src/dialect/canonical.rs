//! The canonical model as a JSON dialect.

use serde_json::Map;

use super::json_read::document;
use super::{Native, SourceMap};
use crate::finding::{Finding, Sink};
use crate::model::Announcement;
use crate::policy::ValidationPolicy;

pub(crate) fn read(bytes: &[u8], policy: &ValidationPolicy, sink: &mut Sink) -> Option<Native> {
    let value = document(bytes, policy, sink)?;
    match serde_path_to_error::deserialize::<_, Announcement>(value) {
        Ok(announcement) => Some(Native {
            announcement,
            map: SourceMap::identity(),
            patches: Map::new(),
            patches_path: String::new(),
        }),
        Err(e) => {
            let mut pointer = String::new();
            for seg in e.path().iter() {
                use serde_path_to_error::Segment;
                match seg {
                    Segment::Seq { index } => pointer.push_str(&format!("/{index}")),
                    Segment::Map { key } => {
                        pointer.push('/');
                        pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                    }
                    Segment::Enum { .. } | Segment::Unknown => {}
                }
            }
            let inner = e.into_inner().to_string();
            let code = if inner.starts_with("missing field") {
                "schema.required"
            } else if inner.starts_with("unknown field") {
                "schema.unknown_field"
            } else {
                "schema.type"
            };
            sink.push(Finding::error(
                code,
                pointer,
                inner.clone(),
                format!("不符合规范模型：{inner}"),
            ));
            None
        }
    }
}

pub(crate) fn write(ann: &Announcement) -> Result<Vec<u8>, Vec<Finding>> {
    let v = serde_json::to_value(ann).map_err(|e| {
        vec![Finding::error(
            "internal.serialize",
            "",
            e.to_string(),
            format!("序列化失败：{e}"),
        )]
    })?;
    super::shared::json_bytes(&v)
}
