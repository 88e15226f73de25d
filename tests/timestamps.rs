//! Trusted timestamps (PAdES B-T) from a local RFC 3161 authority: every signature carries one,
//! the server checks it and pyHanko judges it valid and trusted; an authority that is down or
//! answers garbage leaves the task waiting with a clear error, unless timestamps are optional,
//! when the signature is made without one and the answer says so.

use std::path::Path;

use serde_json::Value;

use crate::{
    fake_tsa::{FakeTsa, TsaAnswer},
    helpers::{Backend, TestApp, on_both_databases, spawn_app_with},
    signing::{
        Office, at_the_sign_step, confirm, download, office, provision, pyhanko, request, seal,
    },
};

on_both_databases!(
    signatures_carry_a_trusted_timestamp_and_a_down_authority_leaves_the_task_waiting,
    with_timestamps_optional_a_down_authority_gives_a_signature_without_one,
);

async fn app_with(db: Backend, tsa: &FakeTsa, extra: &[(&str, &str)]) -> TestApp {
    let env = tsa.env();
    let mut all: Vec<(&str, &str)> = vec![("DEV_CA", "true")];
    all.extend(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    all.extend(extra);
    spawn_app_with(db, &all).await
}

async fn checks(app: &TestApp, o: &Office, doc: &str) -> Value {
    app.get(
        &format!("/api/v1/documents/{doc}/signatures"),
        &o.leader.1.access,
    )
    .await
    .ok()
    .clone()
}

async fn signatures_carry_a_trusted_timestamp_and_a_down_authority_leaves_the_task_waiting(
    db: Backend,
) {
    let tsa = FakeTsa::start().await;
    let app = app_with(db, &tsa, &[]).await;
    let o = office(&app).await;
    provision(&app, &o).await;
    let (doc, task, file) = at_the_sign_step(&app, &o).await;
    let req = request(&app, &o, &task, &file).await;

    // Down, then answering garbage: nothing is signed, the task waits, the app may retry.
    for (answer, says) in [
        (TsaAnswer::Down, "HTTP 500"),
        (TsaAnswer::Garbage, "not a timestamp"),
    ] {
        tsa.answer(answer);
        let refused = confirm(&app, &o, &req, "246810").await;
        let problem = refused.problem(503, "tsa_unavailable");
        assert!(
            problem["detail"].as_str().unwrap().contains(says),
            "{problem}"
        );
        assert_eq!(refused.headers["retry-after"], "30");
        let document = app
            .get(&format!("/api/v1/documents/{doc}"), &o.leader.1.access)
            .await;
        assert_eq!(document.ok()["state"], "in_review");
        assert_eq!(document.ok()["files"].as_array().unwrap().len(), 1);
    }
    assert_eq!(tsa.queries(), 2);

    tsa.answer(TsaAnswer::Timestamp);
    let signed = confirm(&app, &o, &req, "246810").await;
    assert_eq!(signed.ok()["timestamped"], true, "{}", signed.body);
    let checked = checks(&app, &o, &doc).await;
    let item = &checked["items"][0];
    assert_eq!(item["valid"], true, "{checked}");
    // The authority's time, next to the signing time the PDF states.
    let time = |v: &Value| {
        v.as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
    };
    let stamped = time(&item["timestamp"]["time"]);
    let signed_at = time(&signed.body["signed_at"]);
    assert!(
        (stamped - signed_at).abs() < chrono::Duration::minutes(1),
        "{checked}"
    );
    assert!(
        item["timestamp"]["authority"]
            .as_str()
            .unwrap()
            .contains("Vanban Test TSA"),
        "{checked}"
    );

    // The seal at issuance is timestamped too.
    seal(&app, &o).await;
    let (_, clerk_password) = app.active_user(&o.admin, "vanthu.hoa", &["clerk"]).await;
    let clerk = app.login_ok("vanthu.hoa", &clerk_password, "desk").await;
    let issued = app
        .post(
            &format!("/api/v1/documents/{doc}/issue"),
            Some(&clerk.access),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(issued.ok()["timestamped"], true, "{}", issued.body);
    let checked = checks(&app, &o, &doc).await;
    let items = checked["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{checked}");
    assert!(
        items
            .iter()
            .all(|i| i["valid"] == true && i["timestamp"].is_object()),
        "{checked}"
    );

    // pyHanko, trusting the server's anchors (the signing CA and the authority's), finds the
    // timestamps valid and trusted.
    let issued_file = checked["file_id"].as_str().unwrap();
    let dir = app.world.data_dir.join("validation");
    std::fs::create_dir_all(&dir).unwrap();
    let anchors = app
        .get("/api/v1/signing/trust-anchors", &o.leader.1.access)
        .await;
    let anchors: Vec<&str> = anchors.ok()["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(anchors.len(), 2);
    let ca = dir.join("anchors.pem");
    std::fs::write(&ca, anchors.concat()).unwrap();
    let pdf = dir.join("issued.pdf");
    std::fs::write(
        &pdf,
        download(&app, &o.leader.1.access, &doc, issued_file).await,
    )
    .unwrap();
    timestamps_trusted_by_pyhanko(&dir, &ca, &pdf, 2);
}

/// pyHanko validates every signature of `pdf` and reports each timestamp valid and trusted.
fn timestamps_trusted_by_pyhanko(dir: &Path, ca: &Path, pdf: &Path, signatures: usize) {
    let (ok, report) = pyhanko(dir, ca, pdf);
    assert!(ok, "pyHanko: {report}");
    for says in [
        "The timestamp token is cryptographically sound.",
        "The TSA certificate is trusted.",
    ] {
        assert_eq!(
            report.matches(says).count(),
            signatures,
            "pyHanko: {report}"
        );
    }
}

async fn with_timestamps_optional_a_down_authority_gives_a_signature_without_one(db: Backend) {
    let tsa = FakeTsa::start().await;
    // Not trusted: the authority's CA is left out of the anchors.
    let app = spawn_app_with(
        db,
        &[
            ("DEV_CA", "true"),
            ("TSA_URL", &tsa.url),
            ("TSA_REQUIRED", "false"),
        ],
    )
    .await;
    let o = office(&app).await;
    provision(&app, &o).await;

    tsa.answer(TsaAnswer::Down);
    let (doc, task, file) = at_the_sign_step(&app, &o).await;
    let req = request(&app, &o, &task, &file).await;
    let signed = confirm(&app, &o, &req, "246810").await;
    assert_eq!(signed.ok()["timestamped"], false, "{}", signed.body);
    let checked = checks(&app, &o, &doc).await;
    assert_eq!(checked["items"][0]["valid"], true, "{checked}");
    assert!(checked["items"][0]["timestamp"].is_null(), "{checked}");

    // A timestamp from an authority nobody trusts is reported, and does not hold.
    tsa.answer(TsaAnswer::Timestamp);
    let (doc, task, file) = at_the_sign_step(&app, &o).await;
    let req = request(&app, &o, &task, &file).await;
    assert_eq!(
        confirm(&app, &o, &req, "246810").await.ok()["timestamped"],
        true
    );
    let checked = checks(&app, &o, &doc).await;
    let item = &checked["items"][0];
    assert_eq!(item["valid"], false, "{checked}");
    assert!(item["timestamp"]["time"].is_string(), "{checked}");
    assert_eq!(
        item["problems"][0]["code"], "timestamp_invalid",
        "{checked}"
    );
}
