//! The signing PIN as the boundary between a stolen login and a signature: the lock holds
//! against the login password and against thirty guesses at once, only an admin lifts it, and
//! the PIN authorises exactly the bytes the leader was shown.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::{
    helpers::{Backend, TestApp, on_both_databases, pdf, spawn_app_with},
    signing::{Office, at_the_sign_step, confirm, office, provision, request},
};

on_both_databases!(
    thirty_wrong_pins_at_once_get_five_tries_and_the_password_cannot_lift_the_lock,
    a_pin_is_changed_with_the_current_pin_never_with_the_password,
    a_confirm_signs_only_the_bytes_the_leader_was_shown,
    a_kept_answer_reveals_nothing_of_the_pin_it_was_for,
);

async fn set_pin(app: &TestApp, o: &Office, body: Value) -> crate::helpers::Reply {
    app.send(
        reqwest::Method::PUT,
        "/api/v1/me/signing-pin",
        Some(&o.leader.1.access),
        Some(body),
    )
    .await
}

/// The actions of the audit trail, in order.
async fn audited(app: &TestApp, o: &Office) -> Vec<String> {
    let mut actions = Vec::new();
    let mut page = "/api/v1/admin/audit?limit=100".to_owned();
    loop {
        let trail = app.get(&page, &o.admin.access).await;
        let body = trail.ok();
        for entry in body["items"].as_array().unwrap() {
            actions.push(entry["action"].as_str().unwrap().to_owned());
        }
        match body["next_cursor"].as_str() {
            Some(next) => page = format!("/api/v1/admin/audit?limit=100&cursor={next}"),
            None => return actions,
        }
    }
}

async fn thirty_wrong_pins_at_once_get_five_tries_and_the_password_cannot_lift_the_lock(
    db: Backend,
) {
    let app = spawn_app_with(db, &[("DEV_CA", "true")]).await;
    let o = office(&app).await;
    let (doc, task, file) = at_the_sign_step(&app, &o).await;
    provision(&app, &o).await;
    let req = request(&app, &o, &task, &file).await;

    let guesses = (0..30).map(|i| {
        let (app, o, req) = (&app, &o, &req);
        async move { confirm(app, o, req, &format!("{:06}", 100_000 + i)).await }
    });
    let mut answers: HashMap<String, usize> = HashMap::new();
    for reply in futures_util::future::join_all(guesses).await {
        let code = reply.body["code"].as_str().unwrap_or("none").to_owned();
        *answers.entry(code).or_default() += 1;
    }
    assert_eq!(answers.get("signing_pin_invalid"), Some(&5), "{answers:?}");
    assert_eq!(answers.get("signing_locked"), Some(&25), "{answers:?}");

    // Locked: the right PIN is refused, and the login password cannot set a new one.
    confirm(&app, &o, &req, "246810")
        .await
        .problem(403, "signing_locked");
    set_pin(
        &app,
        &o,
        json!({"current_password": o.leader_password, "pin": "135790"}),
    )
    .await
    .problem(403, "current_pin_required");
    set_pin(&app, &o, json!({"current_pin": "246810", "pin": "135790"}))
        .await
        .problem(403, "signing_locked");
    confirm(&app, &o, &req, "135790")
        .await
        .problem(403, "signing_locked");

    // An admin resets the PIN; the leader sets a new one with the password and signs.
    app.patch(
        &format!("/api/v1/admin/users/{}", o.leader.0),
        &o.admin.access,
        json!({"reset_signing_pin": true}),
    )
    .await
    .ok();
    confirm(&app, &o, &req, "246810")
        .await
        .problem(409, "signing_pin_not_set");
    set_pin(
        &app,
        &o,
        json!({"current_password": o.leader_password, "pin": "135790"}),
    )
    .await;
    confirm(&app, &o, &req, "135790").await.ok();
    let document = app
        .get(&format!("/api/v1/documents/{doc}"), &o.leader.1.access)
        .await;
    assert_eq!(document.ok()["state"], "signed");

    let actions = audited(&app, &o).await;
    let count = |a: &str| actions.iter().filter(|x| *x == a).count();
    assert_eq!(count("signing_pin_failed"), 4, "{actions:?}");
    assert_eq!(count("signing_locked"), 1, "{actions:?}");
    assert_eq!(count("signing_pin_reset"), 1, "{actions:?}");
    assert_eq!(count("signing_pin_set"), 2, "{actions:?}");
    assert_eq!(count("signing_key_provisioned"), 1, "{actions:?}");
    assert_eq!(count("signing_certificate_installed"), 1, "{actions:?}");
}

