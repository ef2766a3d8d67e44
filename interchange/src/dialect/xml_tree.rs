//! A bounded, hostile-input-safe XML reader producing a small element tree with XPath-like paths.
//!
//! Refuses at once: a DOCTYPE (so no external entities and no entity expansion), any entity other
//! than the five predefined ones and character references, nesting deeper than the policy allows.
//! The encoding comes from the XML declaration (UTF-8 by default; GB18030, GBK and GB2312 accepted);
//! bytes invalid in it are reported with their offset, never replaced.

use std::cell::RefCell;

use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};

use super::json_read::Cx;
use crate::finding::{Finding, Sink};
use crate::policy::ValidationPolicy;

/// The most elements a document may hold: a bulletin has a few hundred at most, and the bound keeps
/// the tree of a maximal-size document of tiny elements small.
pub(crate) const MAX_ELEMENTS: usize = 20_000;

/// The most attributes one element may carry (the duplicate check is quadratic in their number).
pub(crate) const MAX_ATTRIBUTES: usize = 64;

/// An element.
#[derive(Debug)]
pub(crate) struct El {
    pub(crate) name: String,
    pub(crate) attrs: Vec<(String, String)>,
    pub(crate) children: Vec<El>,
    pub(crate) text: String,
    pub(crate) path: String,
}

fn declared_encoding(bytes: &[u8]) -> Option<String> {
    if !bytes.starts_with(b"<?xml") {
        return None;
    }
    let end = bytes.windows(2).take(300).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&bytes[..end]).ok()?;
    let i = decl.find("encoding")?;
    let rest = decl[i + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next()?;
    if quote != '"' && quote != '\'' {
        return None;
    }
    let rest = &rest[1..];
    let close = rest.find(quote)?;
    Some(rest[..close].to_owned())
}

fn decode(bytes: &[u8], sink: &mut Sink) -> Option<String> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        sink.push(Finding::error(
            "encoding.unsupported",
            "#byte=0",
            "UTF-16 documents are not accepted; use UTF-8 or GB18030",
            "不接受 UTF-16 编码的文档，请使用 UTF-8 或 GB18030",
        ));
        return None;
    }
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    let label = declared_encoding(bytes).unwrap_or_else(|| "UTF-8".to_owned());
    let lower = label.to_ascii_lowercase();
    match lower.as_str() {
        "utf-8" | "utf8" => match super::text::utf8(bytes) {
            Ok(s) => Some(s.to_owned()),
            Err(f) => {
                sink.push(f);
                None
            }
        },
        "gb18030" | "gbk" | "gb2312" => {
            let enc = encoding_rs::Encoding::for_label(lower.as_bytes())?;
            let mut decoder = enc.new_decoder_without_bom_handling();
            let cap = decoder
                .max_utf8_buffer_length_without_replacement(bytes.len())
                .unwrap_or(bytes.len() * 3 + 16);
            let mut out = String::with_capacity(cap);
            let (result, read) =
                decoder.decode_to_string_without_replacement(bytes, &mut out, true);
            match result {
                encoding_rs::DecoderResult::InputEmpty => Some(out),
                encoding_rs::DecoderResult::Malformed(bad, extra) => {
                    let offset = read - bad as usize - extra as usize;
                    sink.push(super::text::invalid_bytes(bytes, offset, &label));
                    None
                }
                encoding_rs::DecoderResult::OutputFull => {
                    sink.push(Finding::error(
                        "encoding.invalid_bytes",
                        "#byte=0",
                        "the document could not be decoded",
                        "文档无法解码",
                    ));
                    None
                }
            }
        }
        _ => {
            sink.push(Finding::error(
                "encoding.unsupported",
                "/",
                format!("the encoding `{label}` is not accepted; use UTF-8 or GB18030"),
                format!("不接受 `{label}` 编码，请使用 UTF-8 或 GB18030"),
            ));
            None
        }
    }
}

