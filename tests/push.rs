//! Push notifications from the outbox to a local fake of Google: to every live device and no
//! revoked one, through a crash, retries, dead tokens and two instances sharing the outbox.

use std::{collections::HashSet, time::Duration};

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    fake_fcm::{Answer, FakeFcm},
    helpers::{Backend, TestApp, Tokens, metric, on_both_databases, pdf, spawn_app_with},
};

on_both_databases!(
    a_submission_pushes_to_each_live_device_of_the_reviewer,
    a_push_queued_before_a_crash_is_delivered_after_restart,
    fcm_unavailable_twice_then_the_push_goes_out_once,
    an_unregistered_token_is_cleared_from_the_device,
    two_instances_deliver_every_push_exactly_once,
    deadline_reminders_fire_once_per_task,
    whoever_assigned_a_task_may_urge_it_now_and_then,
    the_summary_goes_only_where_the_organisation_opted_in,
    a_push_is_given_up_after_the_last_attempt,
    a_push_token_belongs_to_the_session_that_registered_it_last,
);

/// Fast pacing, so retries and polls happen within a test's patience.
const PACE: &[(&str, &str)] = &[
    ("PUSH_RETRY_BASE_MS", "200"),
    ("PUSH_POLL_MS", "100"),
    ("PUSH_LEASE_SECONDS", "2"),
];

async fn spawn(db: Backend, fcm: &FakeFcm, extra: &[(&str, &str)]) -> TestApp {
    let fcm_env = fcm.env();
    let mut env: Vec<(&str, &str)> = fcm_env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    env.extend_from_slice(PACE);
    env.extend_from_slice(extra);
    spawn_app_with(db, &env).await
}

struct Office {
    author: Tokens,
    reviewer: String,
    reviewer_password: String,
}

async fn office(app: &TestApp) -> Office {
    let admin = app.admin().await;
    let (_, author_password) = app
        .active_user(&admin, "chuyenvien.binh", &["specialist"])
        .await;
    let (reviewer, reviewer_password) = app.active_user(&admin, "lanhdao.an", &["leader"]).await;
    Office {
        author: app
            .login_ok("chuyenvien.binh", &author_password, "author-phone")
            .await,
        reviewer,
        reviewer_password,
    }
}

/// Logs the reviewer in on a device that registered `push_token`.
async fn device(app: &TestApp, o: &Office, device_id: &str, push_token: &str) -> Tokens {
    device_in(app, o, device_id, push_token, "vi").await
}

async fn device_in(
    app: &TestApp,
    o: &Office,
    device_id: &str,
    push_token: &str,
    locale: &str,
) -> Tokens {
    let reply = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({
                "username": "lanhdao.an", "password": o.reviewer_password,
                "device": {"device_id": device_id, "platform": "android", "name": device_id,
                           "app_version": "1.0.0", "push_token": push_token, "locale": locale},
            }),
        )
        .await;
    Tokens::from_json(reply.ok())
}

/// Drafts a document and submits it to the reviewer; returns the document id.
async fn submit(app: &TestApp, o: &Office, urgency: &str) -> String {
    submit_due(app, o, urgency, None).await
}

async fn submit_due(app: &TestApp, o: &Office, urgency: &str, deadline: Option<String>) -> String {
    let metadata = json!({
        "direction": "outgoing", "doc_type": "TTr", "urgency": urgency,
        "confidentiality": "none", "summary": "Tờ trình về kế hoạch năm 2027",
    });
    let created = app
        .upload(
            &o.author.access,
            metadata,
            vec![("du-thao.pdf", pdf("Du thao"))],
        )
        .await;
    let doc = created.ok()["id"].as_str().unwrap().to_owned();
    app.post(
        &format!("/api/v1/documents/{doc}/submit"),
        Some(&o.author.access),
        json!({"steps": [{"user_id": o.reviewer, "action": "review"}], "deadline": deadline}),
    )
    .await
    .ok();
    doc
}

fn tokens(accepted: &[Value]) -> Vec<String> {
    let mut t: Vec<String> = accepted
        .iter()
        .map(|m| m["token"].as_str().unwrap().to_owned())
        .collect();
    t.sort();
    t
}

