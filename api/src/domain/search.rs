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
        // Control characters part words like spaces: PostgreSQL's text cannot even hold a NUL.
        if c.is_whitespace() || c.is_control() {
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

/// The words of a query as a leader types it, folded: a document matches when each occurs in its
/// folded text, in any order. LIKE's own wildcards are dropped (people search words, not
/// patterns), and so are repeats.
pub fn words(query: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for word in fold(query).split(' ') {
        let word = word.replace(['%', '_', '\\'], "");
        if !word.is_empty() && !words.contains(&word) {
            words.push(word);
        }
    }
    words
}

/// A folded word without its ASCII punctuation (`1945-qd/tu` becomes `1945qdtu`): how
/// PostgreSQL's search index holds the text (see the migration that built it). A word found in
/// a text is found, without punctuation, in that text without punctuation.
pub fn without_punctuation(word: &str) -> String {
    word.chars().filter(|c| !c.is_ascii_punctuation()).collect()
}

/// Whether every word of `query` occurs in `text` once both are folded; a query without words
/// matches everything. What the database indexes answer, for one text.
pub fn matches(text: &str, query: &str) -> bool {
    let text = fold(text);
    words(query).iter().all(|w| text.contains(w.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_part_words() {
        assert_eq!(words("ab\0cd\u{1c}ef"), ["ab", "cd", "ef"]);
        assert!(words("\0\u{7}").is_empty());
    }

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
    fn queries_match_every_word_in_any_order_without_accents() {
        let summary = "Quyết định số 1945-QĐ/TU về việc thành lập Ban Chỉ đạo";
        for query in [
            "quyet dinh",
            "QUYẾT ĐỊNH",
            "1945-qd",
            "QĐ/TU",
            "1945",
            "ban chi dao",
            "chi dao ban",
            "thanh lap quyet",
            "",
            "%",
            "thanh  lap",
        ] {
            assert!(matches(summary, query), "{query:?}");
        }
        for query in ["chi thi", "quyet-dinh", "1946", "quyet dinh 1946"] {
            assert!(!matches(summary, query), "{query:?}");
        }
    }

    #[test]
    fn numbers_and_symbols_lose_the_punctuation_the_index_leaves_out() {
        assert_eq!(without_punctuation("1945-qd/tu"), "1945qdtu");
        assert_eq!(without_punctuation("(28/2018/qd-ttg),"), "282018qdttg");
        assert_eq!(without_punctuation("ve viec"), "ve viec");
        // The same characters as the index's expression takes out, no more and no fewer.
        let ascii: String = (' '..='~').collect();
        assert_eq!(
            ascii
                .chars()
                .filter(|c| !without_punctuation(&c.to_string()).is_empty())
                .count()
                + migration::SEARCH_PUNCTUATION.chars().count(),
            ascii.chars().count()
        );
        assert_eq!(without_punctuation(migration::SEARCH_PUNCTUATION), "");
    }

    #[test]
    fn words_are_folded_without_wildcards_or_repeats() {
        assert_eq!(words(" Ứng  dụng 50%_ ứng\\ "), ["ung", "dung", "50"]);
        assert!(words("% _").is_empty());
    }
}