fn legal_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn line_of(text: &str, pos: usize) -> usize {
    text.as_bytes()[..pos.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

fn malformed(text: &str, pos: usize, why: impl std::fmt::Display) -> Finding {
    let line = line_of(text, pos);
    Finding::error(
        "xml.malformed",
        format!("#line={line}"),
        format!("not well-formed XML at line {line}: {why}"),
        format!("XML 格式错误（第 {line} 行）：{why}"),
    )
}

fn forbidden_entity(text: &str, pos: usize, name: &str) -> Finding {
    let line = line_of(text, pos);
    Finding::error(
        "xml.entity_forbidden",
        format!("#line={line}"),
        format!(
            "the entity reference `&{name};` is refused (only the predefined XML entities and character references are accepted)"
        ),
        format!("拒绝实体引用 `&{name};`（只接受 XML 预定义实体和字符引用）"),
    )
}

/// Parses a document into its root element.
pub(crate) fn parse(bytes: &[u8], policy: &ValidationPolicy, sink: &mut Sink) -> Option<El> {
    let text = decode(bytes, sink)?;
    if let Some((pos, c)) = text.char_indices().find(|(_, c)| !legal_xml_char(*c)) {
        let line = line_of(&text, pos);
        sink.push(Finding::error(
            "xml.illegal_char",
            format!("#line={line}"),
            format!(
                "the character U+{:04X} is not allowed in XML 1.0 (line {line})",
                c as u32
            ),
            format!("第 {line} 行含有 XML 1.0 不允许的字符 U+{:04X}", c as u32),
        ));
        return None;
    }
    let mut reader = Reader::from_str(&text);
    let mut stack: Vec<El> = Vec::new();
    // Per open element, how many children of each name it has so far (for `name[n]` paths).
    let mut counts: Vec<std::collections::HashMap<String, usize>> = Vec::new();
    let mut root: Option<El> = None;
    let mut elements = 0usize;
    loop {
        let pos = reader.buffer_position() as usize;
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                sink.push(malformed(&text, pos, e));
                return None;
            }
        };
        match &event {
            Event::DocType(_) => {
                sink.push(Finding::error(
                    "xml.doctype_forbidden",
                    format!("#line={}", line_of(&text, pos)),
                    "a DOCTYPE is refused (no DTDs, external entities or entity expansion)",
                    "拒绝 DOCTYPE 声明（不接受 DTD、外部实体和实体展开）",
                ));
                return None;
            }
            Event::Start(e) | Event::Empty(e) => {
                let is_empty = matches!(event, Event::Empty(_));
                elements += 1;
                if elements > MAX_ELEMENTS {
                    sink.push(Finding::error(
                        "xml.too_many_elements",
                        format!("#line={}", line_of(&text, pos)),
                        format!("more than {MAX_ELEMENTS} elements"),
                        format!("元素数量超过 {MAX_ELEMENTS} 个"),
                    ));
                    return None;
                }
                let name = e.name().as_ref().to_owned();
                if stack.len() + 1 > policy.max_depth {
                    sink.push(Finding::error(
                        "xml.too_deep",
                        format!("#line={}", line_of(&text, pos)),
                        format!("elements nested deeper than {} levels", policy.max_depth),
                        format!("元素嵌套超过 {} 层", policy.max_depth),
                    ));
                    return None;
                }
                if root.is_some() && stack.is_empty() {
                    sink.push(malformed(&text, pos, "content after the root element"));
                    return None;
                }
                let path = match (stack.last(), counts.last_mut()) {
                    (Some(parent), Some(seen)) => {
                        let n = seen.entry(name.clone()).or_insert(0);
                        *n += 1;
                        if *n == 1 {
                            format!("{}/{name}", parent.path)
                        } else {
                            format!("{}/{name}[{n}]", parent.path)
                        }
                    }
                    _ => format!("/{name}"),
                };
                let mut attrs = Vec::new();
                for a in e.attributes() {
                    if attrs.len() == MAX_ATTRIBUTES {
                        sink.push(Finding::error(
                            "xml.too_many_attributes",
                            format!("#line={}", line_of(&text, pos)),
                            format!("an element with more than {MAX_ATTRIBUTES} attributes"),
                            format!("元素的属性超过 {MAX_ATTRIBUTES} 个"),
                        ));
                        return None;
                    }
                    let a = match a {
                        Ok(a) => a,
                        Err(err) => {
                            sink.push(malformed(&text, pos, err));
                            return None;
                        }
                    };
                    let key = a.key.as_ref().to_owned();
                    match a.normalized_value(XmlVersion::Implicit1_0) {
                        Ok(v) => attrs.push((key, v.into_owned())),
                        Err(err) => {
                            // Only the predefined entities are resolved in attribute values.
                            let detail = err.to_string();
                            let name = detail.split('`').nth(1).unwrap_or("?").to_owned();
                            sink.push(forbidden_entity(&text, pos, &name));
                            return None;
                        }
                    }
                }
                let el = El {
                    name,
                    attrs,
                    children: Vec::new(),
                    text: String::new(),
                    path,
                };
                stack.push(el);
                counts.push(std::collections::HashMap::new());
                if is_empty {
                    counts.pop();
                    close(&mut stack, &mut root);
                }
            }
            Event::End(_) => {
                counts.pop();
                close(&mut stack, &mut root);
            }
            Event::Text(t) => {
                let s = t.xml_content(XmlVersion::Implicit1_0);
                match stack.last_mut() {
                    Some(el) => el.text.push_str(&s),
                    None if s.trim().is_empty() => {}
                    None => {
                        sink.push(malformed(&text, pos, "text outside the root element"));
                        return None;
                    }
                }
            }
            Event::CData(c) => {
                let s = c.xml_content(XmlVersion::Implicit1_0);
                match stack.last_mut() {
                    Some(el) => el.text.push_str(&s),
                    None => {
                        sink.push(malformed(&text, pos, "CDATA outside the root element"));
                        return None;
                    }
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) if legal_xml_char(c) => Some(c.to_string()),
                    Ok(Some(_)) | Err(_) => None,
                    Ok(None) => {
                        let name: String = (**r).to_owned();
                        match quick_xml::escape::resolve_predefined_entity(&name) {
                            Some(s) => Some(s.to_owned()),
                            None => {
                                sink.push(forbidden_entity(&text, pos, &name));
                                return None;
                            }
                        }
                    }
                };
                match (resolved, stack.last_mut()) {
                    (Some(s), Some(el)) => el.text.push_str(&s),
                    _ => {
                        sink.push(malformed(&text, pos, "bad character reference"));
                        return None;
                    }
                }
            }
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() || root.is_none() {
        sink.push(malformed(
            &text,
            text.len(),
            "the document ends before its root element is closed",
        ));
        return None;
    }
    root
}

fn close(stack: &mut Vec<El>, root: &mut Option<El>) {
    if let Some(el) = stack.pop() {
        match stack.last_mut() {
            Some(parent) => parent.children.push(el),
            None => *root = Some(el),
        }
    }
}

/// An element being read; children and attributes never asked for are reported by [`X::finish`].
pub(crate) struct X<'a> {
    pub(crate) el: &'a El,
    seen_children: RefCell<Vec<bool>>,
    seen_attrs: RefCell<Vec<bool>>,
}

