//! Asking for a sent document back (QCVN 102 `13`), on this server and over the axis, and who
//! may speak for a recipient: a status counts only from the agency the document went to.

use serde_json::{Value, json};

use crate::{
    axis::sample,
    delivery::{
        borrowed, education, eventually, issued_to, issued_with, province, statuses, unit, waiting,
    },
    fake_axis::FakeAxis,
    helpers::{Backend, Someone, TestApp, on_both_databases, spawn_agency},
    people::person,
};

on_both_databases!(
    a_sender_asks_for_a_document_back_until_it_is_taken_in,
    fifty_phones_asking_or_answering_at_once_ask_and_answer_once,
    a_recall_travels_over_the_axis_and_its_answer_comes_back,
    a_status_counts_only_from_the_agency_the_document_went_to,
);

const PROVINCE: &str = "000.00.00.H52";
const PARTY: &str = "000.00.00.A52";

fn recall_path(doc: &str) -> String {
    format!("/api/v1/documents/{doc}/recall")
}

fn answer_path(doc: &str) -> String {
    format!("/api/v1/documents/{doc}/recall/answer")
}

/// The QCVN 102 `DocumentId` of a document the province issued.
fn document_id(issued: &Value) -> String {
    format!(
        "{PROVINCE},{},{}",
        issued["issued_on"].as_str().unwrap().replace('-', "/"),
        issued["symbol"].as_str().unwrap()
    )
}

/// A status message from `from` about `document_id`, written from EXCHANGE.md's sample.
fn status_message(from: &str, document_id: &str, code: &str, description: &str) -> Vec<u8> {
    let mut parts = document_id.splitn(3, ',');
    let (issuer, date, symbol) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    String::from_utf8(sample("status-03.edxml"))
        .unwrap()
        .replace(
            "<edXML:OrganId>000.00.00.A52</edXML:OrganId>",
            &format!("<edXML:OrganId>{from}</edXML:OrganId>"),
        )
        .replace(
            "<edXML:OrganId>000.00.00.H41</edXML:OrganId>",
            &format!("<edXML:OrganId>{issuer}</edXML:OrganId>"),
        )
        .replace("000.00.00.H41,2026/11/20,215/UBND-VX", document_id)
        .replace("<edXML:Code>215/UBND-VX", &format!("<edXML:Code>{symbol}"))
        .replace(
            "2026/11/20</edXML:Promulgation",
            &format!("{date}</edXML:Promulgation"),
        )
        .replace(
            ">03</edXML:StatusCode>",
            &format!(">{code}</edXML:StatusCode>"),
        )
        .replace("Đã tiếp nhận, vào sổ văn bản đến số 1024", description)
        .into_bytes()
}

/// The incoming copy waiting for `clerk` to take it in.
async fn copy_for(app: &TestApp, clerk: &str) -> String {
    let receive = waiting(app, clerk, "receive").await;
    assert_eq!(receive.len(), 1, "{receive:?}");
    receive[0]["document_id"].as_str().unwrap().to_owned()
}

