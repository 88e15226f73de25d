//! Sending an issued document to organisations on the same server: each recipient has the
//! very same PDF at once, its clerks take it in or refuse it, and every step it takes comes
//! back to the sender's screen.

use std::time::{Duration, Instant};

use base64::{Engine, engine::general_purpose::STANDARD};
use futures_util::{StreamExt, stream};
use serde_json::{Value, json};

use crate::{
    fake_axis::{self, Account, FakeAxis},
    helpers::{
        Backend, Someone, TestApp, Tokens, append_update, metric, next_object_number,
        on_both_databases, pdf, spawn_agency,
    },
    people::person,
    signing::{Office, confirm, download, draft_with, office, provision, pyhanko, request, seal},
};

on_both_databases!(
    an_issued_document_reaches_its_recipients_and_their_progress_comes_back,
    only_the_issuing_clerks_send_and_only_the_receiving_clerks_refuse,
    a_document_travels_by_hand_as_edxml_and_is_taken_in_once,
    two_installations_exchange_a_document_and_its_status_over_the_axis,
);

/// The province that sends, by its QCVN 102 code.
const H52: &str = "000.00.00.H52";

/// A unit of the province with a clerk; answers its id and the clerk's tokens.
pub(crate) async fn unit(
    app: &TestApp,
    admin: &Tokens,
    code: &str,
    abbreviation: &str,
    name: &str,
    clerk: &str,
) -> (String, Tokens) {
    let created = app
        .post(
            "/api/v1/admin/organizations",
            Some(&admin.access),
            json!({"code": code, "abbreviation": abbreviation, "name": name,
                   "numbering_style": "state"}),
        )
        .await;
    let id = created.ok()["id"].as_str().unwrap().to_owned();
    let who = Someone::new(clerk, "Trần Thị Hoa", "Văn thư", &["clerk"]);
    let (_, pw) = app.active_someone(admin, &id, &who).await;
    (id.clone(), app.login_ok(clerk, &pw, "desk").await)
}

/// The province's department of education, with its clerk.
pub(crate) async fn education(app: &TestApp, admin: &Tokens) -> (String, Tokens) {
    unit(
        app,
        admin,
        "000.01.00.H52",
        "SGDĐT",
        "Sở Giáo dục và Đào tạo",
        "vanthu.sgd",
    )
    .await
}

/// The province that sends: its office (author, leader with a key, admin), its seal, and a
/// clerk who issues; `env` is added to the server's.
pub(crate) async fn province(db: Backend, env: &[(&str, &str)]) -> (TestApp, Office, Tokens) {
    let mut env = env.to_vec();
    env.push(("DEV_CA", "true"));
    let app = spawn_agency(db, H52, "UBND", "state", &env).await;
    let o = office(&app).await;
    provision(&app, &o).await;
    seal(&app, &o).await;
    let (_, pw) = app.active_user(&o.admin, "vanthu.ubnd", &["clerk"]).await;
    let clerk = app.login_ok("vanthu.ubnd", &pw, "desk").await;
    (app, o, clerk)
}

/// The province's Công văn to `recipients`, signed by its leader and issued by its clerk.
pub(crate) async fn issued_to(
    app: &TestApp,
    o: &Office,
    clerk: &Tokens,
    recipients: Value,
) -> (String, Value) {
    issued_with(app, o, clerk, json!({"recipients": recipients})).await
}

/// The province's Công văn with `extra` metadata (its recipients, a deadline), signed by its
/// leader and issued by its clerk.
pub(crate) async fn issued_with(
    app: &TestApp,
    o: &Office,
    clerk: &Tokens,
    extra: Value,
) -> (String, Value) {
    let doc = signed_with(app, o, extra).await;
    let issued = issue(app, clerk, &doc).await;
    (doc, issued)
}

/// The province's Công văn with `extra` metadata, signed by its leader, waiting to be issued.
async fn signed_with(app: &TestApp, o: &Office, extra: Value) -> String {
    let mut metadata = json!({
        "direction": "outgoing", "doc_type": "CV", "urgency": "urgent", "confidentiality": "none",
        "summary": "Về việc triển khai tiếp nhận văn bản điện tử trên toàn tỉnh",
        "place_of_issue": "Ninh Bình",
        "signer": {"competence": "KT. CHỦ TỊCH", "position": "PHÓ CHỦ TỊCH",
                   "full_name": "Nguyễn Văn An"},
        "places": ["Lưu: VT, TH"],
    });
    for (k, v) in extra.as_object().unwrap() {
        metadata[k] = v.clone();
    }
    let (doc, task, file) = draft_with(app, o, metadata, pdf(SHOWN)).await;
    let req = request(app, o, &task, &file).await;
    confirm(app, o, &req, "246810").await.ok();
    doc
}

