//! Hostile and broken input: refused at once, precisely, never guessed.

mod common;

use common::{policy, tables};
use interchange::{Dialect, Finding, MAX_FINDINGS, Severity, ValidationPolicy, parse};

fn findings(d: Dialect, bytes: &[u8], p: &ValidationPolicy) -> Vec<Finding> {
    match parse(d, bytes, &tables(), p) {
        Ok(ok) => panic!("accepted: {ok:?}"),
        Err(e) => e.0,
    }
}

fn codes_paths(f: &[Finding]) -> Vec<(String, String)> {
    f.iter().map(|x| (x.code.clone(), x.path.clone())).collect()
}

fn one(code: &str, path: &str) -> Vec<(String, String)> {
    vec![(code.to_owned(), path.to_owned())]
}

const SAMPLE: &str =
    include_str!("../../seeds/announcements/shanghai/ok/01-construction-tender.xml");

#[test]
fn billion_laughs_is_refused_at_the_doctype() {
    let xml = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<tenderBulletin><title>&lol3;</title></tenderBulletin>"#;
    let f = findings(Dialect::Shanghai, xml.as_bytes(), &policy());
    assert_eq!(codes_paths(&f), one("xml.doctype_forbidden", "#line=2"));
}

#[test]
fn external_entity_is_refused_at_the_doctype() {
    let xml = SAMPLE.replacen(
        "<tenderBulletin>",
        "<!DOCTYPE tenderBulletin SYSTEM \"http://evil.example/x.dtd\">\n<tenderBulletin>",
        1,
    );
    let f = findings(Dialect::Shanghai, xml.as_bytes(), &policy());
    assert_eq!(codes_paths(&f), one("xml.doctype_forbidden", "#line=2"));
}

#[test]
fn undeclared_entity_reference_is_refused() {
    let xml = SAMPLE.replacen("<title>", "<title>&secret;", 1);
    let f = findings(Dialect::Shanghai, xml.as_bytes(), &policy());
    assert_eq!(codes_paths(&f), one("xml.entity_forbidden", "#line=7"));
}

#[test]
fn entity_reference_in_an_attribute_is_refused() {
    let xml = SAMPLE.replacen("<project code=\"", "<project code=\"&secret;", 1);
    let f = findings(Dialect::Shanghai, xml.as_bytes(), &policy());
    assert_eq!(codes_paths(&f), one("xml.entity_forbidden", "#line=11"));
    assert!(f[0].message_en.contains("secret"), "{}", f[0].message_en);
}

#[test]
fn predefined_entities_and_character_references_are_accepted() {
    let xml = SAMPLE.replacen("<title>", "<title>&lt;&#x4E2D;&#22269;&amp;", 1);
    let a = parse(Dialect::Shanghai, xml.as_bytes(), &tables(), &policy())
        .expect("valid")
        .announcement;
    assert!(a.title.starts_with("<中国&青浦"), "{}", a.title);
}

#[test]
fn deep_nesting_is_refused() {
    let depth = 10_000;
    let xml = format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
    let f = findings(Dialect::Shanghai, xml.as_bytes(), &policy());
    assert_eq!(codes_paths(&f), one("xml.too_deep", "#line=1"));
    let json = format!("{{\"a\":{}1{}}}", "[".repeat(100), "]".repeat(100));
    let f = findings(Dialect::Jiangsu, json.as_bytes(), &policy());
    assert_eq!(codes_paths(&f), one("json.too_deep", ""));
}

#[test]
fn too_many_elements_are_refused() {
    let xml = format!("<tenderBulletin>{}</tenderBulletin>", "<a/>".repeat(25_000));
    let f = findings(Dialect::Shanghai, xml.as_bytes(), &policy());
    assert_eq!(codes_paths(&f), one("xml.too_many_elements", "#line=1"));
}

#[test]
fn oversize_input_is_refused_before_reading() {
    let p = ValidationPolicy::default();
    let big = vec![b' '; p.max_bytes + 1];
    for d in [
        Dialect::Shanghai,
        Dialect::Jiangsu,
        Dialect::Zhejiang,
        Dialect::Canonical,
    ] {
        let f = findings(d, &big, &p);
        assert_eq!(codes_paths(&f), one("input.too_large", ""));
    }
}

#[test]
fn invalid_utf8_is_reported_with_its_offset() {
    let mut bytes = SAMPLE.as_bytes().to_vec();
    let at = SAMPLE.find("<title>").expect("title") + "<title>".len();
    bytes[at] = 0xFF;
    let f = findings(Dialect::Shanghai, &bytes, &policy());
    assert_eq!(
        codes_paths(&f),
        one("encoding.invalid_bytes", &format!("#byte={at}"))
    );
    assert_eq!(f[0].severity, Severity::Error);
}

#[test]
fn utf16_and_unknown_encodings_are_refused() {
    let f = findings(Dialect::Shanghai, &[0xFF, 0xFE, b'<', 0], &policy());
    assert_eq!(codes_paths(&f), one("encoding.unsupported", "#byte=0"));
    let latin = SAMPLE.replacen("UTF-8", "ISO-8859-1", 1);
    let f = findings(Dialect::Shanghai, latin.as_bytes(), &policy());
    assert_eq!(codes_paths(&f), one("encoding.unsupported", "/"));
}