async fn a_pin_is_changed_with_the_current_pin_never_with_the_password(db: Backend) {
    let app = spawn_app_with(db, &[("DEV_CA", "true")]).await;
    let o = office(&app).await;
    let (_, task, file) = at_the_sign_step(&app, &o).await;
    provision(&app, &o).await;

    set_pin(&app, &o, json!({"pin": "135790"}))
        .await
        .problem(422, "validation_failed");
    set_pin(&app, &o, json!({"current_pin": "999999", "pin": "135790"}))
        .await
        .problem(403, "signing_pin_invalid");
    set_pin(&app, &o, json!({"current_pin": "246810", "pin": "135790"}))
        .await
        .ok();
    let req = request(&app, &o, &task, &file).await;
    confirm(&app, &o, &req, "246810")
        .await
        .problem(403, "signing_pin_invalid");
    confirm(&app, &o, &req, "135790").await.ok();
    let actions = audited(&app, &o).await;
    assert!(
        actions.iter().any(|a| a == "signing_pin_changed"),
        "{actions:?}"
    );
}

async fn a_confirm_signs_only_the_bytes_the_leader_was_shown(db: Backend) {
    let app = spawn_app_with(db, &[("DEV_CA", "true")]).await;
    let o = office(&app).await;
    let (doc, task, file) = at_the_sign_step(&app, &o).await;
    provision(&app, &o).await;

    // The app showed another digest: the PIN is not even checked.
    let req = request(&app, &o, &task, &file).await;
    let shown_elsewhere = json!({"id": req["id"], "digest": "00".repeat(32)});
    confirm(&app, &o, &shown_elsewhere, "246810")
        .await
        .problem(409, "signing_digest_mismatch");

    // The stored bytes changed behind the server's back: it re-hashes them and refuses.
    let digest = req["digest"].as_str().unwrap();
    let blob = app
        .stored_files()
        .into_iter()
        .find(|p| p.to_string_lossy().contains(digest))
        .expect("the pinned file is stored under its hash");
    std::fs::write(&blob, pdf("Noi dung da bi thay doi")).unwrap();
    confirm(&app, &o, &req, "246810")
        .await
        .problem(409, "signing_digest_mismatch");
    let document = app
        .get(&format!("/api/v1/documents/{doc}"), &o.leader.1.access)
        .await;
    assert_eq!(document.ok()["state"], "in_review");
    assert_eq!(document.ok()["files"].as_array().unwrap().len(), 1);
}

/// Runs `redis-cli` with `args` against the tests' Redis.
fn redis_cli(args: &[&str]) -> String {
    let out = std::process::Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "--raw"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

async fn a_kept_answer_reveals_nothing_of_the_pin_it_was_for(db: Backend) {
    use sha2::{Digest, Sha256};

    let app = spawn_app_with(db, &[("DEV_CA", "true")]).await;
    let o = office(&app).await;
    let key = "dat-ma-pin-7c1e";
    let body = serde_json::to_vec(&json!({"current_password": o.leader_password, "pin": "246810"}))
        .unwrap();
    let set = app
        .http
        .put(format!("{}/api/v1/me/signing-pin", app.base))
        .bearer_auth(&o.leader.1.access)
        .header("idempotency-key", key)
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 204);

    // Someone reading Redis (a backup, a shared instance) cannot test PIN guesses against what
    // is kept: neither the body's nor the key's plain hash is there.
    let pattern = format!("{}idem:*", app.world.redis_prefix);
    let kept = redis_cli(&["--scan", "--pattern", &pattern]);
    let kept: Vec<&str> = kept.lines().collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let value = redis_cli(&["get", kept[0]]);
    for secret in [
        hex::encode(Sha256::digest(&body)),
        hex::encode(Sha256::digest(key.as_bytes())),
        key.to_owned(),
        "246810".to_owned(),
    ] {
        assert!(
            !kept[0].contains(&secret) && !value.contains(&secret),
            "{secret} in {value}"
        );
    }
}