async fn a_sender_asks_for_a_document_back_until_it_is_taken_in(db: Backend) {
    let (app, o, clerk) = province(db, &[]).await;
    let mut units = Vec::new();
    for (code, abbreviation, name, username) in [
        (
            "000.01.00.H52",
            "SGDĐT",
            "Sở Giáo dục và Đào tạo",
            "vanthu.sgd",
        ),
        ("000.02.00.H52", "SYT", "Sở Y tế", "vanthu.syt"),
        ("000.03.00.H52", "STC", "Sở Tài chính", "vanthu.stc"),
    ] {
        units.push(unit(&app, &o.admin, code, abbreviation, name, username).await);
    }
    let [
        (edu, edu_clerk),
        (health, health_clerk),
        (finance, finance_clerk),
    ] = units.try_into().ok().unwrap();
    let director = |username, full_name| Someone::new(username, full_name, "Giám đốc", &["leader"]);
    let (director_id, _) =
        person(&app, &o.admin, &edu, director("giamdoc.sgd", "Lê Văn Minh")).await;
    let (finance_director, _) = person(
        &app,
        &o.admin,
        &finance,
        director("giamdoc.stc", "Vũ Thị Lan"),
    )
    .await;
    // Answers were expected by a date already past: whoever has not completed it is overdue.
    let (doc, _) = issued_with(
        &app,
        &o,
        &clerk,
        json!({"deadline": "2026-01-15T10:00:00Z",
               "recipients": [{"organization_id": edu}, {"organization_id": health},
                              {"organization_id": finance}]}),
    )
    .await;
    let edu_copy = copy_for(&app, &edu_clerk.access).await;
    let health_copy = copy_for(&app, &health_clerk.access).await;
    let finance_copy = copy_for(&app, &finance_clerk.access).await;
    app.post(
        &format!("/api/v1/documents/{edu_copy}/register"),
        Some(&edu_clerk.access),
        json!({"to_user_id": director_id}),
    )
    .await
    .ok();

    // Only the issuing clerks ask, with a reason, and not from whoever took it in.
    let recall = recall_path(&doc);
    let reason = "Văn bản ban hành sai thể thức, đề nghị trả lại";
    app.post(&recall, Some(&o.author.access), json!({"reason": reason}))
        .await
        .problem(403, "forbidden");
    app.post(&recall, Some(&edu_clerk.access), json!({"reason": reason}))
        .await
        .problem(404, "not_found");
    app.post(&recall, Some(&clerk.access), json!({"reason": "   "}))
        .await
        .problem(422, "reason_required");
    let deliveries = app
        .get(
            &format!("/api/v1/documents/{doc}/deliveries"),
            &o.author.access,
        )
        .await;
    let (edu_row, _) = statuses(deliveries.ok(), "Sở Giáo dục và Đào tạo");
    app.post(
        &recall,
        Some(&clerk.access),
        json!({"reason": reason, "recipient_ids": [edu_row["id"]]}),
    )
    .await
    .problem(409, "recall_too_late");
    app.post(
        &recall,
        Some(&clerk.access),
        json!({"reason": reason, "recipient_ids": [edu_copy]}),
    )
    .await
    .problem(422, "validation_failed");

    // Asked of everyone who has not taken it in: the two departments still holding it.
    let asked = app
        .post(&recall, Some(&clerk.access), json!({"reason": reason}))
        .await;
    let (r, history) = statuses(asked.ok(), "Sở Y tế");
    assert_eq!((&r["status"], &r["recall"]), (&json!("01"), &json!("13")));
    assert_eq!(r["recall_label"], "Yêu cầu lấy lại");
    assert_eq!(r["recall_reason"], reason);
    assert_eq!(history, [json!("01"), json!("13")]);
    let (r, _) = statuses(&asked.body, "Sở Giáo dục và Đào tạo");
    assert!(r.get("recall").is_none(), "{r}");
    // Asked once: nobody is left to ask.
    app.post(&recall, Some(&clerk.access), json!({"reason": reason}))
        .await
        .problem(409, "recall_too_late");

    // The health clerk sees why, cannot register it meanwhile, and gives it back.
    let screen = app
        .get(
            &format!("/api/v1/documents/{health_copy}"),
            &health_clerk.access,
        )
        .await;
    let arrival = &screen.ok()["exchange"]["arrival"];
    assert_eq!(
        (&arrival["recall"], &arrival["recall_reason"]),
        (&json!("13"), &json!(reason))
    );
    app.post(
        &format!("/api/v1/documents/{health_copy}/register"),
        Some(&health_clerk.access),
        json!({"to_user_id": director_id}),
    )
    .await
    .problem(409, "recall_pending");
    let answer = answer_path(&health_copy);
    app.post(&answer, Some(&clerk.access), json!({"answer": "give_back"}))
        .await
        .problem(404, "not_found");
    let given = app
        .post(
            &answer,
            Some(&health_clerk.access),
            json!({"answer": "give_back", "note": "Đồng ý trả lại"}),
        )
        .await;
    assert_eq!(given.ok()["state"], "recalled");
    assert_eq!(given.body["recall"], "15");
    assert!(
        waiting(&app, &health_clerk.access, "receive")
            .await
            .is_empty()
    );
    app.post(
        &answer,
        Some(&health_clerk.access),
        json!({"answer": "keep", "note": "x"}),
    )
    .await
    .problem(409, "no_recall_asked");
    let screen = app
        .get(
            &format!("/api/v1/documents/{health_copy}"),
            &health_clerk.access,
        )
        .await;
    let last = screen.ok()["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (&last["kind"], &last["comment"]),
        (&json!("given_back"), &json!("Đồng ý trả lại"))
    );

    // The finance clerk keeps it, saying why, then takes it in as usual.
    let answer = answer_path(&finance_copy);
    app.post(
        &answer,
        Some(&finance_clerk.access),
        json!({"answer": "keep"}),
    )
    .await
    .problem(422, "reason_required");
    let kept = app
        .post(
            &answer,
            Some(&finance_clerk.access),
            json!({"answer": "keep", "note": "Đã giao phòng chuyên môn nghiên cứu"}),
        )
        .await;
    assert_eq!(
        (&kept.ok()["state"], &kept.body["recall"]),
        (&json!("draft"), &json!("16"))
    );
    app.post(
        &format!("/api/v1/documents/{finance_copy}/register"),
        Some(&finance_clerk.access),
        json!({"to_user_id": finance_director}),
    )
    .await
    .ok();

    // The sender sees each answer in its history.
    let seen = app
        .get(
            &format!("/api/v1/documents/{doc}/deliveries"),
            &o.leader.1.access,
        )
        .await;
    let (r, history) = statuses(seen.ok(), "Sở Y tế");
    assert_eq!((&r["status"], &r["recall"]), (&json!("01"), &json!("15")));
    assert_eq!(history, [json!("01"), json!("13"), json!("15")]);
    let (r, history) = statuses(&seen.body, "Sở Tài chính");
    assert_eq!((&r["status"], &r["recall"]), (&json!("03"), &json!("16")));
    assert_eq!(r["recall_reason"], "Đã giao phòng chuyên môn nghiên cứu");
    assert_eq!(
        history,
        [json!("01"), json!("13"), json!("16"), json!("03")]
    );

    // The usage report counts it from the deliveries: sent once to three recipients; one gave
    // it back, none completed it, and the other two let the deadline pass.
    let report = app
        .get("/api/v1/admin/reports/usage", &o.admin.access)
        .await;
    let orgs = report.ok()["organizations"].as_array().unwrap();
    let of = |code: &str| orgs.iter().find(|o| o["code"] == code).unwrap().clone();
    let sender = of(PROVINCE);
    assert_eq!((&sender["issued"], &sender["sent"]), (&json!(1), &json!(1)));
    assert_eq!(sender["sent_share"], 1.0);
    let per: Vec<(String, u64, u64, u64, u64)> = sender["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let n = |k: &str| r[k].as_u64().unwrap();
            let name = r["name"].as_str().unwrap().to_owned();
            (name, n("sent"), n("completed"), n("refused"), n("overdue"))
        })
        .collect();
    assert_eq!(
        per,
        [
            ("Sở Giáo dục và Đào tạo".to_owned(), 1, 0, 0, 1),
            ("Sở Tài chính".to_owned(), 1, 0, 0, 1),
            ("Sở Y tế".to_owned(), 1, 0, 1, 0),
        ]
    );
    // Each department received it electronically; only one registered it.
    let edu_usage = of("000.01.00.H52");
    assert_eq!(
        (&edu_usage["received"], &edu_usage["registered"]),
        (&json!(1), &json!(1))
    );
    let health_usage = of("000.02.00.H52");
    assert_eq!(
        (&health_usage["received"], &health_usage["registered"]),
        (&json!(1), &json!(0))
    );
}

