//! Remote signing end to end: provisioning a leader's key in the world's SoftHSM token, the
//! signing PIN, a signing request confirmed with a wrong then the right PIN, and the signed PDF
//! judged by validators nobody here wrote (pyHanko and poppler's pdfsig).

use std::{path::Path, process::Command};

use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::helpers::{
    Backend, Reply, TestApp, Tokens, append_update, next_object_number, on_both_databases, pdf,
    pdf_with, scan_with, spawn_app_with,
};

on_both_databases!(
    a_leader_signs_on_the_phone_and_validators_accept_the_pdf,
    five_wrong_pins_lock_signing_until_an_admin_unlocks,
    an_expired_request_is_refused_and_the_task_keeps_waiting,
    the_organisation_list_shows_where_each_seal_stands,
    fifty_readers_at_once_have_the_signatures_checked_once,
);

pub(crate) struct Office {
    pub admin: Tokens,
    pub author: Tokens,
    pub leader: (String, Tokens),
    pub leader_password: String,
}

pub(crate) async fn office(app: &TestApp) -> Office {
    let admin = app.admin().await;
    let (_, author_password) = app
        .active_user(&admin, "chuyenvien.binh", &["specialist"])
        .await;
    let author = app
        .login_ok("chuyenvien.binh", &author_password, "phone")
        .await;
    let (leader_id, leader_password) = app.active_user(&admin, "bithu.an", &["leader"]).await;
    let leader = app.login_ok("bithu.an", &leader_password, "phone").await;
    Office {
        admin,
        author,
        leader: (leader_id, leader),
        leader_password,
    }
}

/// A draft submitted straight to the leader's sign step: (document, task, main file).
pub(crate) async fn at_the_sign_step(app: &TestApp, o: &Office) -> (String, String, String) {
    draft_to_sign(app, o, pdf("Quyet dinh")).await
}

/// `bytes` as a draft at the leader's sign step; the leader may have up to 100 waiting.
pub(crate) async fn draft_to_sign(
    app: &TestApp,
    o: &Office,
    bytes: Vec<u8>,
) -> (String, String, String) {
    let metadata = json!({
        "direction": "outgoing", "doc_type": "QĐ", "urgency": "normal", "confidentiality": "none",
        "summary": "Quyết định ban hành quy chế làm việc",
    });
    draft_with(app, o, metadata, bytes).await
}

/// An outgoing draft described by `metadata` at the leader's sign step.
pub(crate) async fn draft_with(
    app: &TestApp,
    o: &Office,
    metadata: Value,
    bytes: Vec<u8>,
) -> (String, String, String) {
    draft_with_files(app, o, metadata, vec![("quyet-dinh.pdf", bytes)]).await
}

/// A draft of `files` (the main PDF, then its appendices) at the leader's sign step.
pub(crate) async fn draft_with_files(
    app: &TestApp,
    o: &Office,
    metadata: Value,
    files: Vec<(&str, Vec<u8>)>,
) -> (String, String, String) {
    let created = app.upload(&o.author.access, metadata, files).await;
    let doc = created.ok()["id"].as_str().unwrap().to_owned();
    let file = created.ok()["files"][0]["id"].as_str().unwrap().to_owned();
    app.post(
        &format!("/api/v1/documents/{doc}/submit"),
        Some(&o.author.access),
        json!({"steps": [{"user_id": o.leader.0, "action": "sign"}]}),
    )
    .await
    .ok();
    let inbox = app.get("/api/v1/inbox?limit=100", &o.leader.1.access).await;
    let task = inbox.ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["document_id"] == doc.as_str())
        .expect("the sign task waits")["task"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (doc, task, file)
}

