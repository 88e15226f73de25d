//! Password guessing: every try is throttled, whatever the name and wherever the password is
//! entered, tries are reserved before they are checked, and a flood of logins is shed without
//! delaying a signature.

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use futures_util::{StreamExt, stream};
use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    audit::trail,
    helpers::{Backend, metric, on_both_databases, reply, spawn_app_with},
    signing::{at_the_sign_step, confirm, office, provision, request},
};

on_both_databases!(
    a_malformed_name_is_throttled_like_any_other,
    fifty_concurrent_guesses_check_only_the_allowed_tries,
    wrong_passwords_anywhere_count_toward_one_lock,
    a_login_flood_is_shed_and_a_signature_still_goes_through,
);

/// Sends `count` copies of one request at once; answers (status, code) in any order.
async fn at_once(count: usize, send: impl Fn() -> reqwest::RequestBuilder) -> Vec<(u16, String)> {
    let all = (0..count).map(|_| {
        let req = send();
        async move {
            let r = reply(req.send().await.unwrap()).await;
            (
                r.status.as_u16(),
                r.body["code"].as_str().unwrap_or("").to_owned(),
            )
        }
    });
    futures_util::future::join_all(all).await
}

fn count(answers: &[(u16, String)], status: u16, code: &str) -> usize {
    answers
        .iter()
        .filter(|(s, c)| *s == status && c == code)
        .count()
}

async fn a_malformed_name_is_throttled_like_any_other(db: Backend) {
    let app = spawn_app_with(db, &[("LOGIN_MAX_FAILURES", "3")]).await;
    for _ in 0..3 {
        app.login("x y z", "any-password-at-all", "phone")
            .await
            .problem(401, "invalid_credentials");
    }
    let locked = app.login("x y z", "any-password-at-all", "phone").await;
    locked.problem(429, "too_many_attempts");
    assert!(locked.headers.contains_key("retry-after"));
    // Spelled another way, it is the same name.
    app.login("  X  Y Z ", "any-password-at-all", "phone")
        .await
        .problem(429, "too_many_attempts");
    // Another name is not locked by it.
    app.login("a b c", "any-password-at-all", "phone")
        .await
        .problem(401, "invalid_credentials");
}

async fn fifty_concurrent_guesses_check_only_the_allowed_tries(db: Backend) {
    let app = spawn_app_with(db, &[("LOGIN_MAX_FAILURES", "5")]).await;
    let admin = app.admin().await;
    let (id, password) = app.active_user(&admin, "lanhdao.an", &["leader"]).await;
    let url = format!("{}/api/v1/auth/login", app.base);
    let answers = at_once(50, || {
        app.http.post(&url).json(&json!({
            "username": "lanhdao.an", "password": "a-wrong-guess-2026",
            "device": {"device_id": "stolen", "platform": "android", "name": "x",
                       "app_version": "1.0.0"},
        }))
    })
    .await;
    assert_eq!(
        count(&answers, 401, "invalid_credentials"),
        5,
        "{answers:?}"
    );
    assert_eq!(count(&answers, 429, "too_many_attempts"), 45, "{answers:?}");
    // The audit trail saw exactly the five guesses that were checked.
    let checked = trail(&app, &admin, "")
        .await
        .iter()
        .filter(|e| e["action"] == "login_failed" && e["subject_id"] == id.as_str())
        .count();
    assert_eq!(checked, 5);
    // Locked now, even for the right password.
    app.login("lanhdao.an", &password, "phone")
        .await
        .problem(429, "too_many_attempts");
}

async fn wrong_passwords_anywhere_count_toward_one_lock(db: Backend) {
    let app = spawn_app_with(db, &[("LOGIN_MAX_FAILURES", "5")]).await;
    let admin = app.admin().await;
    let (_, password) = app.active_user(&admin, "lanhdao.an", &["leader"]).await;
    let stolen = app.login_ok("lanhdao.an", &password, "stolen-phone").await;
    // A stolen session tries the signing PIN form as a password oracle, 20 at once.
    let url = format!("{}/api/v1/me/signing-pin", app.base);
    let answers = at_once(20, || {
        app.http
            .put(&url)
            .bearer_auth(&stolen.access)
            .json(&json!({"current_password": "a-wrong-guess-2026", "pin": "135790"}))
    })
    .await;
    assert_eq!(
        count(&answers, 403, "current_password_incorrect"),
        5,
        "{answers:?}"
    );
    assert_eq!(count(&answers, 429, "too_many_attempts"), 15, "{answers:?}");
    // The same lock holds for the password change and for logins, right password or not.
    let change = json!({"current_password": password, "new_password": "attacker-chosen-2026"});
    app.post("/api/v1/auth/password", Some(&stolen.access), change)
        .await
        .problem(429, "too_many_attempts");
    let pin = json!({"current_password": password, "pin": "135790"});
    app.send(
        Method::PUT,
        "/api/v1/me/signing-pin",
        Some(&stolen.access),
        Some(pin),
    )
    .await
    .problem(429, "too_many_attempts");
    app.login("lanhdao.an", &password, "phone")
        .await
        .problem(429, "too_many_attempts");
}

