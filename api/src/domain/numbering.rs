//! Official numbers (số, ký hiệu): which year a number belongs to, and how the number and symbol
//! are written in each of the two styles that exist side by side.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};

use super::document::CONG_VAN;
use super::organization::NumberingStyle;

/// Asia/Ho_Chi_Minh: UTC+7 all year (no daylight saving), so a fixed offset is exact.
const VIETNAM: FixedOffset = match FixedOffset::east_opt(7 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+7 is a valid offset"),
};

/// The calendar date in Vietnam at `now`: the issuing date (ngày ban hành) of a document issued
/// then. Between 17:00 and 24:00 UTC it is already tomorrow there.
pub fn local_date(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&VIETNAM).date_naive()
}

/// The wall-clock time in Vietnam at `now`, as edXML timestamps are written.
pub fn local_time(now: DateTime<Utc>) -> chrono::NaiveDateTime {
    now.with_timezone(&VIETNAM).naive_local()
}

/// The instant a Vietnam calendar day begins.
pub fn start_of_day(date: NaiveDate) -> DateTime<Utc> {
    date.and_time(chrono::NaiveTime::MIN)
        .and_local_timezone(VIETNAM)
        .single()
        .map_or_else(
            || date.and_time(chrono::NaiveTime::MIN).and_utc(),
            |t| t.to_utc(),
        )
}

/// The year whose register a number issued at `now` is taken from: numbers start again from 1
/// at midnight on 1 January, Vietnam time.
pub fn numbering_year(now: DateTime<Utc>) -> i32 {
    local_date(now).year()
}

/// Writes a number and symbol (số, ký hiệu). Numbers below 10 get a leading zero.
///
/// - State: `02/CT-TTg`; a normative document (văn bản quy phạm pháp luật) carries its year,
///   `28/2018/QĐ-TTg`; Công văn has no type code, `123/UBND-VP`.
/// - Party: `1945-QĐ/TU`, `04-QĐi/TU`, and Công văn keeps its code, `15-CV/TU`. Party documents
///   are not normative, so `normative_year` is not written.
pub fn format_number(
    style: NumberingStyle,
    seq: u32,
    doc_type: &str,
    issuer_symbol: &str,
    normative_year: Option<i32>,
) -> String {
    match style {
        NumberingStyle::Party => format!("{seq:02}-{doc_type}/{issuer_symbol}"),
        NumberingStyle::State => {
            let year = normative_year.map(|y| format!("{y}/")).unwrap_or_default();
            if doc_type == CONG_VAN {
                format!("{seq:02}/{year}{issuer_symbol}")
            } else {
                format!("{seq:02}/{year}{doc_type}-{issuer_symbol}")
            }
        }
    }
}

/// The part of a symbol after the type code that names who issued it: the organisation's
/// abbreviation and, for a state-style Công văn, the drafting unit's (`215/UBND-VX`,
/// `7816/VPCP-TTĐT`, ND 30 Appendix I). Party Công văn carry the committee's alone (`15-CV/TU`).
pub fn issuer_symbol(
    style: NumberingStyle,
    doc_type: &str,
    organization: &str,
    drafting_unit: Option<&str>,
) -> String {
    match drafting_unit {
        Some(unit) if style == NumberingStyle::State && doc_type == CONG_VAN => {
            format!("{organization}-{unit}")
        }
        _ => organization.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use NumberingStyle::{Party, State};

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc()
    }

    #[test]
    fn a_vietnam_day_starts_at_17_utc_the_day_before() {
        let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        assert_eq!(start_of_day(day), at("2025-12-31T17:00:00Z"));
        assert_eq!(local_date(start_of_day(day)), day);
    }

    #[test]
    fn the_year_turns_at_midnight_in_vietnam() {
        for (now, year, date) in [
            ("2025-12-31T16:59:59Z", 2025, "2025-12-31"),
            ("2025-12-31T17:00:00Z", 2026, "2026-01-01"),
            ("2026-01-01T00:00:00Z", 2026, "2026-01-01"),
            ("2026-06-15T23:30:00Z", 2026, "2026-06-16"),
        ] {
            assert_eq!(numbering_year(at(now)), year, "{now}");
            assert_eq!(local_date(at(now)).to_string(), date, "{now}");
        }
    }

    #[test]
    fn a_state_cong_van_names_its_drafting_unit() {
        let symbol = |style, doc_type, unit| {
            let issuer = issuer_symbol(style, doc_type, "UBND", unit);
            format_number(style, 215, doc_type, &issuer, None)
        };
        assert_eq!(symbol(State, "CV", Some("VX")), "215/UBND-VX");
        assert_eq!(symbol(State, "CV", None), "215/UBND");
        // Other types and Party style leave the unit out.
        assert_eq!(symbol(State, "QĐ", Some("VX")), "215/QĐ-UBND");
        assert_eq!(symbol(Party, "CV", Some("VX")), "215-CV/UBND");
    }

    #[test]
    fn numbers_in_both_styles() {
        let cases = [
            // The examples in DOMAIN.md.
            (State, 2, "CT", "TTg", None, "02/CT-TTg"),
            (State, 28, "QĐ", "TTg", Some(2018), "28/2018/QĐ-TTg"),
            (Party, 1945, "QĐ", "TU", None, "1945-QĐ/TU"),
            (Party, 4, "QĐi", "TU", None, "04-QĐi/TU"),
            // Công văn: state style drops the code, Party style keeps it.
            (State, 123, "CV", "UBND-VP", None, "123/UBND-VP"),
            (Party, 15, "CV", "TU", None, "15-CV/TU"),
            (State, 7, "CV", "SGDĐT-VP", None, "07/SGDĐT-VP"),
            // More of both.
            (State, 1, "NQ", "HĐND", Some(2026), "01/2026/NQ-HĐND"),
            (State, 10, "TTr", "STTTT", None, "10/TTr-STTTT"),
            (State, 9, "KH", "UBND", None, "09/KH-UBND"),
            (Party, 99, "KL", "TW", None, "99-KL/TW"),
            (Party, 3, "NQ", "TU", Some(2026), "03-NQ/TU"),
        ];
        for (style, seq, doc_type, issuer, year, expected) in cases {
            assert_eq!(
                format_number(style, seq, doc_type, issuer, year),
                expected,
                "{style:?} {seq} {doc_type} {issuer} {year:?}"
            );
        }
    }
}