/// The leader's key and certificate in the world's token, and their signing PIN `246810`.
pub(crate) async fn provision(app: &TestApp, o: &Office) {
    let created = app
        .post(
            &format!("/api/v1/admin/users/{}/signing-credential", o.leader.0),
            Some(&o.admin.access),
            json!({"algorithm": "rsa2048"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert!(
        created.body["csr_pem"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE REQUEST-----")
    );
    let certificate = created.body["certificate_pem"]
        .as_str()
        .expect("DEV_CA issues")
        .to_owned();
    // A certificate for another key is refused; the one for the HSM key installs.
    let anchors = app
        .get("/api/v1/signing/trust-anchors", &o.admin.access)
        .await;
    let path = format!(
        "/api/v1/admin/users/{}/signing-credential/certificate",
        o.leader.0
    );
    app.send(
        reqwest::Method::PUT,
        &path,
        Some(&o.admin.access),
        Some(json!({"certificate_pem": anchors.ok()["certificates"][0]})),
    )
    .await
    .problem(422, "certificate_refused");
    app.send(
        reqwest::Method::PUT,
        &path,
        Some(&o.admin.access),
        Some(json!({"certificate_pem": certificate})),
    )
    .await
    .ok();
    app.send(
        reqwest::Method::PUT,
        "/api/v1/me/signing-pin",
        Some(&o.leader.1.access),
        Some(json!({"current_password": o.leader_password, "pin": "246810"})),
    )
    .await;
}

/// The admin's organisation gets its seal (a key in the HSM and a development certificate).
pub(crate) async fn seal(app: &TestApp, o: &Office) {
    let org = app.admin_org(&o.admin).await;
    let seal = app
        .post(
            &format!("/api/v1/admin/organizations/{org}/signing-credential"),
            Some(&o.admin.access),
            json!({"algorithm": "ecdsa_p256"}),
        )
        .await;
    assert_eq!(seal.status, 201, "{}", seal.body);
}

/// The leader confirms signing request `req` with `pin`, as the app does: with the digest it
/// showed.
pub(crate) async fn confirm(app: &TestApp, o: &Office, req: &Value, pin: &str) -> Reply {
    let id = req["id"].as_str().unwrap();
    app.post(
        &format!("/api/v1/signing-requests/{id}/confirm"),
        Some(&o.leader.1.access),
        json!({"pin": pin, "digest": req["digest"]}),
    )
    .await
}

pub(crate) async fn request(app: &TestApp, o: &Office, task: &str, file: &str) -> Value {
    let made = app
        .post(
            &format!("/api/v1/tasks/{task}/signing-requests"),
            Some(&o.leader.1.access),
            json!({"file_id": file, "reason": "Ký ban hành", "location": "Đà Lạt"}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    made.body.clone()
}

pub(crate) async fn download(app: &TestApp, token: &str, doc: &str, file: &str) -> Vec<u8> {
    let resp = app
        .http
        .get(format!("{}/api/v1/documents/{doc}/files/{file}", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.bytes().await.unwrap().to_vec()
}

pub(crate) fn pyhanko(dir: &Path, ca: &Path, file: &Path) -> (bool, String) {
    let venv = std::env::var("HOME").unwrap_or_default() + "/.cache/vanban/venv/bin/pyhanko";
    let program = if Path::new(&venv).exists() {
        venv
    } else {
        "pyhanko".into()
    };
    let out = Command::new(program)
        .current_dir(dir)
        .args(["sign", "validate", "--pretty-print", "--trust"])
        .arg(ca)
        .args(["--trust-replace", "--no-revocation-check"])
        .arg(file)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

pub(crate) fn pdfsig(dir: &Path, ca: &Path, file: &Path) -> String {
    let nss = dir.join("nss");
    let db = format!("sql:{}", nss.display());
    if !nss.exists() {
        std::fs::create_dir_all(&nss).unwrap();
        assert!(
            Command::new("certutil")
                .args(["-N", "-d", &db, "--empty-password"])
                .status()
                .unwrap()
                .success()
        );
        assert!(
            Command::new("certutil")
                .args(["-A", "-d", &db, "-n", "vanban-ca", "-t", "CT,C,C", "-i"])
                .arg(ca)
                .status()
                .unwrap()
                .success()
        );
    }
    let out = Command::new("pdfsig")
        .args(["-nssdir", &db])
        .arg(file)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

async fn a_leader_signs_on_the_phone_and_validators_accept_the_pdf(db: Backend) {
    let app = spawn_app_with(db, &[("DEV_CA", "true")]).await;
    let o = office(&app).await;
    let ready = app.get("/health/ready", "").await;
    assert_eq!(ready.body["hsm"], "ok", "{}", ready.body);
    let (doc, task, file) = at_the_sign_step(&app, &o).await;
    provision(&app, &o).await;

    // Only the assigned signer may ask.
    app.post(
        &format!("/api/v1/tasks/{task}/signing-requests"),
        Some(&o.author.access),
        json!({"file_id": file}),
    )
    .await
    .problem(403, "not_your_task");
    let req = request(&app, &o, &task, &file).await;
    let id = req["id"].as_str().unwrap();
    let original = download(&app, &o.leader.1.access, &doc, &file).await;
    assert_eq!(
        req["digest"].as_str().unwrap(),
        app.get(&format!("/api/v1/documents/{doc}"), &o.leader.1.access)
            .await
            .ok()["files"][0]["sha256"]
    );

    // A wrong PIN changes nothing; someone else's request does not exist for them.
    app.post(
        &format!("/api/v1/signing-requests/{id}/confirm"),
        Some(&o.leader.1.access),
        json!({"pin": "111111", "digest": req["digest"]}),
    )
    .await
    .problem(403, "signing_pin_invalid");
    app.post(
        &format!("/api/v1/signing-requests/{id}/confirm"),
        Some(&o.author.access),
        json!({"pin": "246810", "digest": req["digest"]}),
    )
    .await
    .problem(404, "not_found");
    let before = app
        .get(&format!("/api/v1/documents/{doc}"), &o.leader.1.access)
        .await;
    assert_eq!(before.ok()["files"].as_array().unwrap().len(), 1);
    assert_eq!(before.ok()["state"], "in_review");

    let signed = app
        .post(
            &format!("/api/v1/signing-requests/{id}/confirm"),
            Some(&o.leader.1.access),
            json!({"pin": "246810", "digest": req["digest"]}),
        )
        .await;
    let signed = signed.ok().clone();
    // A retried confirm answers the first signature and signs nothing more.
    let again = app
        .post(
            &format!("/api/v1/signing-requests/{id}/confirm"),
            Some(&o.leader.1.access),
            json!({"pin": "246810", "digest": req["digest"]}),
        )
        .await;
    assert_eq!(again.ok()["signature_id"], signed["signature_id"]);

    let after = app
        .get(&format!("/api/v1/documents/{doc}"), &o.leader.1.access)
        .await;
    assert_eq!(after.ok()["state"], "signed");
    assert_eq!(after.ok()["files"].as_array().unwrap().len(), 2);
    let signed_file = signed["file_id"].as_str().unwrap();
    let bytes = download(&app, &o.leader.1.access, &doc, signed_file).await;
    assert_eq!(
        &bytes[..original.len()],
        &original[..],
        "an incremental update"
    );

    let anchors = app
        .get("/api/v1/signing/trust-anchors", &o.leader.1.access)
        .await;
    let ca_pem = anchors.ok()["certificates"][0].as_str().unwrap().to_owned();
    let dir = app.world.data_dir.join("validation");
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, ca_pem).unwrap();
    let pdf_path = dir.join("signed.pdf");
    std::fs::write(&pdf_path, &bytes).unwrap();
    // No signature image and no position: the name and title, lower right of the last page.
    let shown = crate::appearance::text_in(&pdf_path, 1, (360, 710, 200, 90));
    assert!(
        shown.contains("Nguyễn Văn Thử") && shown.contains("Chuyên viên"),
        "{shown}"
    );
    let (ok, report) = pyhanko(&dir, &ca, &pdf_path);
    assert!(ok, "pyHanko: {report}");
    let report = pdfsig(&dir, &ca, &pdf_path);
    assert!(
        report.contains("Signature Validation: Signature is Valid.")
            && report.contains("Certificate Validation: Certificate is Trusted.")
            && report.contains("Total document signed"),
        "pdfsig: {report}"
    );

    let checks = app
        .get(
            &format!("/api/v1/documents/{doc}/signatures"),
            &o.leader.1.access,
        )
        .await;
    assert_eq!(checks.ok()["items"][0]["valid"], true, "{}", checks.body);
    assert_eq!(checks.ok()["items"][0]["signer_name"], "Nguyễn Văn Thử");

    // Issuance adds the organisation's seal on top: both signatures stay valid.
    seal(&app, &o).await;
    let (_, clerk_password) = app.active_user(&o.admin, "vanthu.hoa", &["clerk"]).await;
    let clerk = app.login_ok("vanthu.hoa", &clerk_password, "desk").await;
    app.post(
        &format!("/api/v1/documents/{doc}/issue"),
        Some(&clerk.access),
        json!({}),
    )
    .await
    .ok();
    let issued = app
        .get(&format!("/api/v1/documents/{doc}"), &o.leader.1.access)
        .await;
    assert_eq!(issued.ok()["state"], "issued");
    let files = issued.ok()["files"].as_array().unwrap().clone();
    assert_eq!(files.len(), 3);
    let sealed_file = files.iter().find(|f| f["current"] == true).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let sealed = download(&app, &o.leader.1.access, &doc, &sealed_file).await;
    assert_eq!(&sealed[..bytes.len()], &bytes[..]);
    let sealed_path = dir.join("sealed.pdf");
    std::fs::write(&sealed_path, &sealed).unwrap();
    let (ok, report) = pyhanko(&dir, &ca, &sealed_path);
    assert!(ok, "pyHanko: {report}");
    let report = pdfsig(&dir, &ca, &sealed_path);
    assert_eq!(
        report
            .matches("Signature Validation: Signature is Valid.")
            .count(),
        2,
        "pdfsig: {report}"
    );
    assert_eq!(
        report
            .matches("Certificate Validation: Certificate is Trusted.")
            .count(),
        2,
        "pdfsig: {report}"
    );
    let checks = app
        .get(
            &format!("/api/v1/documents/{doc}/signatures"),
            &o.leader.1.access,
        )
        .await;
    let items = checks.ok()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2, "{}", checks.body);
    assert!(items.iter().all(|i| i["valid"] == true), "{}", checks.body);
    assert_eq!(checks.ok()["valid"], true, "{}", checks.body);
    assert!(items.iter().all(|i| i["modified_after_signing"] == false));
    assert_eq!(items[1]["covers_whole_file"], true);
    assert_eq!(items[0]["covers_whole_file"], false);

    // One byte flipped inside the signed range: every validator, ours included, sees it.
    let mut tampered = bytes.clone();
    let at = tampered
        .windows(10)
        .position(|w| w == b"Quyet dinh")
        .unwrap();
    tampered[at] = b'X';
    let tampered_path = dir.join("tampered.pdf");
    std::fs::write(&tampered_path, &tampered).unwrap();
    let (ok, report) = pyhanko(&dir, &ca, &tampered_path);
    assert!(!ok, "pyHanko accepted a modified file: {report}");
    let report = pdfsig(&dir, &ca, &tampered_path);
    assert!(
        report.contains("Signature Validation: Digest Mismatch."),
        "pdfsig: {report}"
    );
    let upload = app
        .upload(
            &o.author.access,
            json!({"direction": "outgoing", "doc_type": "QĐ", "urgency": "normal",
                   "confidentiality": "none", "summary": "Bản bị sửa"}),
            vec![("sua.pdf", tampered)],
        )
        .await;
    let tampered_doc = upload.ok()["id"].as_str().unwrap().to_owned();
    let checks = app
        .get(
            &format!("/api/v1/documents/{tampered_doc}/signatures"),
            &o.author.access,
        )
        .await;
    let check = &checks.ok()["items"][0];
    assert_eq!(check["valid"], false, "{}", checks.body);
    assert_eq!(checks.ok()["valid"], false, "{}", checks.body);
    assert_eq!(check["problems"][0]["code"], "digest_mismatch");
    assert!(
        check["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains("message digest mismatch"),
        "{}",
        checks.body
    );

    // The issued file with a forged page appended after the seal, uploaded by someone else: a
    // clerk receiving it is told the document was modified after signing.
    let upload = app
        .upload(
            &o.author.access,
            json!({"direction": "outgoing", "doc_type": "QĐ", "urgency": "normal",
                   "confidentiality": "none", "summary": "Bản có trang giả"}),
            vec![("them-trang.pdf", append_forged_page(&sealed))],
        )
        .await;
    let forged_doc = upload.ok()["id"].as_str().unwrap().to_owned();
    let checks = app
        .get(
            &format!("/api/v1/documents/{forged_doc}/signatures"),
            &o.author.access,
        )
        .await;
    assert_eq!(checks.ok()["valid"], false, "{}", checks.body);
    let items = checks.ok()["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{}", checks.body);
    for item in items {
        assert_eq!(item["valid"], false, "{}", checks.body);
        assert_eq!(item["modified_after_signing"], true, "{}", checks.body);
        assert_eq!(item["problems"][0]["code"], "modified_after_signing");
        assert!(
            item["problems"][0]["message"]
                .as_str()
                .unwrap()
                .contains("changed after this signature"),
            "{}",
            checks.body
        );
    }
}

/// `signed` (made from [`pdf`]) with a forged second page appended as an ordinary incremental
/// update, written as any PDF library would: a content stream, a page, and the page tree
/// (object 2) again.
fn append_forged_page(signed: &[u8]) -> Vec<u8> {
    let content = next_object_number(signed);
    let page = content + 1;
    let stream = "BT /F1 24 Tf 72 720 Td (Dong y chi 5 ty dong) Tj ET";
    append_update(
        signed,
        &[
            (
                2,
                format!("<< /Type /Pages /Kids [3 0 R {page} 0 R] /Count 2 >>"),
            ),
            (
                content,
                format!(
                    "<< /Length {} >>\nstream\n{stream}\nendstream",
                    stream.len()
                ),
            ),
            (
                page,
                format!(
                    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] \
                     /Contents {content} 0 R >>"
                ),
            ),
        ],
    )
}

async fn five_wrong_pins_lock_signing_until_an_admin_unlocks(db: Backend) {
    let app = spawn_app_with(db, &[("DEV_CA", "true")]).await;
    let o = office(&app).await;
    let (doc, task, file) = at_the_sign_step(&app, &o).await;
    provision(&app, &o).await;
    let req = request(&app, &o, &task, &file).await;
    let confirm = format!(
        "/api/v1/signing-requests/{}/confirm",
        req["id"].as_str().unwrap()
    );
    for _ in 0..5 {
        app.post(
            &confirm,
            Some(&o.leader.1.access),
            json!({"pin": "000000", "digest": req["digest"]}),
        )
        .await
        .problem(403, "signing_pin_invalid");
    }
    // Locked: even the right PIN is refused.
    app.post(
        &confirm,
        Some(&o.leader.1.access),
        json!({"pin": "246810", "digest": req["digest"]}),
    )
    .await
    .problem(403, "signing_locked");
    app.patch(
        &format!("/api/v1/admin/users/{}", o.leader.0),
        &o.admin.access,
        json!({"unlock": true}),
    )
    .await
    .ok();
    // Through the batch endpoint (one PIN entry for a list of requests), racing a retry of
    // the single confirm: one signature, and both answers name it.
    let batch = app.post(
        "/api/v1/signing-requests/confirm",
        Some(&o.leader.1.access),
        json!({"requests": [{"id": req["id"], "digest": req["digest"]}], "pin": "246810"}),
    );
    let single = app.post(
        &confirm,
        Some(&o.leader.1.access),
        json!({"pin": "246810", "digest": req["digest"]}),
    );
    let (batch, single) = tokio::join!(batch, single);
    assert_eq!(batch.ok()["items"][0]["document_id"], doc.as_str());
    assert_eq!(
        batch.ok()["items"][0]["signature_id"],
        single.ok()["signature_id"]
    );
    let document = app
        .get(&format!("/api/v1/documents/{doc}"), &o.leader.1.access)
        .await;
    assert_eq!(document.ok()["files"].as_array().unwrap().len(), 2);
}

async fn an_expired_request_is_refused_and_the_task_keeps_waiting(db: Backend) {
    let app = spawn_app_with(
        db,
        &[("DEV_CA", "true"), ("SIGNING_REQUEST_TTL_SECONDS", "0")],
    )
    .await;
    let o = office(&app).await;
    let (doc, task, file) = at_the_sign_step(&app, &o).await;
    provision(&app, &o).await;
    let req = request(&app, &o, &task, &file).await;
    confirm(&app, &o, &req, "246810")
        .await
        .problem(410, "signing_request_expired");
    let document = app
        .get(&format!("/api/v1/documents/{doc}"), &o.leader.1.access)
        .await;
    assert_eq!(document.ok()["state"], "in_review");
    assert_eq!(document.ok()["files"].as_array().unwrap().len(), 1);
}

#[test]
fn the_server_refuses_to_start_without_its_pkcs11_module_and_says_so() {
    let dir = std::env::temp_dir().join(format!("vanban-e2e-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(crate::helpers::api_bin())
        .arg("serve")
        .current_dir(&dir)
        .env("DATA_DIR", &dir)
        .env_remove("DATABASE_URL")
        .env("REDIS_URL", "redis://127.0.0.1:6379")
        .env("BIND_ADDR", "127.0.0.1:0")
        .env("PKCS11_MODULE", "/nonexistent/libpkcs11.so")
        .env("PKCS11_PIN", "1234")
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: cannot use the signing HSM")
            && last.contains("/nonexistent/libpkcs11.so"),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_operators_trust_anchors_are_served_and_an_unreadable_file_stops_the_start() {
    // The development CA of one server stands in for the real CA's certificate.
    let dev = spawn_app_with(Backend::Sqlite, &[("DEV_CA", "true")]).await;
    let admin = dev.admin().await;
    let anchors = dev
        .get("/api/v1/signing/trust-anchors", &admin.access)
        .await;
    let ca_pem = anchors.ok()["certificates"][0].as_str().unwrap().to_owned();
    let bundle = dev.world.data_dir.join("ca-bundle.pem");
    std::fs::write(&bundle, &ca_pem).unwrap();

    let production = spawn_app_with(
        Backend::Sqlite,
        &[("SIGNING_TRUST_ANCHORS_FILE", bundle.to_str().unwrap())],
    )
    .await;
    let admin = production.admin().await;
    let served = production
        .get("/api/v1/signing/trust-anchors", &admin.access)
        .await;
    assert_eq!(served.ok()["certificates"], json!([ca_pem]));
    // Asked for PEM, as a validator wants it (`pyhanko … --trust ca.pem`): the same
    // certificates, as one file.
    let pem = production
        .http
        .get(format!("{}/api/v1/signing/trust-anchors", production.base))
        .bearer_auth(&admin.access)
        .header("accept", "application/x-pem-file")
        .send()
        .await
        .unwrap();
    assert_eq!(pem.status(), 200);
    assert_eq!(pem.headers()["content-type"], "application/x-pem-file");
    assert_eq!(pem.text().await.unwrap(), ca_pem);

    std::fs::write(&bundle, "not a certificate").unwrap();
    let out = production
        .world
        .command(&["serve"])
        .env("SIGNING_TRUST_ANCHORS_FILE", &bundle)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: cannot read the trust anchors in")
            && last.contains("ca-bundle.pem"),
        "{stderr}"
    );
}

/// Run by `scripts/bench-sign` against a release binary: the server's memory idle at start,
/// its peak while it signs a 50 MB PDF (above its RSS just before), signatures per second
/// through the API (a signing request, then its confirmation with the PIN: HSM, PAdES,
/// storage and the decision's transaction) for 1 MB PDFs, and its memory once idle again
/// after them. It measures; the suite skips it.
#[tokio::test]
#[ignore = "a benchmark: scripts/bench-sign runs it"]
async fn bench_signing_through_the_api() {
    const DOCS: usize = 64;
    const AT_ONCE: usize = 4;
    const LARGE: usize = 50 << 20;
    // Long enough for an allocator that returns memory on a timer (jemalloc's decay).
    const IDLE: std::time::Duration = std::time::Duration::from_secs(12);
    let mib = |kib: u64| kib as f64 / 1024.0;
    let app = spawn_app_with(Backend::Postgres, &[("DEV_CA", "true")]).await;
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let idle_at_start = app.memory_kib("VmRSS");
    let o = office(&app).await;
    provision(&app, &o).await;
    let sign = |task: String, file: String| {
        let (app, o) = (&app, &o);
        async move {
            let req = request(app, o, &task, &file).await;
            let id = req["id"].as_str().unwrap();
            app.post(
                &format!("/api/v1/signing-requests/{id}/confirm"),
                Some(&o.leader.1.access),
                json!({"pin": "246810", "digest": req["digest"]}),
            )
            .await
            .ok();
        }
    };

    // A 50 MB scan as copiers make them: 50 pages of a 1 MB image each.
    let large = scan_with("Van ban lon", 50, LARGE / 50);
    let (_, task, file) = draft_to_sign(&app, &o, large).await;
    let rss_before = app.memory_kib("VmRSS");
    // The peak from here on is the signature's, not the upload's.
    app.reset_peak_memory();
    sign(task, file).await;
    let peak = app.memory_kib("VmHWM");

    let mut work = Vec::new();
    for i in 0..DOCS {
        work.push(draft_to_sign(&app, &o, pdf_with(&format!("Van ban {i}"), 1 << 20)).await);
    }
    let started = std::time::Instant::now();
    let mut took: Vec<_> = futures_util::stream::iter(work)
        .map(|(_, task, file)| async {
            let t = std::time::Instant::now();
            sign(task, file).await;
            t.elapsed()
        })
        .buffer_unordered(AT_ONCE)
        .collect()
        .await;
    let elapsed = started.elapsed();
    took.sort();
    tokio::time::sleep(IDLE).await;
    let idle_after = app.memory_kib("VmRSS");

    // The same number again, confirmed in batches of 32 with one PIN entry each: the PIN
    // check (argon2id) is paid once per batch instead of once per signature.
    let mut requests = Vec::new();
    for i in 0..DOCS {
        let (_, task, file) = draft_to_sign(&app, &o, pdf_with(&format!("Lo {i}"), 1 << 20)).await;
        let req = request(&app, &o, &task, &file).await;
        requests.push(json!({"id": req["id"], "digest": req["digest"]}));
    }
    let started = std::time::Instant::now();
    for batch in requests.chunks(32) {
        let signed = app
            .post(
                "/api/v1/signing-requests/confirm",
                Some(&o.leader.1.access),
                json!({"requests": batch, "pin": "246810"}),
            )
            .await;
        assert_eq!(signed.ok()["items"].as_array().unwrap().len(), batch.len());
    }
    let batched = started.elapsed();
    tokio::time::sleep(IDLE).await;
    let idle_after_batches = app.memory_kib("VmRSS");

    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    println!(
        "BENCH idle_at_start_mib={:.1} file_mib={:.1} rss_before_50mb_mib={:.1} \
         peak_during_50mb_mib={:.1} peak_above_before_mib={:.1} api_signatures_per_s={:.1} \
         p50_ms={:.1} p99_ms={:.1} documents={DOCS} concurrency={AT_ONCE} \
         idle_after_64_mib={:.1} batched_signatures_per_s={:.1} idle_after_128_mib={:.1}",
        mib(idle_at_start),
        LARGE as f64 / f64::from(1 << 20),
        mib(rss_before),
        mib(peak),
        mib(peak.saturating_sub(rss_before)),
        DOCS as f64 / elapsed.as_secs_f64(),
        ms(took[DOCS / 2]),
        ms(took[DOCS * 99 / 100]),
        mib(idle_after),
        DOCS as f64 / batched.as_secs_f64(),
        mib(idle_after_batches),
    );
}

async fn the_organisation_list_shows_where_each_seal_stands(db: Backend) {
    let app = spawn_app_with(db, &[("DEV_CA", "true")]).await;
    let o = office(&app).await;
    let org = app.admin_org(&o.admin).await;
    let seal_of = |page: &Value| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == org.as_str())
            .unwrap()["seal"]
            .clone()
    };
    let before = app
        .get("/api/v1/admin/organizations", &o.admin.access)
        .await;
    assert_eq!(seal_of(before.ok()), "none");
    seal(&app, &o).await;
    let after = app
        .get("/api/v1/admin/organizations", &o.admin.access)
        .await;
    assert_eq!(seal_of(after.ok()), "certified");
    let updated = app
        .patch(
            &format!("/api/v1/admin/organizations/{org}"),
            &o.admin.access,
            json!({"push_summary": true}),
        )
        .await;
    assert_eq!(updated.ok()["seal"], "certified");
}

async fn fifty_readers_at_once_have_the_signatures_checked_once(db: Backend) {
    let app = spawn_app_with(db, &[("DEV_CA", "true")]).await;
    let o = office(&app).await;
    let (doc, task, file) = at_the_sign_step(&app, &o).await;
    provision(&app, &o).await;
    let req = request(&app, &o, &task, &file).await;
    confirm(&app, &o, &req, "246810").await.ok();

    let path = format!("/api/v1/documents/{doc}/signatures");
    let readers = (0..50).map(|_| app.get(&path, &o.leader.1.access));
    let answers = futures_util::future::join_all(readers).await;
    let first = answers[0].ok().clone();
    assert_eq!(first["items"][0]["valid"], true, "{first}");
    assert!(answers.iter().all(|a| a.ok() == &first));
    let checks = |m: &str| crate::helpers::metric(m, "signature_checks_total");
    assert_eq!(
        checks(&app.metrics().await),
        Some(1.0),
        "parsed and checked once"
    );

    // Another instance behind the balancer finds the verdict kept.
    let twin = app.second_instance();
    twin.get(&path, &o.leader.1.access).await.ok();
    assert_eq!(
        checks(&twin.metrics().await),
        None,
        "kept, not checked again"
    );
}