async fn fifty_phones_asking_or_answering_at_once_ask_and_answer_once(db: Backend) {
    let (app, o, clerk) = province(db, &[]).await;
    let (edu, edu_clerk) = education(&app, &o.admin).await;
    let (doc, _) = issued_to(&app, &o, &clerk, json!([{"organization_id": edu}])).await;
    let copy = copy_for(&app, &edu_clerk.access).await;

    let recall = recall_path(&doc);
    let asks = (0..50).map(|_| {
        app.post(
            &recall,
            Some(&clerk.access),
            json!({"reason": "Gửi nhầm nơi nhận"}),
        )
    });
    let codes: Vec<u16> = futures_util::future::join_all(asks)
        .await
        .into_iter()
        .map(|r| r.status.as_u16())
        .collect();
    assert_eq!(codes.iter().filter(|s| **s == 200).count(), 1, "{codes:?}");
    assert!(codes.iter().all(|s| [200, 409].contains(s)), "{codes:?}");

    let answer = answer_path(&copy);
    let answers = (0..50).map(|i| {
        let body = match i % 2 {
            0 => json!({"answer": "give_back"}),
            _ => json!({"answer": "keep", "note": "Đã vào sổ"}),
        };
        app.post(&answer, Some(&edu_clerk.access), body)
    });
    let replies = futures_util::future::join_all(answers).await;
    let won: Vec<&Value> = replies
        .iter()
        .filter(|r| r.status == 200)
        .map(|r| &r.body)
        .collect();
    assert_eq!(
        won.len(),
        1,
        "{:?}",
        replies
            .iter()
            .map(|r| r.status.as_u16())
            .collect::<Vec<_>>()
    );
    assert!(
        replies
            .iter()
            .all(|r| [200, 409].contains(&r.status.as_u16()))
    );

    let seen = app
        .get(
            &format!("/api/v1/documents/{doc}/deliveries"),
            &o.author.access,
        )
        .await;
    let (r, history) = statuses(seen.ok(), "Sở Giáo dục và Đào tạo");
    assert_eq!(r["recall"], won[0]["recall"]);
    assert_eq!(
        history,
        [json!("01"), json!("13"), won[0]["recall"].clone()]
    );
}

