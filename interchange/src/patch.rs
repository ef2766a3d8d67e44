//! The extension area's content: the canonical fields a dialect could not hold, as JSON-pointer
//! patches against what the dialect's own fields give back.
//!
//! Rendering writes a dialect's own fields, reads them back, and stores the difference from the
//! canonical announcement as `{pointer: value}` (value `null` = remove). Parsing applies it. So
//! `A -> B -> A` is lossless by construction, and a receiver of `B` that ignores the area still
//! reads every field `B` has a place for.

use serde_json::{Map, Value};

use crate::dialect::text::convert;
use crate::model::{MoneyUnit, parse_decimal};

/// Appends to `out` the patches that turn `have` into `want`.
pub(crate) fn diff(path: &str, want: &Value, have: &Value, out: &mut Map<String, Value>) {
    match (want, have) {
        (Value::Object(w), Value::Object(h)) => {
            for (k, wv) in w {
                let p = format!("{path}/{}", escape(k));
                match h.get(k) {
                    Some(hv) => diff(&p, wv, hv, out),
                    None => {
                        out.insert(p, wv.clone());
                    }
                }
            }
            for k in h.keys() {
                if !w.contains_key(k) {
                    out.insert(format!("{path}/{}", escape(k)), Value::Null);
                }
            }
        }
        (Value::Array(w), Value::Array(h)) if w.len() == h.len() => {
            for (i, (wv, hv)) in w.iter().zip(h).enumerate() {
                diff(&format!("{path}/{i}"), wv, hv, out);
            }
        }
        _ => {
            if want != have {
                out.insert(path.to_owned(), want.clone());
            }
        }
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn unescape(seg: &str) -> String {
    seg.replace("~1", "/").replace("~0", "~")
}

fn is_money(m: &Map<String, Value>) -> bool {
    m.contains_key("amount") && m.contains_key("unit") && m.contains_key("form")
}

fn unit_of(v: &Value) -> Option<MoneyUnit> {
    serde_json::from_value(v.clone()).ok()
}

/// Re-expresses, in `have`, every amount whose unit differs from `want`'s in `want`'s amount when the
/// two are exactly equal, leaving the unit alone: the diff then holds only a `/unit` patch, which
/// [`apply`] turns back into the same exact conversion.
pub(crate) fn align_units(want: &Value, have: &mut Value) {
    match (want, have) {
        (Value::Object(w), Value::Object(h)) => {
            if is_money(w) && is_money(h) && w.get("unit") != h.get("unit") {
                let (Some(wu), Some(hu)) = (
                    w.get("unit").and_then(unit_of),
                    h.get("unit").and_then(unit_of),
                ) else {
                    return;
                };
                let amount = |m: &Map<String, Value>| {
                    m.get("amount")
                        .and_then(Value::as_str)
                        .and_then(|s| parse_decimal(s).ok())
                };
                if let (Some(wa), Some(ha)) = (amount(w), amount(h))
                    && convert(ha, hu, wu) == Some(wa)
                    && let Some(slot) = h.get_mut("amount")
                {
                    *slot = Value::String(wa.normalize().to_string());
                }
                return;
            }
            for (k, wv) in w {
                if let Some(hv) = h.get_mut(k) {
                    align_units(wv, hv);
                }
            }
        }
        (Value::Array(w), Value::Array(h)) if w.len() == h.len() => {
            for (wv, hv) in w.iter().zip(h.iter_mut()) {
                align_units(wv, hv);
            }
        }
        _ => {}
    }
}

/// Applies one patch; `Err` names why the pointer does not fit the document.
///
/// A patch of a money object's `/unit` alone (no `/amount` patch beside it in `all`) converts the
/// amount exactly into that unit.
pub(crate) fn apply(
    doc: &mut Value,
    pointer: &str,
    value: &Value,
    all: &Map<String, Value>,
) -> Result<(), String> {
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(format!("`{pointer}` is not a JSON pointer"));
    };
    let segs: Vec<String> = rest.split('/').map(unescape).collect();
    let (last, parents) = segs
        .split_last()
        .ok_or_else(|| format!("`{pointer}` is empty"))?;
    let mut cur = doc;
    for seg in parents {
        cur = match cur {
            Value::Object(m) => m
                .entry(seg.clone())
                .or_insert_with(|| Value::Object(Map::new())),
            Value::Array(a) => {
                let i: usize = seg
                    .parse()
                    .map_err(|_| format!("`{seg}` in `{pointer}` is not an index"))?;
                a.get_mut(i)
                    .ok_or_else(|| format!("index {i} in `{pointer}` is out of range"))?
            }
            _ => return Err(format!("`{pointer}` goes through a scalar")),
        };
    }
    match cur {
        Value::Object(m) => {
            let sibling_amount = pointer
                .strip_suffix("/unit")
                .is_some_and(|parent| all.contains_key(&format!("{parent}/amount")));
            if last == "unit" && is_money(m) && !sibling_amount {
                let from = m.get("unit").and_then(unit_of).ok_or("not a unit")?;
                let to = unit_of(value).ok_or_else(|| format!("`{value}` is not a unit"))?;
                let amount = m
                    .get("amount")
                    .and_then(Value::as_str)
                    .and_then(|s| parse_decimal(s).ok())
                    .ok_or("not an amount")?;
                let converted = convert(amount, from, to)
                    .ok_or_else(|| format!("{amount} cannot be stated exactly in {value}"))?;
                m.insert(
                    "amount".into(),
                    Value::String(converted.normalize().to_string()),
                );
                m.insert("unit".into(), value.clone());
                return Ok(());
            }
            if value.is_null() {
                m.remove(last);
            } else {
                m.insert(last.clone(), value.clone());
            }
            Ok(())
        }
        Value::Array(a) => {
            let i: usize = last
                .parse()
                .map_err(|_| format!("`{last}` in `{pointer}` is not an index"))?;
            let slot = a
                .get_mut(i)
                .ok_or_else(|| format!("index {i} in `{pointer}` is out of range"))?;
            *slot = value.clone();
            Ok(())
        }
        _ => Err(format!("`{pointer}` goes through a scalar")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn diff_then_apply_restores() {
        let want = json!({"a": {"b": 1, "c/d": [1, 2]}, "e": [1], "f": "x"});
        let have = json!({"a": {"b": 2, "c/d": [1, 3]}, "e": [1, 2], "g": true});
        let mut out = Map::new();
        diff("", &want, &have, &mut out);
        assert_eq!(
            Value::Object(out.clone()),
            json!({"/a/b": 1, "/a/c~1d/1": 2, "/e": [1], "/f": "x", "/g": null})
        );
        let mut doc = have;
        for (p, v) in &out {
            apply(&mut doc, p, v, &out).expect("applies");
        }
        assert_eq!(doc, want);
    }

    #[test]
    fn unit_only_patches_convert_exactly() {
        let want = json!({"b": {"amount": "1234567.89", "currency": "CNY", "unit": "yuan", "form": "amount"}});
        let mut have = json!({"b": {"amount": "123.456789", "currency": "CNY", "unit": "ten_thousand_yuan", "form": "amount"}});
        let original = have.clone();
        align_units(&want, &mut have);
        let mut out = Map::new();
        diff("", &want, &have, &mut out);
        assert_eq!(Value::Object(out.clone()), json!({"/b/unit": "yuan"}));
        let mut doc = original;
        for (p, v) in &out {
            apply(&mut doc, p, v, &out).expect("applies");
        }
        assert_eq!(doc, want);
    }
}