/// Waits (bounded) until the server's counter `name` reaches `at_least`.
async fn wait_for_metric(app: &TestApp, name: &str, at_least: u64) {
    for _ in 0..200 {
        let value = metric(&app.metrics().await, name);
        if value.is_some_and(|v| v >= at_least as f64) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the metric {name} never reached {at_least}");
}

async fn a_submission_pushes_to_each_live_device_of_the_reviewer(db: Backend) {
    let fcm = FakeFcm::start().await;
    let app = spawn(db, &fcm, &[]).await;
    let o = office(&app).await;
    let phone = device(&app, &o, "phone", "token-phone").await;
    device(&app, &o, "tablet", "token-tablet").await;
    let old = device(&app, &o, "old-phone", "token-old").await;
    let gone = device(&app, &o, "lost-phone", "token-lost").await;
    app.delete(
        &format!("/api/v1/me/sessions/{}", old.session_id),
        &phone.access,
    )
    .await;

    // Google is down when the document is submitted: the pushes wait in the outbox.
    fcm.answer_by_default(Answer::Unavailable);
    let doc = submit(&app, &o, "flash").await;
    for _ in 0..200 {
        if fcm.sends() >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(fcm.sends() >= 3, "each queued push was tried");
    // A device logged out while its push was queued gets nothing.
    app.delete(
        &format!("/api/v1/me/sessions/{}", gone.session_id),
        &phone.access,
    )
    .await;
    fcm.answer_by_default(Answer::Accept);

    let accepted = fcm.wait_for("both live devices", |a| a.len() >= 2).await;
    wait_for_metric(&app, "push_dropped_total", 1).await;
    let accepted_now = fcm.accepted();
    assert_eq!(accepted_now.len(), 2, "{accepted_now:#?}");
    assert_eq!(tokens(&accepted), ["token-phone", "token-tablet"]);
    let m = &accepted[0];
    assert_eq!(m["data"]["type"], "review_requested");
    assert_eq!(m["data"]["document_id"], doc.as_str());
    assert!(m["data"]["task_id"].is_string());
    assert_eq!(m["android"]["priority"], "HIGH");
    assert_eq!(m["apns"]["headers"]["apns-priority"], "10");
    assert_eq!(m["apns"]["payload"]["aps"]["badge"], 1);
    // The summary is not sent unless the organisation opted in.
    assert!(!m.to_string().contains("Tờ trình"));
    assert_eq!(fcm.tokens_issued(), 1, "the access token is cached");
}

async fn a_push_queued_before_a_crash_is_delivered_after_restart(db: Backend) {
    let fcm = FakeFcm::start().await;
    let mut app = spawn(db, &fcm, &[]).await;
    let o = office(&app).await;
    device(&app, &o, "phone", "token-phone").await;
    fcm.answer_by_default(Answer::Hang);
    submit(&app, &o, "normal").await;
    for _ in 0..200 {
        if fcm.sends() >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(fcm.sends(), 1, "the push was on its way");
    app.kill();
    fcm.answer_by_default(Answer::Accept);

    let restarted = app.second_instance();
    let accepted = fcm
        .wait_for("the push after restart", |a| !a.is_empty())
        .await;
    assert_eq!(tokens(&accepted), ["token-phone"]);
    wait_for_metric(&restarted, "push_sent_total", 1).await;
    assert_eq!(fcm.accepted().len(), 1);
}

async fn fcm_unavailable_twice_then_the_push_goes_out_once(db: Backend) {
    let fcm = FakeFcm::start().await;
    let app = spawn(db, &fcm, &[]).await;
    let o = office(&app).await;
    device(&app, &o, "phone", "token-phone").await;
    fcm.script(&[Answer::Unavailable, Answer::TooMany(1)]);
    submit(&app, &o, "normal").await;
    fcm.wait_for("the push", |a| !a.is_empty()).await;
    wait_for_metric(&app, "push_sent_total", 1).await;
    wait_for_metric(&app, "push_retried_total", 2).await;
    assert_eq!(fcm.sends(), 3);
    assert_eq!(fcm.accepted().len(), 1);
}

async fn an_unregistered_token_is_cleared_from_the_device(db: Backend) {
    let fcm = FakeFcm::start().await;
    let app = spawn(db, &fcm, &[]).await;
    let o = office(&app).await;
    let phone = device(&app, &o, "phone", "token-uninstalled").await;
    fcm.unregister("token-uninstalled");
    submit(&app, &o, "normal").await;
    for _ in 0..200 {
        let sessions = app.get("/api/v1/me/sessions", &phone.access).await;
        let items = sessions.ok()["items"].as_array().unwrap().clone();
        let this = items
            .iter()
            .find(|s| s["id"] == phone.session_id.as_str())
            .unwrap();
        if this["push_enabled"] == false {
            wait_for_metric(&app, "push_dead_tokens_total", 1).await;
            assert!(fcm.accepted().is_empty());
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the dead token was never cleared");
}

/// Whether the session `id` of the caller's account still has a push token.
async fn push_enabled(app: &TestApp, tokens: &Tokens, id: &str) -> bool {
    let sessions = app.get("/api/v1/me/sessions", &tokens.access).await;
    let items = sessions.ok()["items"].as_array().unwrap().clone();
    let this = items.iter().find(|s| s["id"] == id).unwrap();
    this["push_enabled"].as_bool().unwrap()
}

async fn a_push_token_belongs_to_the_session_that_registered_it_last(db: Backend) {
    let fcm = FakeFcm::start().await;
    let app = spawn(db, &fcm, &[]).await;
    let o = office(&app).await;
    // The app reinstalled: a new device id, the phone's same push token.
    let before = device(&app, &o, "phone-before", "token-phone").await;
    let after = device(&app, &o, "phone-after", "token-phone").await;
    assert!(!push_enabled(&app, &after, &before.session_id).await);
    assert!(push_enabled(&app, &after, &after.session_id).await);

    // A tablet handed over to a colleague: their session takes its token.
    let tablet = device(&app, &o, "tablet", "token-tablet").await;
    let registered = app
        .send(
            Method::PUT,
            "/api/v1/me/push-token",
            Some(&o.author.access),
            Some(json!({"push_token": "token-tablet"})),
        )
        .await;
    assert_eq!(registered.status, 204);
    assert!(!push_enabled(&app, &tablet, &tablet.session_id).await);

    submit(&app, &o, "normal").await;
    assert_eq!(
        metric(&app.metrics().await, "push_queued_total"),
        Some(1.0),
        "one push for the one device holding the token"
    );
    fcm.wait_for("the reviewer's phone", |a| !a.is_empty())
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(tokens(&fcm.accepted()), ["token-phone"]);
}

async fn two_instances_deliver_every_push_exactly_once(db: Backend) {
    let fcm = FakeFcm::start().await;
    // Small batches and slow answers, so both instances take part.
    let first = spawn(db, &fcm, &[("PUSH_CONCURRENCY", "1")]).await;
    let second = first.second_instance();
    let o = office(&first).await;
    let devices = 6;
    for i in 0..devices {
        device(&first, &o, &format!("device-{i}"), &format!("token-{i}")).await;
    }
    fcm.answer_by_default(Answer::Slow(30));
    let documents = 3;
    for i in 0..documents {
        let app = if i % 2 == 0 { &first } else { &second };
        submit(app, &o, "normal").await;
    }
    let expected = devices * documents;
    let accepted = fcm.wait_for("every push", |a| a.len() >= expected).await;
    let distinct: HashSet<(String, String)> = accepted
        .iter()
        .map(|m| {
            (
                m["token"].as_str().unwrap().to_owned(),
                m["data"]["task_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(distinct.len(), expected, "no push twice: {accepted:#?}");
    // Let any stray duplicate arrive before the final count.
    wait_for_metric(&first, "push_sent_total", 1).await;
    wait_for_metric(&second, "push_sent_total", 1).await;
    assert_eq!(fcm.accepted().len(), expected);
}

async fn deadline_reminders_fire_once_per_task(db: Backend) {
    let fcm = FakeFcm::start().await;
    let reminders = [
        ("DEADLINE_REMINDER_LEAD_SECONDS", "3600"),
        ("REMINDER_SCAN_MS", "200"),
    ];
    let app = spawn(db, &fcm, &reminders).await;
    let o = office(&app).await;
    device(&app, &o, "phone", "token-phone").await;
    let deadline = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now())
        + chrono::Duration::seconds(6);
    submit_due(&app, &o, "normal", Some(deadline.to_rfc3339())).await;
    let kinds = |a: &[Value]| -> Vec<String> {
        let mut k: Vec<String> = a
            .iter()
            .map(|m| m["data"]["type"].as_str().unwrap().to_owned())
            .collect();
        k.sort();
        k
    };
    fcm.wait_for("the request, then both reminders", |a| a.len() >= 3)
        .await;
    // Another instance, and more scans on both, add nothing.
    let second = app.second_instance();
    wait_for_metric(&second, "push_reminder_scans_total", 3).await;
    wait_for_metric(&app, "push_reminder_scans_total", 30).await;
    assert_eq!(
        kinds(&fcm.accepted()),
        ["deadline_soon", "overdue", "review_requested"]
    );
}

async fn whoever_assigned_a_task_may_urge_it_now_and_then(db: Backend) {
    let fcm = FakeFcm::start().await;
    let app = spawn(db, &fcm, &[]).await;
    let o = office(&app).await;
    let phone = device(&app, &o, "phone", "token-phone").await;
    let doc = submit(&app, &o, "normal").await;
    fcm.wait_for("the review request", |a| a.len() == 1).await;
    let inbox = app.get("/api/v1/inbox", &phone.access).await;
    let task = inbox.ok()["items"][0]["task"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/tasks/{task}/urge");

    app.post(&path, Some(&phone.access), json!({}))
        .await
        .problem(403, "not_the_assigner");
    let urged = app.post(&path, Some(&o.author.access), json!({})).await;
    assert_eq!(urged.status, 202, "{}", urged.body);
    assert_eq!(urged.body["devices"], 1);
    let accepted = fcm.wait_for("the reminder", |a| a.len() == 2).await;
    assert_eq!(accepted[1]["data"]["type"], "deadline_soon");
    assert_eq!(accepted[1]["data"]["task_id"], task.as_str());
    assert_eq!(accepted[1]["data"]["document_id"], doc.as_str());

    let again = app.post(&path, Some(&o.author.access), json!({})).await;
    again.problem(429, "urged_too_soon");
    assert!(again.headers.contains_key("retry-after"));

    let admin = app.admin().await;
    let trail = app
        .get(
            &format!("/api/v1/admin/audit?limit=100&document_id={doc}"),
            &admin.access,
        )
        .await;
    let urges: Vec<&Value> = trail.ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "task_urged")
        .collect();
    assert_eq!(urges.len(), 1, "{}", trail.body);
}

async fn the_summary_goes_only_where_the_organisation_opted_in(db: Backend) {
    let fcm = FakeFcm::start().await;
    let app = spawn(db, &fcm, &[]).await;
    let o = office(&app).await;
    device_in(&app, &o, "phone", "token-phone", "en").await;
    let admin = app.admin().await;
    let org = app.admin_org(&admin).await;
    let updated = app
        .patch(
            &format!("/api/v1/admin/organizations/{org}"),
            &admin.access,
            json!({"push_summary": true}),
        )
        .await;
    assert_eq!(updated.ok()["push_summary"], true);
    submit(&app, &o, "normal").await;
    let accepted = fcm.wait_for("the push", |a| a.len() == 1).await;
    let notification = &accepted[0]["notification"];
    assert_eq!(
        notification["title"],
        "A document is waiting for your review"
    );
    assert_eq!(notification["body"], "Tờ trình về kế hoạch năm 2027");
}

async fn a_push_is_given_up_after_the_last_attempt(db: Backend) {
    let fcm = FakeFcm::start().await;
    let app = spawn(db, &fcm, &[("PUSH_MAX_ATTEMPTS", "3")]).await;
    let o = office(&app).await;
    device(&app, &o, "phone", "token-phone").await;
    fcm.answer_by_default(Answer::Unavailable);
    submit(&app, &o, "normal").await;
    wait_for_metric(&app, "push_given_up_total", 1).await;
    app.logs_through("push given up").await;
    assert_eq!(fcm.sends(), 3);
    assert!(fcm.accepted().is_empty());
}

/// Not a test: `scripts/bench-push` runs it on a release build. Queues 10,000 pushes at once
/// (straight into the outbox, as a burst of workflow changes would) to 100 live devices and
/// reports how fast one instance drains them to the local fake and how long each waited.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a benchmark: run by scripts/bench-push"]
async fn bench_drain_10000_pushes() {
    let total: usize = std::env::var("BENCH_PUSHES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10_000);
    let fcm = FakeFcm::start().await;
    let app = spawn(Backend::Postgres, &fcm, &[("PUSH_POLL_MS", "50")]).await;
    let o = office(&app).await;
    let mut sessions = Vec::new();
    for i in 0..100 {
        let t = device(&app, &o, &format!("device-{i}"), &format!("token-{i}")).await;
        sessions.push(format!("'{}'::uuid", t.session_id));
    }
    let doc = submit(&app, &o, "normal").await;
    let first = fcm.wait_for("the warm-up pushes", |a| a.len() == 100).await;
    let mut message = first[0].clone();
    message.as_object_mut().unwrap().remove("token");
    let database = app
        .world
        .database_url
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let sql = format!(
        "INSERT INTO push_outbox (id, user_id, session_id, kind, document_id, task_id, message, \
         status, attempts, due_at, created_at) \
         SELECT gen_random_uuid(), '{user}', (ARRAY[{sessions}])[1 + i % 100], \
         'review_requested', '{doc}', gen_random_uuid(), '{message}', 'queued', 0, now(), now() \
         FROM generate_series(1, {total}) i",
        user = o.reviewer,
        sessions = sessions.join(","),
        message = message.to_string().replace('\'', "''"),
    );
    let queued = std::time::SystemTime::now();
    let status = std::process::Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            &database,
            "-qAtc",
            &sql,
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let mut done = false;
    for _ in 0..1200 {
        if fcm.accepted().len() >= 100 + total {
            done = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        done,
        "only {} of {total} delivered",
        fcm.accepted().len() - 100
    );
    let mut waited: Vec<f64> = fcm.accepted_at()[100..]
        .iter()
        .map(|t| t.duration_since(queued).unwrap_or_default().as_secs_f64())
        .collect();
    waited.sort_by(f64::total_cmp);
    let last = waited[waited.len() - 1];
    let pct = |p: f64| waited[((waited.len() as f64 * p) as usize).min(waited.len() - 1)];
    println!(
        "BENCH pushes={total} seconds={last:.2} rate={:.0}/s p50={:.0}ms p99={:.0}ms",
        total as f64 / last,
        pct(0.50) * 1000.0,
        pct(0.99) * 1000.0
    );
    assert_eq!(fcm.accepted().len(), 100 + total, "no push twice");
}

/// Not a test: `scripts/bench-push` runs it on a release build with the server's default push
/// settings. Outside a burst: 100 drafts submitted at 10 a second, each a push to the
/// reviewer's one phone; reports how long each took from the submission's request to the fake
/// FCM's answer (the worker is woken at commit, so this is the push's own cost).
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a benchmark: run by scripts/bench-push"]
async fn bench_push_latency_at_10_per_second() {
    const SUBMISSIONS: usize = 100;
    const EVERY: Duration = Duration::from_millis(100);
    let fcm = FakeFcm::start().await;
    let env = fcm.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = spawn_app_with(Backend::Postgres, &env).await;
    let o = office(&app).await;
    device(&app, &o, "phone", "token-phone").await;
    let metadata = json!({
        "direction": "outgoing", "doc_type": "TTr", "urgency": "normal",
        "confidentiality": "none", "summary": "Tờ trình về kế hoạch năm 2027",
    });
    let mut drafts = Vec::with_capacity(SUBMISSIONS);
    for _ in 0..SUBMISSIONS {
        let created = app
            .upload(
                &o.author.access,
                metadata.clone(),
                vec![("du-thao.pdf", pdf("Du thao"))],
            )
            .await;
        drafts.push(created.ok()["id"].as_str().unwrap().to_owned());
    }
    let mut submitted = std::collections::HashMap::new();
    let mut tick = tokio::time::interval(EVERY);
    for doc in &drafts {
        tick.tick().await;
        submitted.insert(doc.clone(), std::time::SystemTime::now());
        // Each takes well under the 100 ms between two; one running late shows in p99.
        app.post(
            &format!("/api/v1/documents/{doc}/submit"),
            Some(&o.author.access),
            json!({"steps": [{"user_id": o.reviewer, "action": "review"}]}),
        )
        .await
        .ok();
    }
    fcm.wait_for("every push", |a| a.len() == SUBMISSIONS).await;
    let mut waited: Vec<f64> = fcm
        .accepted()
        .iter()
        .zip(fcm.accepted_at())
        .map(|(m, at)| {
            let doc = m["data"]["document_id"].as_str().unwrap();
            at.duration_since(submitted[doc])
                .unwrap_or_default()
                .as_secs_f64()
                * 1000.0
        })
        .collect();
    waited.sort_by(f64::total_cmp);
    let pct = |p: f64| waited[((waited.len() as f64 * p) as usize).min(waited.len() - 1)];
    println!(
        "BENCH steady submissions={SUBMISSIONS} per_second=10 p50={:.1}ms p99={:.1}ms max={:.1}ms",
        pct(0.50),
        pct(0.99),
        waited[waited.len() - 1]
    );
}
