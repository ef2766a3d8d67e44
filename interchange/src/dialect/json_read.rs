//! Typed reading of JSON dialect documents, every problem reported with its JSON pointer.

use std::cell::RefCell;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::SourceMap;
use super::text::TimeFormat;
use crate::codes::{CreditCode, CreditCodeError, ProjectType, RegionCode};
use crate::finding::{Finding, Sink};
use crate::policy::ValidationPolicy;

/// Findings and the source map, filled while reading.
#[derive(Default)]
pub(crate) struct Cx {
    pub(crate) sink: Sink,
    pub(crate) map: SourceMap,
}

impl Cx {
    pub(crate) fn required(&mut self, path: &str) {
        self.sink.push(Finding::error(
            "schema.required",
            path,
            "required field is missing",
            "缺少必填字段",
        ));
    }

    pub(crate) fn wrong_type(&mut self, path: &str, expected: &str) {
        self.wrong_type_in(path, (expected, &format!(" {expected}")));
    }

    /// `schema.type` with the expected type in English and in Chinese.
    pub(crate) fn wrong_type_in(&mut self, path: &str, (en, zh): (&str, &str)) {
        self.sink.push(Finding::error(
            "schema.type",
            path,
            format!("expected {en}"),
            format!("类型错误，应为{zh}"),
        ));
    }

    pub(crate) fn format(&mut self, path: &str, value: &str, expected: &str) {
        self.format_in(path, value, (expected, &format!(" {expected}")));
    }

    /// `schema.format` with the expected format in English and in Chinese.
    pub(crate) fn format_in(&mut self, path: &str, value: &str, (en, zh): (&str, &str)) {
        self.sink.push(Finding::error(
            "schema.format",
            path,
            format!("`{value}` is not {en}"),
            format!("`{value}` 格式错误，应为{zh}"),
        ));
    }

    pub(crate) fn bad_credit_code(&mut self, path: &str, value: &str, why: &CreditCodeError) {
        self.sink.push(Finding::error(
            "credit_code.format",
            path,
            why.to_string(),
            format!("`{value}` 不是统一社会信用代码（18 位，不含 I、O、S、V、Z）"),
        ));
    }

    pub(crate) fn unknown_code(&mut self, path: &str, value: &str, list: &str) {
        self.sink.push(Finding::error(
            "schema.code_unknown",
            path,
            format!("`{value}` is not a code of {list}"),
            format!("`{value}` 不是有效的{list}代码"),
        ));
    }
}

/// Parses a JSON document: strict UTF-8, syntax, depth bound, an object at the top.
pub(crate) fn document(bytes: &[u8], policy: &ValidationPolicy, sink: &mut Sink) -> Option<Value> {
    let text = match super::text::utf8(bytes) {
        Ok(t) => t,
        Err(f) => {
            sink.push(f);
            return None;
        }
    };
    let value: Value = match serde_json::from_str::<Strict>(text) {
        Ok(v) => v.0,
        Err(e) if e.is_data() => {
            let msg = e.to_string();
            let key = msg.split('`').nth(1).unwrap_or_default().to_owned();
            sink.push(Finding::error(
                "json.duplicate_key",
                format!("#line={},column={}", e.line(), e.column()),
                format!("the key `{key}` appears twice in one object"),
                format!("同一对象中键 `{key}` 重复出现（第 {} 行）", e.line()),
            ));
            return None;
        }
        Err(e) => {
            sink.push(Finding::error(
                "json.malformed",
                format!("#line={},column={}", e.line(), e.column()),
                format!("not well-formed JSON: {e}"),
                format!("JSON 格式错误（第 {} 行第 {} 列）", e.line(), e.column()),
            ));
            return None;
        }
    };
    if depth(&value) > policy.max_depth {
        sink.push(Finding::error(
            "json.too_deep",
            "",
            format!("nesting deeper than {} levels", policy.max_depth),
            format!("嵌套层数超过 {} 层", policy.max_depth),
        ));
        return None;
    }
    if !value.is_object() {
        sink.push(Finding::error(
            "schema.type",
            "",
            "expected an object",
            "类型错误，应为对象",
        ));
        return None;
    }
    Some(value)
}