async fn a_recall_travels_over_the_axis_and_its_answer_comes_back(db: Backend) {
    let axis = FakeAxis::start().await;
    let on_axis = |code: &str| axis.env(&axis.join(code));
    let (env_a, env_b) = (on_axis(PROVINCE), on_axis(PARTY));
    let (sender, o, clerk) = province(db, &borrowed(&env_a)).await;
    let receiver = spawn_agency(db, PARTY, "TU", "party", &borrowed(&env_b)).await;
    let admin = receiver.admin().await;
    let (_, pw) = receiver.active_user(&admin, "vanthu.tu", &["clerk"]).await;
    let their_clerk = receiver.login_ok("vanthu.tu", &pw, "desk").await;
    let (secretary, _) = receiver.active_user(&admin, "bithu.tu", &["leader"]).await;
    let to_party = json!([{"code": PARTY, "name": "Tỉnh ủy Ninh Bình"}]);

    let (doc, _) = issued_to(&sender, &o, &clerk, to_party.clone()).await;
    let arrived = |n: usize| {
        move |b: &Value| {
            b["items"].as_array().is_some_and(|i| {
                i.iter()
                    .filter(|t| t["task"]["action"] == "receive")
                    .count()
                    == n
            })
        }
    };
    eventually(
        &receiver,
        &their_clerk.access,
        "/api/v1/inbox",
        "the arrival",
        arrived(1),
    )
    .await;
    let copy = copy_for(&receiver, &their_clerk.access).await;

    // Asked back over the axis: the other installation's clerk sees why.
    let reason = "Đề nghị trả lại để bổ sung phụ lục";
    sender
        .post(
            &recall_path(&doc),
            Some(&clerk.access),
            json!({"reason": reason}),
        )
        .await
        .ok();
    let screen = eventually(
        &receiver,
        &their_clerk.access,
        &format!("/api/v1/documents/{copy}"),
        "the request",
        |b| b["exchange"]["arrival"]["recall"] == "13",
    )
    .await;
    assert_eq!(screen["exchange"]["arrival"]["recall_reason"], reason);
    receiver
        .post(
            &format!("/api/v1/documents/{copy}/register"),
            Some(&their_clerk.access),
            json!({"to_user_id": secretary}),
        )
        .await
        .problem(409, "recall_pending");
    receiver
        .post(
            &answer_path(&copy),
            Some(&their_clerk.access),
            json!({"answer": "give_back"}),
        )
        .await
        .ok();
    let seen = eventually(
        &sender,
        &o.author.access,
        &format!("/api/v1/documents/{doc}/deliveries"),
        "the answer 15",
        |b| b["recipients"][0]["recall"] == "15",
    )
    .await;
    let (_, history) = statuses(&seen, "Tỉnh ủy Ninh Bình");
    assert_eq!(history, [json!("13"), json!("15")]);

    // Asked for one already taken in, it is kept, and the sender told so by itself (16).
    let (second, issued) = issued_to(&sender, &o, &clerk, to_party).await;
    eventually(
        &receiver,
        &their_clerk.access,
        "/api/v1/inbox",
        "the second",
        arrived(1),
    )
    .await;
    let kept = copy_for(&receiver, &their_clerk.access).await;
    receiver
        .post(
            &format!("/api/v1/documents/{kept}/register"),
            Some(&their_clerk.access),
            json!({"to_user_id": secretary}),
        )
        .await
        .ok();
    // The sender's own 03 may not have reached it yet: its request goes out regardless, as
    // another system's would.
    let _ = second;
    axis.deliver(
        PROVINCE,
        &[PARTY],
        "status",
        &status_message(PROVINCE, &document_id(&issued), "13", reason),
    );
    let screen = eventually(
        &receiver,
        &their_clerk.access,
        &format!("/api/v1/documents/{kept}"),
        "the automatic answer",
        |b| b["exchange"]["arrival"]["recall"] == "16",
    )
    .await;
    assert_eq!(screen["state"], "registered");
    let answers = axis
        .wait_for("the 16 sent back", |m| {
            m.iter()
                .any(|m| m.from == PARTY && String::from_utf8_lossy(&m.bytes).contains(">16</"))
        })
        .await;
    assert_eq!(
        answers
            .iter()
            .filter(|m| m.from == PARTY && String::from_utf8_lossy(&m.bytes).contains(">16</"))
            .count(),
        1
    );
}