/// The clerk issues `doc` (sealed, and sent to its recipients): what the issuance answers.
async fn issue(app: &TestApp, clerk: &Tokens, doc: &str) -> Value {
    let issued = app
        .post(
            &format!("/api/v1/documents/{doc}/issue"),
            Some(&clerk.access),
            json!({}),
        )
        .await;
    issued.ok().clone()
}

/// The words the issued PDF shows (see [`issued_to`]), inside what both signatures cover.
const SHOWN: &str = "Cong van dien tu";

/// A received copy judged by pyHanko against the sender's trust anchor: both signatures (the
/// leader's, then the organisation's seal) hold; the same copy with one shown byte changed
/// does not, so the judgement is a real one.
async fn both_signatures_hold(sender: &TestApp, o: &Office, copy: &[u8]) {
    let anchors = sender
        .get("/api/v1/signing/trust-anchors", &o.admin.access)
        .await;
    let dir = sender
        .world
        .data_dir
        .join(format!("received-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, anchors.ok()["certificates"][0].as_str().unwrap()).unwrap();
    let received = dir.join("received.pdf");
    std::fs::write(&received, copy).unwrap();
    let (ok, report) = pyhanko(&dir, &ca, &received);
    assert!(ok, "pyHanko: {report}");
    assert!(
        report.contains("Field 2:") && !report.contains("Field 3:"),
        "two signatures: {report}"
    );
    assert_eq!(
        report.matches("The signature is judged VALID.").count(),
        2,
        "pyHanko: {report}"
    );
    let mut tampered = copy.to_vec();
    let at = tampered
        .windows(SHOWN.len())
        .position(|w| w == SHOWN.as_bytes())
        .unwrap();
    tampered[at] = b'X';
    let changed = dir.join("changed.pdf");
    std::fs::write(&changed, &tampered).unwrap();
    let (ok, report) = pyhanko(&dir, &ca, &changed);
    assert!(!ok, "pyHanko accepted a changed copy: {report}");
}

pub(crate) fn statuses(deliveries: &Value, name: &str) -> (Value, Vec<Value>) {
    let r = deliveries["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {deliveries}"));
    let history = r["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].clone())
        .collect();
    (r.clone(), history)
}

/// The file the province issued `doc` as (its newest version), and its bytes, as its author
/// reads them.
async fn issued_pdf(app: &TestApp, o: &Office, doc: &str) -> (Value, Vec<u8>) {
    let original = app
        .get(&format!("/api/v1/documents/{doc}"), &o.author.access)
        .await;
    let file = original.ok()["files"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    let bytes = download(app, &o.author.access, doc, file["id"].as_str().unwrap()).await;
    (file, bytes)
}

/// The one waiting task of `kind` on the caller's inbox, with its document.
pub(crate) async fn waiting(app: &TestApp, token: &str, action: &str) -> Vec<Value> {
    let inbox = app.get("/api/v1/inbox?limit=100", token).await;
    inbox.ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["task"]["action"] == action)
        .cloned()
        .collect()
}

async fn an_issued_document_reaches_its_recipients_and_their_progress_comes_back(db: Backend) {
    let (app, o, clerk) = province(db, &[]).await;
    let (edu, edu_clerk) = education(&app, &o.admin).await;
    let (health, health_clerk) = unit(
        &app,
        &o.admin,
        "000.02.00.H52",
        "SYT",
        "Sở Y tế",
        "vanthu.syt",
    )
    .await;
    let (director_id, director) = person(
        &app,
        &o.admin,
        &edu,
        Someone::new("giamdoc.sgd", "Lê Văn Minh", "Giám đốc", &["leader"]),
    )
    .await;
    let (handler_id, handler) = person(
        &app,
        &o.admin,
        &edu,
        Someone::new(
            "chuyenvien.sgd",
            "Phạm Thu Hà",
            "Chuyên viên",
            &["specialist"],
        ),
    )
    .await;

    // Issued with its recipients set, it is sent there and then.
    let (doc, issued) = issued_to(
        &app,
        &o,
        &clerk,
        json!([{"organization_id": edu}, {"organization_id": health},
               {"code": "000.00.00.G22", "name": "Văn phòng Chính phủ"}]),
    )
    .await;
    let deliveries = format!("/api/v1/documents/{doc}/deliveries");
    let sent = app.get(&deliveries, &o.author.access).await;
    let (r, history) = statuses(sent.ok(), "Sở Giáo dục và Đào tạo");
    assert_eq!(r["status"], "01", "{r}");
    assert_eq!(r["status_label"], "Đã đến");
    assert_eq!(history, [json!("01")]);
    assert!(r["sent_at"].is_string());
    let (r, _) = statuses(&sent.body, "Văn phòng Chính phủ");
    assert!(
        r.get("sent_at").is_none(),
        "no axis here: left to export by hand: {r}"
    );
    assert!(r.get("status").is_none(), "nothing reported: {r}");

    // The department's clerk is asked to take it in: the same number, symbol and bytes.
    let receive = waiting(&app, &edu_clerk.access, "receive").await;
    assert_eq!(receive.len(), 1, "{receive:?}");
    let copy = receive[0]["document_id"].as_str().unwrap().to_owned();
    let read = app
        .get(&format!("/api/v1/documents/{copy}"), &edu_clerk.access)
        .await;
    let body = read.ok();
    assert_eq!(body["direction"], "incoming");
    assert_eq!(body["state"], "draft");
    assert_eq!(body["symbol"], issued["symbol"]);
    assert_eq!(body["issued_on"], issued["issued_on"]);
    let province = app.get("/api/v1/me", &o.admin.access).await;
    assert_eq!(body["issuer"], province.ok()["organization"]["name"]);
    assert_eq!(body["exchange"]["issuer_code"], "000.00.00.H52");
    assert_eq!(body["exchange"]["signer"]["full_name"], "Nguyễn Văn An");
    let (sent_file, sent_bytes) = issued_pdf(&app, &o, &doc).await;
    let got_file = body["files"][0].clone();
    assert_eq!(got_file["sha256"], sent_file["sha256"]);
    let got_bytes = download(
        &app,
        &edu_clerk.access,
        &copy,
        got_file["id"].as_str().unwrap(),
    )
    .await;
    assert_eq!(
        got_bytes, sent_bytes,
        "the PDF arrives byte for byte, signatures and all"
    );
    both_signatures_hold(&app, &o, &got_bytes).await;
    // Sending again delivers nothing twice.
    let again = app
        .post(
            &format!("/api/v1/documents/{doc}/send"),
            Some(&clerk.access),
            json!({}),
        )
        .await;
    assert_eq!(again.ok()["recipients"].as_array().unwrap().len(), 3);
    assert_eq!(waiting(&app, &edu_clerk.access, "receive").await.len(), 1);

    // Registered (03), assigned (04), a co-handler's part (05), completed (06).
    app.post(
        &format!("/api/v1/documents/{copy}/register"),
        Some(&edu_clerk.access),
        json!({"to_user_id": director_id}),
    )
    .await
    .ok();
    assert!(waiting(&app, &edu_clerk.access, "receive").await.is_empty());
    let direct = waiting(&app, &director.access, "direct").await;
    let direct = direct[0]["task"]["id"].as_str().unwrap();
    app.post(
        &format!("/api/v1/tasks/{direct}/assign"),
        Some(&director.access),
        json!({"directive": "Giao Phòng Giáo dục phổ thông chủ trì triển khai.",
               "assignments": [{"user_id": handler_id, "role": "lead"}]}),
    )
    .await
    .ok();
    let lead = waiting(&app, &handler.access, "lead").await;
    let lead = lead[0]["task"]["id"].as_str().unwrap();
    app.post(
        &format!("/api/v1/tasks/{lead}/complete"),
        Some(&handler.access),
        json!({"report": "Đã triển khai tới các trường."}),
    )
    .await
    .ok();

    // The department of health refuses it, saying why.
    let theirs = waiting(&app, &health_clerk.access, "receive").await;
    let theirs = theirs[0]["document_id"].as_str().unwrap().to_owned();
    let refuse = format!("/api/v1/documents/{theirs}/refuse");
    app.post(&refuse, Some(&health_clerk.access), json!({"reason": "  "}))
        .await
        .problem(422, "reason_required");
    let refused = app
        .post(
            &refuse,
            Some(&health_clerk.access),
            json!({"reason": "Không thuộc lĩnh vực y tế"}),
        )
        .await;
    assert_eq!(refused.ok()["state"], "refused");
    assert!(
        waiting(&app, &health_clerk.access, "receive")
            .await
            .is_empty()
    );
    // Refused once, it cannot be registered any more.
    app.post(
        &format!("/api/v1/documents/{theirs}/register"),
        Some(&health_clerk.access),
        json!({"to_user_id": director_id}),
    )
    .await
    .problem(409, "wrong_document_state");

    let seen = app.get(&deliveries, &o.leader.1.access).await;
    let (r, history) = statuses(seen.ok(), "Sở Giáo dục và Đào tạo");
    assert_eq!(r["status"], "06");
    assert_eq!(
        history,
        [json!("01"), json!("03"), json!("04"), json!("06")]
    );
    let (r, history) = statuses(&seen.body, "Sở Y tế");
    assert_eq!(r["status"], "02");
    assert_eq!(r["reason"], "Không thuộc lĩnh vực y tế");
    assert_eq!(history, [json!("01"), json!("02")]);
    // The document screen shows the same.
    let screen = app
        .get(&format!("/api/v1/documents/{doc}"), &o.author.access)
        .await;
    let recipients = screen.ok()["exchange"]["recipients"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(recipients[0]["status"], "06");
    assert_eq!(recipients[1]["status"], "02");
}

async fn only_the_issuing_clerks_send_and_only_the_receiving_clerks_refuse(db: Backend) {
    let (app, o, clerk) = province(db, &[]).await;
    let (edu, edu_clerk) = education(&app, &o.admin).await;
    let (doc, _) = issued_to(&app, &o, &clerk, json!([{"organization_id": edu}])).await;
    let send = format!("/api/v1/documents/{doc}/send");
    // The author is no clerk; the receiving clerk cannot even see the document as sent.
    app.post(&send, Some(&o.author.access), json!({}))
        .await
        .problem(403, "forbidden");
    app.post(&send, Some(&edu_clerk.access), json!({}))
        .await
        .problem(404, "not_found");
    app.get(
        &format!("/api/v1/documents/{doc}/deliveries"),
        &edu_clerk.access,
    )
    .await
    .problem(404, "not_found");

    // Fifty sends at once from the clerk's phone and desk: one copy, one task, one 01.
    let sends = (0..50).map(|_| app.post(&send, Some(&clerk.access), json!({})));
    for reply in futures_util::future::join_all(sends).await {
        assert_eq!(reply.ok()["recipients"][0]["status"], "01");
    }
    let receive = waiting(&app, &edu_clerk.access, "receive").await;
    assert_eq!(receive.len(), 1);
    let copy = receive[0]["document_id"].as_str().unwrap().to_owned();
    let history = app
        .get(
            &format!("/api/v1/documents/{doc}/deliveries"),
            &o.author.access,
        )
        .await;
    assert_eq!(
        history.ok()["recipients"][0]["history"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Only a clerk of the receiving organisation refuses, and only what came from elsewhere.
    let refuse = format!("/api/v1/documents/{copy}/refuse");
    let reason = json!({"reason": "Sai nơi nhận"});
    app.post(&refuse, Some(&clerk.access), reason.clone())
        .await
        .problem(404, "not_found");
    app.post(&refuse, Some(&o.author.access), reason.clone())
        .await
        .problem(403, "forbidden");
    let typed = app
        .upload(
            &edu_clerk.access,
            json!({"direction": "incoming", "doc_type": "CV", "urgency": "normal",
                   "confidentiality": "none", "summary": "Công văn giấy", "issuer": "Bộ Nội vụ"}),
            vec![("cv.pdf", pdf("giay"))],
        )
        .await;
    let typed = typed.ok()["id"].as_str().unwrap().to_owned();
    app.post(
        &format!("/api/v1/documents/{typed}/refuse"),
        Some(&edu_clerk.access),
        reason.clone(),
    )
    .await
    .problem(409, "wrong_document_state");
    app.post(&refuse, Some(&edu_clerk.access), reason)
        .await
        .ok();
}

/// Posts an edXML file as the import endpoint takes it.
async fn import(app: &TestApp, token: &str, xml: Vec<u8>) -> crate::helpers::Reply {
    let resp = app
        .http
        .post(format!("{}/api/v1/exchange/import", app.base))
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, "application/xml")
        .body(xml)
        .send()
        .await
        .unwrap();
    crate::helpers::reply(resp).await
}

fn schema_valid(xml: &[u8]) {
    let schema =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("api/src/domain/exchange/edxml.xsd");
    let file = std::env::temp_dir().join(format!("vanban-{}.edxml", uuid::Uuid::new_v4()));
    std::fs::write(&file, xml).unwrap();
    let out = std::process::Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(&schema)
        .arg(&file)
        .output()
        .expect("xmllint (libxml2-utils) is installed by scripts/test");
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn a_document_travels_by_hand_as_edxml_and_is_taken_in_once(db: Backend) {
    let (sender, o, clerk) = province(db, &[]).await;
    let (doc, issued) = issued_to(
        &sender,
        &o,
        &clerk,
        json!([{"code": "000.00.00.A52", "name": "Tỉnh ủy Ninh Bình"}]),
    )
    .await;
    let exported = sender
        .http
        .get(format!("{}/api/v1/documents/{doc}/edxml", sender.base))
        .bearer_auth(&o.author.access)
        .send()
        .await
        .unwrap();
    assert_eq!(exported.status(), 200);
    assert_eq!(exported.headers()["content-type"], "application/xml");
    let xml = exported.bytes().await.unwrap().to_vec();
    schema_valid(&xml);

    // The receiving province trusts the sender's CA, as every agency trusts the national one.
    let anchors = sender
        .get("/api/v1/signing/trust-anchors", &o.admin.access)
        .await;
    let pem: Vec<&str> = anchors.ok()["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let anchors_file =
        std::env::temp_dir().join(format!("vanban-anchors-{}.pem", uuid::Uuid::new_v4()));
    std::fs::write(&anchors_file, pem.join("\n")).unwrap();
    let receiver = spawn_agency(
        db,
        "000.00.00.A52",
        "TU",
        "party",
        &[("SIGNING_TRUST_ANCHORS_FILE", anchors_file.to_str().unwrap())],
    )
    .await;
    let admin = receiver.admin().await;
    let (_, pw) = receiver.active_user(&admin, "vanthu.tu", &["clerk"]).await;
    let their_clerk = receiver.login_ok("vanthu.tu", &pw, "desk").await;
    let (_, pw) = receiver
        .active_user(&admin, "chuyenvien.tu", &["specialist"])
        .await;
    let specialist = receiver.login_ok("chuyenvien.tu", &pw, "phone").await;

    import(&receiver, &specialist.access, xml.clone())
        .await
        .problem(403, "forbidden");
    let first = import(&receiver, &their_clerk.access, xml.clone()).await;
    assert_eq!(first.ok()["duplicate"], false);
    let id = first.body["document_id"].as_str().unwrap().to_owned();
    let again = import(&receiver, &their_clerk.access, xml.clone()).await;
    assert_eq!(again.ok()["duplicate"], true);
    assert_eq!(again.body["document_id"], id.as_str());

    let read = receiver
        .get(&format!("/api/v1/documents/{id}"), &their_clerk.access)
        .await;
    let body = read.ok();
    assert_eq!(body["symbol"], issued["symbol"]);
    assert_eq!(body["state"], "draft");
    assert_eq!(body["exchange"]["issuer_code"], "000.00.00.H52");
    assert_eq!(body["exchange"]["signer"]["competence"], "KT. CHỦ TỊCH");
    let arrival = &body["exchange"]["arrival"];
    assert_eq!(arrival["route"], "import");
    assert_eq!(arrival["signatures_valid"], true, "{arrival}");
    let (_, sent_bytes) = issued_pdf(&sender, &o, &doc).await;
    let got_file = body["files"][0]["id"].as_str().unwrap();
    let got_bytes = download(&receiver, &their_clerk.access, &id, got_file).await;
    assert_eq!(got_bytes, sent_bytes, "byte for byte");
    assert_eq!(
        waiting(&receiver, &their_clerk.access, "receive")
            .await
            .len(),
        1
    );

    // A hand-written message whose PDF carries no signature is flagged; the clerk refuses it.
    let sample = crate::axis::sample("edoc-new.edxml");
    let unsigned = import(&receiver, &their_clerk.access, sample.clone()).await;
    let unsigned = unsigned.ok()["document_id"].as_str().unwrap().to_owned();
    let read = receiver
        .get(
            &format!("/api/v1/documents/{unsigned}"),
            &their_clerk.access,
        )
        .await;
    assert_eq!(read.ok()["exchange"]["arrival"]["signatures_valid"], false);
    assert_eq!(read.body["symbol"], "215/UBND-VX");
    receiver
        .post(
            &format!("/api/v1/documents/{unsigned}/refuse"),
            Some(&their_clerk.access),
            json!({"reason": "Chữ ký số không hợp lệ"}),
        )
        .await
        .ok();

    // What cannot be taken is refused clearly, stores nothing, and leaves an audit entry.
    import(
        &receiver,
        &their_clerk.access,
        b"<edXML><not-closed>".to_vec(),
    )
    .await
    .problem(422, "message_malformed");
    let elsewhere = String::from_utf8(sample).unwrap().replace(
        "<edXML:OrganId>000.00.00.A52</edXML:OrganId>",
        "<edXML:OrganId>000.00.00.G22</edXML:OrganId>",
    );
    import(&receiver, &their_clerk.access, elsewhere.into_bytes())
        .await
        .problem(422, "message_not_for_us");
    let documents = receiver.get("/api/v1/documents", &their_clerk.access).await;
    assert_eq!(documents.ok()["items"].as_array().unwrap().len(), 2);
    let audit = receiver
        .get("/api/v1/admin/audit?action=message_refused", &admin.access)
        .await;
    assert_eq!(
        audit.ok()["items"].as_array().unwrap().len(),
        2,
        "{}",
        audit.body
    );
    let _ = std::fs::remove_file(anchors_file);
}

/// Waits (bounded) until `check` holds of what `path` answers.
pub(crate) async fn eventually(
    app: &TestApp,
    token: &str,
    path: &str,
    what: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    for _ in 0..300 {
        let reply = app.get(path, token).await;
        if reply.status == 200 && check(&reply.body) {
            return reply.body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("{what} never happened");
}

pub(crate) fn borrowed(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

async fn two_installations_exchange_a_document_and_its_status_over_the_axis(db: Backend) {
    let axis = FakeAxis::start().await;
    let on_axis = |code: &str| axis.env(&axis.join(code));
    let (env_a, env_b) = (on_axis("000.00.00.H52"), on_axis("000.00.00.A52"));
    let (sender, o, clerk) = province(db, &borrowed(&env_a)).await;
    let receiver = spawn_agency(db, "000.00.00.A52", "TU", "party", &borrowed(&env_b)).await;

    let admin = receiver.admin().await;
    let (_, pw) = receiver.active_user(&admin, "vanthu.tu", &["clerk"]).await;
    let their_clerk = receiver.login_ok("vanthu.tu", &pw, "desk").await;
    let (secretary_id, _) = receiver.active_user(&admin, "bithu.tu", &["leader"]).await;

    let (doc, issued) = issued_to(
        &sender,
        &o,
        &clerk,
        json!([{"code": "000.00.00.A52", "name": "Tỉnh ủy Ninh Bình"}]),
    )
    .await;
    // The other installation polls it in; its clerk is asked to take it in.
    let inbox = eventually(
        &receiver,
        &their_clerk.access,
        "/api/v1/inbox",
        "the arrival",
        |b| {
            b["items"]
                .as_array()
                .is_some_and(|i| i.iter().any(|t| t["task"]["action"] == "receive"))
        },
    )
    .await;
    let copy = inbox["items"][0]["document_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let read = receiver
        .get(&format!("/api/v1/documents/{copy}"), &their_clerk.access)
        .await;
    assert_eq!(read.ok()["symbol"], issued["symbol"]);
    assert_eq!(read.body["exchange"]["arrival"]["route"], "axis");
    assert_eq!(read.body["exchange"]["issuer_code"], "000.00.00.H52");
    let (issued_file, sent_bytes) = issued_pdf(&sender, &o, &doc).await;
    assert_eq!(
        read.body["files"][0]["sha256"], issued_file["sha256"],
        "the same bytes"
    );
    let got_bytes = download(
        &receiver,
        &their_clerk.access,
        &copy,
        read.body["files"][0]["id"].as_str().unwrap(),
    )
    .await;
    assert_eq!(got_bytes, sent_bytes, "byte for byte over the axis");
    both_signatures_hold(&sender, &o, &got_bytes).await;

    // Registered there: the sender sees 03, brought back by a status message over the axis.
    receiver
        .post(
            &format!("/api/v1/documents/{copy}/register"),
            Some(&their_clerk.access),
            json!({"to_user_id": secretary_id}),
        )
        .await
        .ok();
    let deliveries = format!("/api/v1/documents/{doc}/deliveries");
    let seen = eventually(
        &sender,
        &o.author.access,
        &deliveries,
        "the status 03",
        |b| b["recipients"][0]["status"] == "03",
    )
    .await;
    let history: Vec<_> = seen["recipients"][0]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].clone())
        .collect();
    assert_eq!(history, [json!("03")]);
    // Nothing was delivered twice.
    let arrived = receiver
        .get("/api/v1/documents?direction=incoming", &their_clerk.access)
        .await;
    assert_eq!(arrived.ok()["items"].as_array().unwrap().len(), 1);
}

const H41: &str = "000.00.00.H41";

/// Departments of a province: the bench's recipients, here and elsewhere.
const DEPARTMENTS: &[&str] = &[
    "Sở Nội vụ",
    "Sở Tài chính",
    "Sở Kế hoạch và Đầu tư",
    "Sở Tư pháp",
    "Sở Công Thương",
    "Sở Xây dựng",
    "Sở Giao thông vận tải",
    "Sở Y tế",
    "Sở Giáo dục và Đào tạo",
    "Sở Nông nghiệp và Phát triển nông thôn",
    "Sở Tài nguyên và Môi trường",
    "Sở Thông tin và Truyền thông",
    "Sở Lao động - Thương binh và Xã hội",
    "Sở Văn hóa, Thể thao và Du lịch",
    "Sở Khoa học và Công nghệ",
    "Thanh tra tỉnh",
    "Ban Dân tộc",
    "Ban Quản lý các khu công nghiệp",
    "Đài Phát thanh và Truyền hình",
    "Văn phòng Ủy ban nhân dân",
];

/// The `i`th department (from 1) of the province named `of`.
fn department(i: usize, of: &str) -> String {
    match DEPARTMENTS.get(i - 1) {
        Some(name) => format!("{name} {of}"),
        None => format!("Đơn vị số {i} {of}"),
    }
}

fn knob(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// `signed` (an issued PDF) grown to about `size` bytes by noise no other copy has, appended as
/// a later incremental update: each message stores a file of its own, and both signatures are
/// still there to check as it arrives.
fn padded(signed: &[u8], size: usize) -> Vec<u8> {
    use rand::Rng;
    // Hex: two characters a byte.
    let mut noise = vec![0u8; size.saturating_sub(signed.len()) / 2];
    rand::thread_rng().fill(&mut noise[..]);
    let noise = hex::encode(noise);
    let object = format!("<< /Length {} >>\nstream\n{noise}\nendstream", noise.len());
    append_update(signed, &[(next_object_number(signed), object)])
}

/// The design's sample message from Nghệ An, as its document number `n`, addressed to `to` and
/// carrying `pdf`.
fn numbered_edoc(sample: &str, to: &str, n: usize, pdf: &[u8]) -> Vec<u8> {
    let xml = sample
        .replace(
            "<edXML:OrganId>000.00.00.A52</edXML:OrganId>",
            &format!("<edXML:OrganId>{to}</edXML:OrganId>"),
        )
        .replace(",215/UBND-VX<", &format!(",{n}/UBND-VX<"))
        .replace(">215<", &format!(">{n}<"));
    let open = xml.find("<edXML:ContentTransferEncoded").unwrap();
    let start = open + xml[open..].find('>').unwrap() + 1;
    let end = xml.find("</edXML:ContentTransferEncoded>").unwrap();
    format!("{}{}{}", &xml[..start], STANDARD.encode(pdf), &xml[end..]).into_bytes()
}

/// Messages the server's poller fetches and lands at once (its `CONCURRENCY`).
const POLLER_CONCURRENCY: usize = 4;

/// The transport alone, as the poller meets it: one listing, then each of `ids` fetched and
/// decoded, as many at once as the poller, nothing landed or acknowledged. Answers the bytes.
async fn fetch_raw(axis: &FakeAxis, account: &Account, ids: &[String]) -> usize {
    let http = crate::helpers::http_client();
    let call = |name: &str, keys: &[(&str, &str)]| {
        let mut req = http.post(format!("{}/{name}", axis.base));
        for (k, v) in fake_axis::sign(&account.system_id, &account.secret, keys) {
            req = req.header(k, v);
        }
        req.send()
    };
    let listing = [("messagetype", "edoc"), ("servicetype", "eDoc")];
    let listed = call("getReceivedEdocList", &listing).await.unwrap();
    assert_eq!(listed.status(), 200);
    let sizes: Vec<usize> = stream::iter(ids)
        .map(|id| {
            let reply = call("getEdoc", &[("docId", id.as_str())]);
            async move {
                let body: Value = reply.await.unwrap().json().await.unwrap();
                let data = body["data"].as_str().unwrap();
                STANDARD.decode(data).unwrap().len()
            }
        })
        .buffer_unordered(POLLER_CONCURRENCY)
        .collect()
        .await;
    sizes.iter().sum()
}

/// `pdfs` uploaded by `clerk` as paper letters, as many at once as the poller lands: storing
/// and checking the same sizes without the exchange.
async fn upload_all(app: &TestApp, clerk: &Tokens, pdfs: Vec<Vec<u8>>) {
    stream::iter(pdfs.into_iter().enumerate())
        .map(|(n, pdf)| async move {
            let metadata = json!({
                "direction": "incoming", "doc_type": "CV", "urgency": "normal",
                "confidentiality": "none", "issuer": "Ủy ban nhân dân tỉnh Nghệ An",
                "summary": format!("Công văn giấy số {} về chuyển đổi số", n + 1),
            });
            app.upload(&clerk.access, metadata, vec![("cong-van.pdf", pdf)])
                .await
                .ok();
        })
        .buffer_unordered(POLLER_CONCURRENCY)
        .collect::<Vec<()>>()
        .await;
}

/// Not a test: `scripts/bench-exchange` runs it on a release build, on PostgreSQL. 1,000
/// documents from another province, each with a PDF of its own of about 1 MB, wait on the
/// local axis for one server to poll them in: how fast they land and how much memory the
/// server takes meanwhile, next to the same messages merely fetched from the axis and the same
/// sizes uploaded by hand. Then one Công văn issued to 50 recipients, two fifths of them here
/// and the rest elsewhere: how long the issuance takes next to one without recipients, and
/// until the axis has every message for elsewhere.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a benchmark: run by scripts/bench-exchange"]
async fn bench_exchange_arrivals_and_a_wide_send() {
    let total = knob("BENCH_MESSAGES", 1000);
    let size = knob("BENCH_PDF_BYTES", 1_000_000);
    let recipients = knob("BENCH_RECIPIENTS", 50);
    let local = recipients * 2 / 5;
    let elsewhere = recipients - local;
    let axis = FakeAxis::start().await;
    let mut env = axis.env(&axis.join(H52));
    // The production timeout: a megabyte message is not cut off while the machine is busy.
    env.push(("EXCHANGE_TIMEOUT_SECONDS".into(), "30".into()));
    let (app, o, clerk) = province(Backend::Postgres, &borrowed(&env)).await;
    let mib = |field: &str| app.memory_kib(field) as f64 / 1024.0;
    let idle = mib("VmRSS");
    let mut to = Vec::new();
    for i in 1..=local {
        let (id, _) = unit(
            &app,
            &o.admin,
            &format!("000.{i:02}.00.H52"),
            &format!("S{i:02}"),
            &department(i, "tỉnh Ninh Bình"),
            &format!("vanthu.s{i:02}"),
        )
        .await;
        to.push(json!({"organization_id": id}));
    }
    for i in 1..=elsewhere {
        to.push(json!({"code": format!("000.{i:02}.00.H41"),
                       "name": department(i, "tỉnh Nghệ An")}));
    }

    // Issued without recipients: the issuance alone, and the signed PDF the messages carry.
    let alone = signed_with(&app, &o, json!({})).await;
    let t = Instant::now();
    issue(&app, &clerk, &alone).await;
    let issue_alone = t.elapsed();
    let read = app
        .get(&format!("/api/v1/documents/{alone}"), &o.author.access)
        .await;
    let file = read.ok()["files"].as_array().unwrap().last().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let issued = download(&app, &o.author.access, &alone, &file).await;
    // BENCH_SIGNED=0: the same text unsigned, to tell what checking the signatures costs.
    let carried = match knob("BENCH_SIGNED", 1) {
        0 => pdf(SHOWN),
        _ => issued,
    };
    let sample = String::from_utf8(crate::axis::sample("edoc-new.edxml")).unwrap();
    let messages: Vec<Vec<u8>> = (1..=total)
        .map(|n| numbered_edoc(&sample, H52, n, &padded(&carried, size)))
        .collect();
    let pdf_bytes = padded(&carried, size).len();

    // The arrivals: memory by quarter of them acknowledged, and at its peak.
    let before = mib("VmRSS");
    app.reset_peak_memory();
    let t = Instant::now();
    let ids: Vec<String> = messages
        .iter()
        .map(|m| axis.deliver(H41, &[H52], "edoc", m))
        .collect();
    drop(messages);
    let mut quarters = Vec::new();
    loop {
        let acked = axis.calls("updateStatus");
        while quarters.len() < 3 && acked * 4 >= (quarters.len() + 1) * total {
            quarters.push(mib("VmRSS"));
        }
        if acked >= total {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(1800),
            "only {acked} of {total} acknowledged"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let landed_in = t.elapsed().as_secs_f64();
    let peak = mib("VmHWM");
    quarters.push(mib("VmRSS"));
    let metrics = app.metrics().await;
    let landed = metric(&metrics, "exchange_received_total{outcome=\"landed\"}");
    assert_eq!(landed, Some(total as f64), "every message landed once");

    // Anchors: the same messages fetched again from the axis by another system of ours, and
    // as many fresh PDFs of the same size uploaded by the clerk.
    let t = Instant::now();
    let fetched = fetch_raw(&axis, &axis.join(H52), &ids).await;
    let fetched_in = t.elapsed().as_secs_f64();
    let uploads: Vec<Vec<u8>> = (0..total).map(|_| padded(&carried, size)).collect();
    let t = Instant::now();
    upload_all(&app, &clerk, uploads).await;
    let uploaded_in = t.elapsed().as_secs_f64();

    // The wide send: issued to every recipient, delivered here in the issuing request, queued
    // for the axis elsewhere.
    let doc = signed_with(&app, &o, json!({"recipients": to})).await;
    let sent_before = axis.calls("sendEdoc");
    let t = Instant::now();
    issue(&app, &clerk, &doc).await;
    let issue_sent = t.elapsed();
    while axis.calls("sendEdoc") < sent_before + elsewhere {
        assert!(
            t.elapsed() < Duration::from_secs(300),
            "the outbox never drained"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let drained = t.elapsed();
    let t = Instant::now();
    let again = app
        .post(
            &format!("/api/v1/documents/{doc}/send"),
            Some(&clerk.access),
            json!({}),
        )
        .await;
    let resend = t.elapsed();
    let answered = again.ok()["recipients"].as_array().unwrap();
    assert_eq!(answered.len(), recipients);
    assert!(
        answered.iter().all(|r| r["sent_at"].is_string()),
        "{answered:?}"
    );
    let arrived = answered.iter().filter(|r| r["status"] == "01").count();
    assert_eq!(arrived, local, "every recipient here has its copy");
    let metrics = app.metrics().await;
    assert_eq!(
        metric(&metrics, "exchange_sent_total"),
        Some(elsewhere as f64)
    );

    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "BENCH arrivals messages={total} pdf_bytes={pdf_bytes} seconds={landed_in:.2} \
         rate={:.1}/s",
        total as f64 / landed_in
    );
    println!(
        "BENCH arrivals_anchor raw_fetch seconds={fetched_in:.2} rate={:.1}/s bytes={fetched}",
        total as f64 / fetched_in
    );
    println!(
        "BENCH arrivals_anchor uploads seconds={uploaded_in:.2} rate={:.1}/s",
        total as f64 / uploaded_in
    );
    let quarters: Vec<String> = quarters.iter().map(|q| format!("{q:.1}")).collect();
    println!(
        "BENCH memory_mib idle={idle:.1} before={before:.1} peak={peak:.1} by_quarter={}",
        quarters.join("/")
    );
    println!(
        "BENCH send recipients={recipients} here={local} elsewhere={elsewhere} \
         issue_ms={:.0} drained_ms={:.0} send_again_ms={:.0}",
        ms(issue_sent),
        ms(drained),
        ms(resend)
    );
    println!(
        "BENCH send_anchor issue_without_recipients_ms={:.0}",
        ms(issue_alone)
    );
}
