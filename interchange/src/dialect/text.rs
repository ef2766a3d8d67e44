//! Shared text helpers: strict decoding, the dialects' time formats, exact amounts.

use rust_decimal::Decimal;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::finding::Finding;
use crate::model::{CST, MoneyUnit};

/// Decodes UTF-8, reporting the first invalid byte (never replacing it).
pub(crate) fn utf8(bytes: &[u8]) -> Result<&str, Finding> {
    std::str::from_utf8(bytes).map_err(|e| invalid_bytes(bytes, e.valid_up_to(), "UTF-8"))
}

/// The finding for undecodable bytes at `offset`.
pub(crate) fn invalid_bytes(bytes: &[u8], offset: usize, encoding: &str) -> Finding {
    let line = bytes[..offset].iter().filter(|b| **b == b'\n').count() + 1;
    let shown: Vec<String> = bytes[offset..]
        .iter()
        .take(4)
        .map(|b| format!("{b:02X}"))
        .collect();
    Finding::error(
        "encoding.invalid_bytes",
        format!("#byte={offset}"),
        format!(
            "bytes {} at offset {offset} (line {line}) are not valid {encoding}",
            shown.join(" ")
        ),
        format!(
            "第 {line} 行偏移 {offset} 处的字节 {} 不是有效的 {encoding} 编码",
            shown.join(" ")
        ),
    )
}

/// A dialect's time format (all in Beijing time, without zone).
#[derive(Debug, Clone, Copy)]
pub(crate) enum TimeFormat {
    /// `yyyy-MM-ddTHH:mm:ss`.
    IsoLocal,
    /// `yyyy-MM-dd HH:mm:ss`.
    SpaceLocal,
    /// `yyyyMMddHHmmss`.
    Compact,
}

impl TimeFormat {
    fn items(self) -> &'static [BorrowedFormatItem<'static>] {
        match self {
            TimeFormat::IsoLocal => {
                format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]")
            }
            TimeFormat::SpaceLocal => {
                format_description!("[year]-[month]-[day] [hour]:[minute]:[second]")
            }
            TimeFormat::Compact => {
                format_description!("[year][month][day][hour][minute][second]")
            }
        }
    }

    /// The pattern, for messages.
    pub(crate) fn pattern(self) -> &'static str {
        match self {
            TimeFormat::IsoLocal => "yyyy-MM-ddTHH:mm:ss",
            TimeFormat::SpaceLocal => "yyyy-MM-dd HH:mm:ss",
            TimeFormat::Compact => "yyyyMMddHHmmss",
        }
    }

    /// Parses a Beijing-time text.
    pub(crate) fn parse(self, s: &str) -> Option<OffsetDateTime> {
        let expected_len = match self {
            TimeFormat::Compact => 14,
            _ => 19,
        };
        if s.len() != expected_len {
            return None;
        }
        PrimitiveDateTime::parse(s, self.items())
            .ok()
            .map(|p| p.assume_offset(CST))
    }

    /// Formats an instant in Beijing time; sub-second parts are dropped (the extension area keeps
    /// them). `None` when the year has not four digits.
    pub(crate) fn format(self, t: OffsetDateTime) -> Option<String> {
        let t = t.to_offset(CST);
        if !(1000..=9999).contains(&t.year()) {
            return None;
        }
        t.format(self.items()).ok()
    }
}

/// The finding for an instant a dialect cannot write.
pub(crate) fn unwritable_time(path: &str, t: OffsetDateTime) -> Finding {
    Finding::error(
        "translate.time_out_of_range",
        path,
        format!("the time {t} has no four-digit year and cannot be written"),
        format!("时间 {t} 的年份不是四位数，无法表示"),
    )
}

/// Converts an amount between currency units exactly; `None` if the result is not exact.
pub(crate) fn convert(amount: Decimal, from: MoneyUnit, to: MoneyUnit) -> Option<Decimal> {
    let ten_k = Decimal::from(10_000);
    let out = match (from, to) {
        (a, b) if a == b => Some(amount),
        (MoneyUnit::Yuan, MoneyUnit::TenThousandYuan) => amount
            .checked_div(ten_k)
            .filter(|q| q.checked_mul(ten_k) == Some(amount)),
        (MoneyUnit::TenThousandYuan, MoneyUnit::Yuan) => amount.checked_mul(ten_k),
        _ => None,
    };
    out.map(|d| d.normalize())
}

/// The finding for an amount a dialect cannot state exactly.
pub(crate) fn inexact(path: &str, amount: Decimal, from: MoneyUnit, to: MoneyUnit) -> Finding {
    Finding::error(
        "translate.unit_inexact",
        path,
        format!("{amount} {from:?} cannot be stated exactly in {to:?}"),
        format!("金额 {amount}（{from:?}）无法精确换算为 {to:?}"),
    )
}

/// The plain text of a decimal (normalised, no exponent).
pub(crate) fn dec_text(d: Decimal) -> String {
    d.normalize().to_string()
}