async fn a_status_counts_only_from_the_agency_the_document_went_to(db: Backend) {
    let axis = FakeAxis::start().await;
    let env = axis.env(&axis.join(PROVINCE));
    let (app, o, clerk) = province(db, &borrowed(&env)).await;
    let (doc, issued) = issued_to(
        &app,
        &o,
        &clerk,
        json!([{"code": PARTY, "name": "Tỉnh ủy Ninh Bình"}]),
    )
    .await;
    axis.wait_for("the document", |m| m.iter().any(|m| m.kind == "edoc"))
        .await;
    let id = document_id(&issued);
    let deliveries = format!("/api/v1/documents/{doc}/deliveries");
    let acked = |axis_id: String| {
        let axis = &axis;
        async move {
            let all = axis
                .wait_for("the acknowledgement", |m| {
                    m.iter()
                        .any(|m| m.doc_id == axis_id && m.acks.contains_key(PROVINCE))
                })
                .await;
            all.into_iter().find(|m| m.doc_id == axis_id).unwrap().acks[PROVINCE].clone()
        }
    };

    // Another system on the network says the party committee completed it: refused.
    let forged = axis.deliver(
        "000.00.00.G22",
        &[PROVINCE],
        "status",
        &status_message(PARTY, &id, "06", "Hoàn thành"),
    );
    assert_eq!(acked(forged).await, "fail");
    // That system speaking for itself: it was not sent the document.
    let stranger = axis.deliver(
        "000.00.00.G22",
        &[PROVINCE],
        "status",
        &status_message("000.00.00.G22", &id, "03", "Đã tiếp nhận"),
    );
    assert_eq!(acked(stranger).await, "fail");
    let seen = app.get(&deliveries, &o.author.access).await;
    let (r, history) = statuses(seen.ok(), "Tỉnh ủy Ninh Bình");
    assert!(r.get("status").is_none(), "{r}");
    assert!(history.is_empty());

    // The party committee's own system: it counts.
    let genuine = axis.deliver(
        PARTY,
        &[PROVINCE],
        "status",
        &status_message(PARTY, &id, "03", "Đã tiếp nhận"),
    );
    assert_eq!(acked(genuine).await, "done");
    let seen = app.get(&deliveries, &o.author.access).await;
    let (r, history) = statuses(seen.ok(), "Tỉnh ủy Ninh Bình");
    assert_eq!(r["status"], "03");
    assert_eq!(history, [json!("03")]);
    // The refusals are on the audit trail.
    let audit = app
        .get(
            "/api/v1/admin/audit?action=message_refused",
            &o.admin.access,
        )
        .await;
    assert_eq!(
        audit.ok()["items"].as_array().unwrap().len(),
        2,
        "{}",
        audit.body
    );
}
