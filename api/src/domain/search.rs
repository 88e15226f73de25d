//! Diacritics-insensitive search: clerks and leaders often type without accents on a phone, so
//! "quyet dinh" must find "Quyết định". Stored text and queries are both folded the same way.

use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};

/// Lower-cases, strips Vietnamese diacritics and collapses whitespace runs to one space:
/// "Quyết định  số 1945-QĐ/TU" becomes "quyet dinh so 1945-qd/tu".
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space_pending = false;
    // Lower-case first, so that any marks lower-casing produces are dropped too.
    let letters = text
        .chars()
        .flat_map(char::to_lowercase)
        .nfd()
        .filter(|c| !is_combining_mark(*c));
    for c in letters {
        if c.is_whitespace() {
            space_pending = !out.is_empty();
            continue;
        }
        if space_pending {
            out.push(' ');
            space_pending = false;
        }
        // đ is a letter of its own, not d with a mark, so NFD leaves it whole.
        out.push(if c == 'đ' { 'd' } else { c });
    }
    out
}

/// Whether `query` occurs in `text` once both are folded; an empty query matches everything.
pub fn matches(text: &str, query: &str) -> bool {
    fold(text).contains(&fold(query))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_vietnamese_phrases() {
        for (text, folded) in [
            ("Quyết định số 1945-QĐ/TU", "quyet dinh so 1945-qd/tu"),
            ("Thượng khẩn", "thuong khan"),
            ("Hỏa tốc", "hoa toc"),
            ("Hoả tốc", "hoa toc"),
            ("Ủy ban nhân dân", "uy ban nhan dan"),
            ("Đảng bộ", "dang bo"),
            ("ĐẢNG ỦY KHỐI", "dang uy khoi"),
            ("Tờ trình\tvề   việc\n mua sắm ", "to trinh ve viec mua sam"),
            ("Nghị quyết 28/2018/QĐ-TTg", "nghi quyet 28/2018/qd-ttg"),
            ("", ""),
            ("   ", ""),
        ] {
            assert_eq!(fold(text), folded, "{text:?}");
        }
    }

    #[test]
    fn precomposed_and_decomposed_input_fold_alike() {
        // "Việt" typed as precomposed ệ, and as e + dot below + circumflex.
        assert_eq!(fold("Vi\u{1EC7}t"), fold("Vie\u{323}\u{302}t"));
        assert_eq!(fold("Vie\u{323}\u{302}t"), "viet");
    }

    #[test]
    fn folding_is_idempotent() {
        let once = fold("Kế hoạch  Chuyển đổi số");
        assert_eq!(fold(&once), once);
    }

    #[test]
    fn queries_without_accents_match_by_substring() {
        let summary = "Quyết định số 1945-QĐ/TU về việc thành lập Ban Chỉ đạo";
        for query in [
            "quyet dinh",
            "QUYẾT ĐỊNH",
            "1945-qd",
            "ban chi dao",
            "",
            "thanh  lap",
        ] {
            assert!(matches(summary, query), "{query:?}");
        }
        for query in ["chi thi", "quyet-dinh", "1946"] {
            assert!(!matches(summary, query), "{query:?}");
        }
    }
}