async fn a_login_flood_is_shed_and_a_signature_still_goes_through(db: Backend) {
    const FLOOD: usize = 2000;
    let app = spawn_app_with(
        db,
        &[
            ("DEV_CA", "true"),
            ("PASSWORD_QUEUE_MAX", "4"),
            // Every flood login is checked: only the hashing queue stands in its way.
            ("LOGIN_IP_MAX_FAILURES", "1000000"),
        ],
    )
    .await;
    let o = office(&app).await;
    let (_, quiet_task, quiet_file) = at_the_sign_step(&app, &o).await;
    let (_, task, file) = at_the_sign_step(&app, &o).await;
    provision(&app, &o).await;
    let (app, o) = (&app, &o);
    let timed = |req: Value| async move {
        let started = Instant::now();
        assert!(confirm(app, o, &req, "246810").await.ok()["signature_id"].is_string());
        started.elapsed()
    };
    // The same signature on a quiet server, for comparison on this machine as loaded now.
    let quiet = request(app, o, &quiet_task, &quiet_file).await;
    let quiet = timed(quiet).await;
    let signing = request(app, o, &task, &file).await;

    let answered = Arc::new(AtomicUsize::new(0));
    let flood = {
        let (http, url, answered) = (
            app.http.clone(),
            format!("{}/api/v1/auth/login", app.base),
            answered.clone(),
        );
        tokio::spawn(async move {
            stream::iter(0..FLOOD)
                .map(|i| {
                    let req = http.post(&url).json(&json!({
                        "username": format!("x y z {i}"), "password": "flood",
                        "device": {"device_id": "bot", "platform": "android", "name": "bot",
                                   "app_version": "1.0.0"},
                    }));
                    let answered = answered.clone();
                    async move {
                        let r = reply(req.send().await.unwrap()).await;
                        answered.fetch_add(1, Ordering::Relaxed);
                        let retry_after = r.headers.contains_key("retry-after");
                        let code = r.body["code"].as_str().unwrap_or("").to_owned();
                        (r.status.as_u16(), code, retry_after)
                    }
                })
                .buffer_unordered(64)
                .collect::<Vec<_>>()
                .await
        })
    };
    while answered.load(Ordering::Relaxed) < 100 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let took = timed(signing).await;
    let during_the_flood = answered.load(Ordering::Relaxed) < FLOOD;
    let flood = flood.await.unwrap();

    assert!(during_the_flood, "the flood was over before the signature");
    // How long the PIN waited for a hashing worker, as the server measured it: the whole
    // confirm also waits for the cores the flood and this machine's other work are using.
    let metrics = app.metrics().await;
    let figure = |name: &str| metric(&metrics, name).unwrap_or_else(|| panic!("no {name}"));
    let pin_checks = figure("password_queue_wait_seconds_count{lane=\"pin\"}");
    let within_a_second = figure("password_queue_wait_seconds_bucket{lane=\"pin\",le=\"1\"}");
    assert_eq!(
        pin_checks, 2.0,
        "the quiet PIN check and the one in the flood"
    );
    assert_eq!(
        within_a_second, pin_checks,
        "a PIN check waited over a second (confirm took {took:?} in the flood, {quiet:?} without)"
    );
    // The flood was shed with a clear answer, never a failure.
    let busy = flood
        .iter()
        .filter(|(s, c, retry)| *s == 503 && c == "busy" && *retry)
        .count();
    let refused = flood
        .iter()
        .filter(|(s, c, _)| *s == 401 && c == "invalid_credentials")
        .count();
    assert!(busy > 0, "no login was shed");
    assert_eq!(busy + refused, FLOOD, "other answers: {:?}", {
        let mut other: Vec<_> = flood
            .iter()
            .filter(|(s, _, _)| *s != 503 && *s != 401)
            .collect();
        other.truncate(5);
        other
    });
}