#[test]
fn gb18030_and_gbk_declarations_are_decoded() {
    let t = tables();
    let utf8 = parse(Dialect::Shanghai, SAMPLE.as_bytes(), &t, &policy()).expect("valid");
    for label in ["GB18030", "GBK", "gb2312"] {
        let text = SAMPLE.replacen("UTF-8", label, 1);
        let (bytes, _, unmappable) = encoding_rs::GB18030.encode(&text);
        assert!(!unmappable);
        let parsed = parse(Dialect::Shanghai, &bytes, &t, &policy()).expect("valid");
        assert_eq!(parsed.announcement, utf8.announcement, "{label}");
    }
    let sample = common::seeds().join("shanghai/ok/13-construction-tender-gb18030.xml");
    let bytes = std::fs::read(sample).expect("read");
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the sample really is GB18030"
    );
    let a = parse(Dialect::Shanghai, &bytes, &t, &policy())
        .expect("valid")
        .announcement;
    assert_eq!(a.title, "青浦示范区水乡客厅道路工程施工招标公告");
}

#[test]
fn invalid_gbk_bytes_are_reported_not_replaced() {
    let text = SAMPLE.replacen("UTF-8", "GBK", 1);
    let mut bytes = encoding_rs::GB18030.encode(&text).0.into_owned();
    let at = bytes
        .windows(7)
        .position(|w| w == b"<title>")
        .expect("title")
        + 7;
    // A lead byte followed by a byte that cannot trail it (0x7F) is invalid in GBK and GB18030.
    bytes[at] = 0x81;
    bytes[at + 1] = 0x7F;
    let f = findings(Dialect::Shanghai, &bytes, &policy());
    assert_eq!(
        codes_paths(&f),
        one("encoding.invalid_bytes", &format!("#byte={at}"))
    );
    assert!(f[0].message_en.contains("GBK"), "{}", f[0].message_en);
}

#[test]
fn illegal_xml_characters_are_refused() {
    let xml = SAMPLE.replacen("<title>", "<title>\u{1}", 1);
    let f = findings(Dialect::Shanghai, xml.as_bytes(), &policy());
    assert_eq!(codes_paths(&f), one("xml.illegal_char", "#line=7"));
    let xml = SAMPLE.replacen("<title>", "<title>&#x1;", 1);
    let f = findings(Dialect::Shanghai, xml.as_bytes(), &policy());
    assert_eq!(codes_paths(&f), one("xml.malformed", "#line=7"));
}

#[test]
fn malformed_documents_are_reported() {
    let xml = SAMPLE.replacen("</title>", "</titel>", 1);
    let f = findings(Dialect::Shanghai, xml.as_bytes(), &policy());
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].code, "xml.malformed");
    let f = findings(Dialect::Jiangsu, b"{\"title\": ", &policy());
    assert_eq!(codes_paths(&f), one("json.malformed", "#line=1,column=10"));
    let f = findings(Dialect::Zhejiang, b"[1, 2]", &policy());
    assert_eq!(codes_paths(&f), one("schema.type", ""));
}

#[test]
fn ocds_is_not_an_input() {
    let f = findings(Dialect::Ocds, b"{}", &policy());
    assert_eq!(codes_paths(&f), one("dialect.output_only", ""));
}

#[test]
fn duplicate_json_keys_are_refused_not_resolved() {
    let json = "{\n  \"title\": \"a\",\n  \"title\": \"b\"\n}";
    for d in [Dialect::Jiangsu, Dialect::Zhejiang, Dialect::Canonical] {
        let f = findings(d, json.as_bytes(), &policy());
        assert_eq!(
            codes_paths(&f),
            one("json.duplicate_key", "#line=3,column=9"),
            "{d}"
        );
        assert_eq!(
            f[0].message_en,
            "the key `title` appears twice in one object"
        );
    }
}

#[test]
fn wide_documents_are_read_in_linear_time() {
    // Many unknown keys or elements: reading stays fast (no quadratic scans) and the findings are
    // capped, the last one saying how many were left out.
    let keys: Vec<String> = (0..40_000).map(|i| format!("\"k{i}\":0")).collect();
    let json = format!("{{{}}}", keys.join(","));
    let f = findings(Dialect::Jiangsu, json.as_bytes(), &policy());
    assert_eq!(f.len(), MAX_FINDINGS + 1);
    // 12 required Jiangsu fields are missing, then the unknown keys in document order.
    let count = |code: &str| f.iter().filter(|x| x.code == code).count();
    assert_eq!(count("schema.required"), 12);
    assert_eq!(count("schema.unknown_field"), 988);
    assert_eq!(f[MAX_FINDINGS].code, "findings.truncated");
    assert_eq!(
        f[MAX_FINDINGS].message_en,
        "39012 more findings were not listed"
    );

    let xml = SAMPLE.replacen(
        "<sections>",
        &format!("<sections>{}", "<x/>".repeat(19_000)),
        1,
    );
    let f = findings(Dialect::Shanghai, xml.as_bytes(), &policy());
    assert_eq!(f.len(), MAX_FINDINGS + 1);
    assert_eq!(f[0].path, "/tenderBulletin/sections/x");
    assert_eq!(f[1].path, "/tenderBulletin/sections/x[2]");
    assert_eq!(
        f[MAX_FINDINGS].message_en,
        "18000 more findings were not listed"
    );
}

#[test]
fn attribute_floods_are_refused() {
    let attrs: String = (0..100_000).map(|i| format!(" a{i}=\"\"")).collect();
    let xml = format!("<tenderBulletin{attrs}/>");
    let f = findings(Dialect::Shanghai, xml.as_bytes(), &policy());
    assert_eq!(codes_paths(&f), one("xml.too_many_attributes", "#line=1"));
}