/// A JSON value read strictly: a key repeated in one object is an error, not "last one wins".
struct Strict(Value);

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(Strict(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            if out.contains_key(&k) {
                return Err(serde::de::Error::custom(format!("duplicate key `{k}`")));
            }
            let Strict(v) = map.next_value()?;
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }
}

fn depth(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
        Value::Object(m) => 1 + m.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// A JSON object being read; keys never asked for are reported by [`Obj::finish`].
pub(crate) struct Obj<'a> {
    map: &'a Map<String, Value>,
    pub(crate) path: String,
    seen: RefCell<std::collections::HashSet<&'a str>>,
}

impl<'a> Obj<'a> {
    pub(crate) fn new(map: &'a Map<String, Value>, path: String) -> Self {
        Obj {
            map,
            path,
            seen: RefCell::new(std::collections::HashSet::new()),
        }
    }

    pub(crate) fn ptr(&self, key: &str) -> String {
        format!("{}/{}", self.path, escape(key))
    }

    /// The raw value (`null` counts as absent).
    pub(crate) fn raw(&self, key: &str) -> Option<&'a Value> {
        let (k, v) = self.map.get_key_value(key)?;
        self.seen.borrow_mut().insert(k.as_str());
        if v.is_null() { None } else { Some(v) }
    }

    /// Whether the key is present and not null.
    pub(crate) fn has(&self, key: &str) -> bool {
        self.map.get(key).is_some_and(|v| !v.is_null())
    }

    /// An optional string (empty counts as absent); records `canon`.
    pub(crate) fn opt(&self, cx: &mut Cx, key: &str, canon: &str) -> Option<String> {
        let v = self.raw(key)?;
        let p = self.ptr(key);
        if !canon.is_empty() {
            cx.map.record(canon, &p);
        }
        match v {
            Value::String(s) if s.is_empty() => None,
            Value::String(s) => Some(s.clone()),
            _ => {
                cx.wrong_type(&p, "a string");
                None
            }
        }
    }

    /// A required string.
    pub(crate) fn req(&self, cx: &mut Cx, key: &str, canon: &str) -> Option<String> {
        let v = self.opt(cx, key, canon);
        if v.is_none()
            && !self
                .map
                .get(key)
                .is_some_and(|v| !v.is_null() && !v.is_string())
        {
            cx.required(&self.ptr(key));
        }
        v
    }

    fn get(&self, cx: &mut Cx, key: &str, canon: &str, required: bool) -> Option<String> {
        if required {
            self.req(cx, key, canon)
        } else {
            self.opt(cx, key, canon)
        }
    }

    /// A time in the given format.
    pub(crate) fn time(
        &self,
        cx: &mut Cx,
        key: &str,
        canon: &str,
        fmt: TimeFormat,
        required: bool,
    ) -> Option<OffsetDateTime> {
        let s = self.get(cx, key, canon, required)?;
        let t = fmt.parse(&s);
        if t.is_none() {
            cx.format(&self.ptr(key), &s, fmt.pattern());
        }
        t
    }

    /// A decimal written as a string.
    pub(crate) fn dec(
        &self,
        cx: &mut Cx,
        key: &str,
        canon: &str,
        required: bool,
    ) -> Option<Decimal> {
        if let Some(Value::Number(n)) = self.map.get(key) {
            self.seen.borrow_mut().insert(key_ref(self.map, key));
            cx.format(
                &self.ptr(key),
                &n.to_string(),
                "a decimal string such as \"1234.50\" (numbers lose precision)",
            );
            return None;
        }
        let s = self.get(cx, key, canon, required)?;
        let d = crate::model::parse_decimal(&s).ok();
        if d.is_none() {
            cx.format(&self.ptr(key), &s, "a decimal number");
        }
        d
    }

    /// An optional credit code.
    pub(crate) fn credit(&self, cx: &mut Cx, key: &str, canon: &str) -> Option<CreditCode> {
        let s = self.opt(cx, key, canon)?;
        match CreditCode::parse(&s) {
            Ok(c) => Some(c),
            Err(e) => {
                cx.bad_credit_code(&self.ptr(key), &s, &e);
                None
            }
        }
    }

    /// A required credit code.
    pub(crate) fn credit_req(&self, cx: &mut Cx, key: &str, canon: &str) -> Option<CreditCode> {
        if !self.has(key) {
            cx.required(&self.ptr(key));
        }
        self.credit(cx, key, canon)
    }

    /// A required region code.
    pub(crate) fn region(&self, cx: &mut Cx, key: &str, canon: &str) -> Option<RegionCode> {
        let s = self.req(cx, key, canon)?;
        let r = RegionCode::parse(&s).ok();
        if r.is_none() {
            cx.format(&self.ptr(key), &s, "a six-digit region code");
        }
        r
    }

    /// An optional project type.
    pub(crate) fn project_type(&self, cx: &mut Cx, key: &str, canon: &str) -> Option<ProjectType> {
        let s = self.opt(cx, key, canon)?;
        let r = ProjectType::parse(&s).ok();
        if r.is_none() {
            cx.format(&self.ptr(key), &s, "a project type such as A01");
        }
        r
    }

    /// A small code (`"1"`) mapped through `f`.
    pub(crate) fn code<T>(
        &self,
        cx: &mut Cx,
        key: &str,
        canon: &str,
        required: bool,
        list: &str,
        f: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let s = self.get(cx, key, canon, required)?;
        let r = f(&s);
        if r.is_none() {
            cx.unknown_code(&self.ptr(key), &s, list);
        }
        r
    }

    /// A number parsed from a string (`"1"`).
    pub(crate) fn parsed<T: FromStr>(&self, cx: &mut Cx, key: &str, canon: &str) -> Option<T> {
        let s = self.req(cx, key, canon)?;
        let r = s.parse().ok();
        if r.is_none() {
            cx.format(&self.ptr(key), &s, "a positive whole number");
        }
        r
    }

    /// An optional array of objects.
    pub(crate) fn objects(&self, cx: &mut Cx, key: &str, canon: &str) -> Vec<Obj<'a>> {
        let Some(v) = self.raw(key) else {
            return Vec::new();
        };
        let p = self.ptr(key);
        if !canon.is_empty() {
            cx.map.record(canon, &p);
        }
        match v {
            Value::Array(items) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::Object(m) => out.push(Obj::new(m, format!("{p}/{i}"))),
                        _ => cx.wrong_type(&format!("{p}/{i}"), "an object"),
                    }
                }
                out
            }
            _ => {
                cx.wrong_type(&p, "an array");
                Vec::new()
            }
        }
    }

    /// An optional nested object.
    pub(crate) fn object(&self, cx: &mut Cx, key: &str) -> Option<Obj<'a>> {
        let v = self.raw(key)?;
        match v {
            Value::Object(m) => Some(Obj::new(m, self.ptr(key))),
            _ => {
                cx.wrong_type(&self.ptr(key), "an object");
                None
            }
        }
    }

    /// An optional array of strings.
    pub(crate) fn strings(&self, cx: &mut Cx, key: &str, canon: &str) -> Vec<String> {
        let Some(v) = self.raw(key) else {
            return Vec::new();
        };
        let p = self.ptr(key);
        if !canon.is_empty() {
            cx.map.record(canon, &p);
        }
        match v {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, it)| match it {
                    Value::String(s) => Some(s.clone()),
                    _ => {
                        cx.wrong_type(&format!("{p}/{i}"), "a string");
                        None
                    }
                })
                .collect(),
            _ => {
                cx.wrong_type(&p, "an array of strings");
                Vec::new()
            }
        }
    }

    /// The extension area (an object of JSON-pointer patches).
    pub(crate) fn patches(&self, cx: &mut Cx, key: &str) -> Map<String, Value> {
        match self.raw(key) {
            None => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(_) => {
                cx.wrong_type(&self.ptr(key), "an object");
                Map::new()
            }
        }
    }

    /// Reports every key that was never read.
    pub(crate) fn finish(&self, cx: &mut Cx) {
        let seen = self.seen.borrow();
        for k in self.map.keys() {
            if !seen.contains(k.as_str()) {
                cx.sink.push(Finding::error(
                    "schema.unknown_field",
                    self.ptr(k),
                    format!("unknown field `{k}`"),
                    format!("未知字段 `{k}`"),
                ));
            }
        }
    }
}

fn key_ref<'a>(map: &'a Map<String, Value>, key: &str) -> &'a str {
    map.get_key_value(key)
        .map(|(k, _)| k.as_str())
        .unwrap_or("")
}
