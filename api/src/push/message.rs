//! What a push says. By default the visible text only says that something waits, because a
//! push travels through Google and Apple; the document's summary is added only where the
//! organisation opted in, cut to keep the message under FCM's 4 KB limit.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::domain::{Locale, workflow::NotificationKind};

/// FCM refuses messages over 4,096 bytes. The whole message (not only its payload) is kept
/// under it, so the check is simple and conservative.
pub const MAX_MESSAGE_BYTES: usize = 4096;
const ELLIPSIS: char = '…';

/// Everything a message is made of, except the device token.
pub struct Content<'a> {
    pub kind: NotificationKind,
    pub document_id: Uuid,
    pub task_id: Uuid,
    pub high_priority: bool,
    pub locale: Locale,
    /// The document's summary, only where the organisation opted in.
    pub summary: Option<&'a str>,
    /// The user's waiting tasks, for the app icon's badge where the platform shows one.
    pub badge: u64,
}

fn text(kind: NotificationKind, locale: Locale) -> &'static str {
    use NotificationKind as K;
    match (locale, kind) {
        (Locale::Vi, K::ReviewRequested) => "Có văn bản chờ anh/chị cho ý kiến",
        (Locale::Vi, K::Returned) => "Văn bản của anh/chị đã bị trả lại",
        (Locale::Vi, K::Assigned) => "Có văn bản giao anh/chị xử lý",
        (Locale::Vi, K::Signed) => "Văn bản của anh/chị đã được ký",
        (Locale::Vi, K::Issued) => "Văn bản đã được ban hành",
        (Locale::Vi, K::DeadlineSoon) => "Văn bản sắp đến hạn xử lý",
        (Locale::Vi, K::Overdue) => "Văn bản đã quá hạn xử lý",
        (Locale::Vi, K::Received) => "Có văn bản đến chờ tiếp nhận",
        (Locale::Vi, K::DeliveryRefused) => "Nơi nhận đã từ chối tiếp nhận văn bản",
        (Locale::Vi, K::DeliveryCompleted) => "Nơi nhận đã hoàn thành xử lý văn bản",
        (Locale::Vi, K::RecallRequested) => "Nơi gửi đề nghị lấy lại văn bản đến",
        (Locale::Vi, K::RecallAnswered) => "Nơi nhận đã trả lời đề nghị lấy lại văn bản",
        (Locale::En, K::ReviewRequested) => "A document is waiting for your review",
        (Locale::En, K::Returned) => "Your document was returned",
        (Locale::En, K::Assigned) => "A document was assigned to you",
        (Locale::En, K::Signed) => "Your document was signed",
        (Locale::En, K::Issued) => "A document was issued",
        (Locale::En, K::DeadlineSoon) => "A document is nearly due",
        (Locale::En, K::Overdue) => "A document is overdue",
        (Locale::En, K::Received) => "A document arrived to be taken in",
        (Locale::En, K::DeliveryRefused) => "A recipient refused a document you sent",
        (Locale::En, K::DeliveryCompleted) => "A recipient completed a document you sent",
        (Locale::En, K::RecallRequested) => "The sender asks for a document back",
        (Locale::En, K::RecallAnswered) => "A recipient answered your request for a document back",
    }
}

/// The FCM v1 `Message` without its `token`.
pub fn build(c: &Content<'_>) -> Value {
    let title = text(c.kind, c.locale);
    let mut message = shape(c, title, "");
    if let Some(summary) = c.summary.map(str::trim).filter(|s| !s.is_empty()) {
        let used = message.to_string().len();
        let room = MAX_MESSAGE_BYTES.saturating_sub(used);
        message = shape(c, title, &fit(summary, room));
    }
    message
}

fn shape(c: &Content<'_>, title: &str, body: &str) -> Value {
    let collapse = c.document_id.to_string();
    let (android, apns) = if c.high_priority {
        ("HIGH", "10")
    } else {
        ("NORMAL", "5")
    };
    let mut notification = json!({ "title": title });
    if !body.is_empty() {
        notification["body"] = json!(body);
    }
    json!({
        "data": {
            "type": c.kind.as_str(),
            "document_id": c.document_id.to_string(),
            "task_id": c.task_id.to_string(),
        },
        "notification": notification,
        "android": { "priority": android, "collapse_key": collapse },
        "apns": {
            "headers": { "apns-priority": apns, "apns-collapse-id": collapse },
            "payload": { "aps": { "badge": c.badge } },
        },
    })
}

/// The longest prefix of `text` whose JSON string form (with the `"body":` key around it)
/// takes at most `room` bytes, cut on a character boundary with an ellipsis.
fn fit(text: &str, room: usize) -> String {
    let key = r#","body":"""#.len();
    let escaped = |s: &str| serde_json::to_string(s).map_or(s.len() * 6, |j| j.len() - 2);
    if key + escaped(text) <= room {
        return text.to_owned();
    }
    let budget = room.saturating_sub(key + ELLIPSIS.len_utf8());
    let mut used = 0;
    let mut end = 0;
    for (i, ch) in text.char_indices() {
        let mut buf = [0u8; 4];
        used += escaped(ch.encode_utf8(&mut buf));
        if used > budget {
            break;
        }
        end = i + ch.len_utf8();
    }
    if end == 0 {
        return String::new();
    }
    format!("{}{ELLIPSIS}", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(summary: Option<&str>) -> Content<'_> {
        Content {
            kind: NotificationKind::ReviewRequested,
            document_id: Uuid::nil(),
            task_id: Uuid::max(),
            high_priority: false,
            locale: Locale::Vi,
            summary,
            badge: 3,
        }
    }

    #[test]
    fn by_default_the_text_says_only_that_something_waits() {
        let m = build(&content(None));
        assert_eq!(
            m["notification"]["title"],
            "Có văn bản chờ anh/chị cho ý kiến"
        );
        assert!(m["notification"].get("body").is_none());
        assert_eq!(m["data"]["type"], "review_requested");
        assert_eq!(m["data"]["task_id"], Uuid::max().to_string());
        assert_eq!(m["android"]["priority"], "NORMAL");
        assert_eq!(m["apns"]["payload"]["aps"]["badge"], 3);
    }

    #[test]
    fn flash_documents_go_with_high_priority_and_english_where_asked() {
        let mut c = content(None);
        c.high_priority = true;
        c.locale = Locale::En;
        let m = build(&c);
        assert_eq!(m["android"]["priority"], "HIGH");
        assert_eq!(m["apns"]["headers"]["apns-priority"], "10");
        assert_eq!(
            m["notification"]["title"],
            "A document is waiting for your review"
        );
    }

    #[test]
    fn a_long_summary_is_cut_on_a_character_boundary_under_the_limit() {
        for unit in ["Tờ trình về việc phê duyệt kế hoạch ", "\"\\\n", "🙂", "a"] {
            let summary = unit.repeat(5000);
            let m = build(&content(Some(&summary)));
            let size = m.to_string().len();
            assert!(size <= MAX_MESSAGE_BYTES, "{size} bytes for {unit:?}");
            let body = m["notification"]["body"].as_str().unwrap();
            assert!(body.ends_with('…'));
            assert!(summary.starts_with(body.trim_end_matches('…')));
            // Nearly all the room is used: the cut is not wasteful.
            assert!(size > MAX_MESSAGE_BYTES - 16, "{size} bytes for {unit:?}");
        }
    }

    #[test]
    fn a_short_summary_is_kept_whole() {
        let m = build(&content(Some("Tờ trình số 12")));
        assert_eq!(m["notification"]["body"], "Tờ trình số 12");
    }
}