impl<'a> X<'a> {
    pub(crate) fn new(el: &'a El) -> Self {
        X {
            el,
            seen_children: RefCell::new(vec![false; el.children.len()]),
            seen_attrs: RefCell::new(vec![false; el.attrs.len()]),
        }
    }

    /// An attribute's value and path (empty counts as absent).
    pub(crate) fn attr(&self, cx: &mut Cx, name: &str, canon: &str) -> Option<(String, String)> {
        let (i, (_, v)) = self
            .el
            .attrs
            .iter()
            .enumerate()
            .find(|(_, (k, _))| k == name)?;
        if let Some(flag) = self.seen_attrs.borrow_mut().get_mut(i) {
            *flag = true;
        }
        let path = format!("{}/@{name}", self.el.path);
        if !canon.is_empty() {
            cx.map.record(canon, &path);
        }
        if v.is_empty() {
            None
        } else {
            Some((v.clone(), path))
        }
    }

    /// A required attribute.
    pub(crate) fn attr_req(
        &self,
        cx: &mut Cx,
        name: &str,
        canon: &str,
    ) -> Option<(String, String)> {
        let v = self.attr(cx, name, canon);
        if v.is_none() {
            cx.required(&format!("{}/@{name}", self.el.path));
        }
        v
    }

    /// Children with this name.
    pub(crate) fn children(&self, name: &str) -> Vec<X<'a>> {
        let mut out = Vec::new();
        for (i, c) in self.el.children.iter().enumerate() {
            if c.name == name {
                if let Some(flag) = self.seen_children.borrow_mut().get_mut(i) {
                    *flag = true;
                }
                out.push(X::new(c));
            }
        }
        out
    }

    /// The only child with this name; a second one is an error.
    pub(crate) fn child(&self, cx: &mut Cx, name: &str) -> Option<X<'a>> {
        let mut all = self.children(name).into_iter();
        let first = all.next();
        for extra in all {
            cx.sink.push(Finding::error(
                "xml.duplicate_element",
                extra.el.path.clone(),
                format!("`{name}` may appear only once here"),
                format!("`{name}` 在此只能出现一次"),
            ));
        }
        first
    }

    /// A child's text and path (empty counts as absent).
    pub(crate) fn text(&self, cx: &mut Cx, name: &str, canon: &str) -> Option<(String, String)> {
        let c = self.child(cx, name)?;
        if !canon.is_empty() {
            cx.map.record(canon, &c.el.path);
        }
        c.leaf(cx)
    }

    /// A required child's text.
    pub(crate) fn text_req(
        &self,
        cx: &mut Cx,
        name: &str,
        canon: &str,
    ) -> Option<(String, String)> {
        let v = self.text(cx, name, canon);
        if v.is_none() {
            cx.required(&format!("{}/{name}", self.el.path));
        }
        v
    }

    /// This element's own text, when it has no child elements.
    pub(crate) fn leaf(&self, cx: &mut Cx) -> Option<(String, String)> {
        if let Some(c) = self.el.children.first() {
            cx.sink.push(Finding::error(
                "schema.unknown_element",
                c.path.clone(),
                format!("`{}` holds text, not elements", self.el.name),
                format!("`{}` 只能包含文本，不能包含元素", self.el.name),
            ));
            return None;
        }
        if self.el.text.is_empty() {
            None
        } else {
            Some((self.el.text.clone(), self.el.path.clone()))
        }
    }

    /// Reports children and attributes never asked for, and text between child elements.
    pub(crate) fn finish(&self, cx: &mut Cx) {
        let seen = self.seen_children.borrow();
        for (i, c) in self.el.children.iter().enumerate() {
            if !seen.get(i).copied().unwrap_or(false) {
                cx.sink.push(Finding::error(
                    "schema.unknown_element",
                    c.path.clone(),
                    format!("unexpected element `{}`", c.name),
                    format!("不应出现的元素 `{}`", c.name),
                ));
            }
        }
        let seen = self.seen_attrs.borrow();
        for (i, (k, _)) in self.el.attrs.iter().enumerate() {
            if !seen.get(i).copied().unwrap_or(false)
                && !k.starts_with("xmlns")
                && !k.starts_with("xsi:")
            {
                cx.sink.push(Finding::error(
                    "schema.unknown_attribute",
                    format!("{}/@{k}", self.el.path),
                    format!("unexpected attribute `{k}`"),
                    format!("不应出现的属性 `{k}`"),
                ));
            }
        }
        if !self.el.children.is_empty() && !self.el.text.trim().is_empty() {
            cx.sink.push(Finding::error(
                "schema.unexpected_text",
                self.el.path.clone(),
                "text is not allowed between these elements",
                "此处不允许出现文本",
            ));
        }
    }
}
