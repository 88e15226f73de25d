//! The exchange axis as transport: the VDXP client's signed calls against the local double,
//! the directory of agencies synced from it, the exchange outbox and the poller.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{
    fake_axis::{self, Answer, FakeAxis},
    helpers::{Backend, TestApp, metric, on_both_databases, spawn_agency},
};

on_both_databases!(
    the_directory_is_synced_from_the_axis_and_found_by_name_or_code,
    calls_signed_with_the_wrong_secret_are_refused_and_change_nothing,
    a_queued_message_reaches_the_axis_once_through_outages_and_crashes,
    waiting_messages_are_fetched_once_and_acknowledged,
);

const A52: &str = "000.00.00.A52";

async fn agency(db: Backend, code: &str, env: &[(String, String)]) -> TestApp {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    spawn_agency(db, code, "TU", "party", &env).await
}

fn codes(page: &Value) -> Vec<&str> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap())
        .collect()
}

/// Waits (bounded) for the directory synced at start to list `code`.
async fn wait_listed(app: &TestApp, token: &str, code: &str) {
    for _ in 0..200 {
        let page = app.get(&format!("/api/v1/agencies?q={code}"), token).await;
        if codes(page.ok()).contains(&code) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the directory never listed {code}");
}

async fn the_directory_is_synced_from_the_axis_and_found_by_name_or_code(db: Backend) {
    let axis = FakeAxis::start().await;
    axis.set_agencies(&[
        ("000.00.00.G22", "Văn phòng Chính phủ", ""),
        ("000.00.00.H41", "Ủy ban nhân dân tỉnh Nghệ An", ""),
        (
            "000.01.00.H41",
            "Sở Tài chính tỉnh Nghệ An",
            "000.00.00.H41",
        ),
        (A52, "Tỉnh ủy Thử nghiệm", ""),
    ]);
    let account = axis.join(A52);
    let app = agency(db, A52, &axis.env(&account)).await;
    let admin = app.admin().await;
    let own = app.admin_org(&admin).await;
    wait_listed(&app, &admin.access, "000.01.00.H41").await;

    // By name without diacritics, in name order; by the start of a code.
    let page = app.get("/api/v1/agencies?q=nghe%20an", &admin.access).await;
    assert_eq!(codes(page.ok()), ["000.01.00.H41", "000.00.00.H41"]);
    assert_eq!(page.body["items"][0]["name"], "Sở Tài chính tỉnh Nghệ An");
    assert_eq!(page.body["items"][0]["parent_code"], "000.00.00.H41");
    assert!(page.body["items"][0].get("organization_id").is_none());
    let page = app
        .get("/api/v1/agencies?q=000.00.00.g", &admin.access)
        .await;
    assert_eq!(codes(page.ok()), ["000.00.00.G22"]);
    // This server's own organisation is listed once, with its id: it is delivered here.
    let page = app
        .get("/api/v1/agencies?q=thu%20nghiem", &admin.access)
        .await;
    assert_eq!(codes(page.ok()), [A52]);
    assert_eq!(page.body["items"][0]["organization_id"], own.as_str());
    // Paged: two pages of one, then the end.
    let first = app
        .get("/api/v1/agencies?q=nghe%20an&limit=1", &admin.access)
        .await;
    assert_eq!(codes(first.ok()), ["000.01.00.H41"]);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let second = app
        .get(
            &format!("/api/v1/agencies?q=nghe%20an&limit=1&cursor={cursor}"),
            &admin.access,
        )
        .await;
    assert_eq!(codes(second.ok()), ["000.00.00.H41"]);

    // The axis renames one, drops one, adds one: an admin syncs now.
    axis.set_agencies(&[
        ("000.00.00.G22", "Văn phòng Chính phủ", ""),
        ("000.00.00.H41", "UBND tỉnh Nghệ An", ""),
        ("000.00.00.H40", "Ủy ban nhân dân tỉnh Thanh Hóa", ""),
        (A52, "Tỉnh ủy Thử nghiệm", ""),
    ]);
    let synced = app
        .post(
            "/api/v1/admin/agencies/sync",
            Some(&admin.access),
            json!({}),
        )
        .await;
    assert_eq!(
        synced.ok(),
        &json!({"added": 1, "updated": 1, "removed": 1, "total": 4})
    );
    let page = app.get("/api/v1/agencies?q=ubnd", &admin.access).await;
    assert_eq!(codes(page.ok()), ["000.00.00.H41"]);
    let page = app
        .get("/api/v1/agencies?q=tai%20chinh", &admin.access)
        .await;
    assert_eq!(codes(page.ok()), Vec::<&str>::new());

    // Clerks search it too; others may not, and only admins sync.
    let (_, pw) = app.active_user(&admin, "van.thu", &["clerk"]).await;
    let clerk = app.login_ok("van.thu", &pw, "clerk-phone").await;
    let page = app
        .get("/api/v1/agencies?q=thanh%20hoa", &clerk.access)
        .await;
    assert_eq!(codes(page.ok()), ["000.00.00.H40"]);
    app.post(
        "/api/v1/admin/agencies/sync",
        Some(&clerk.access),
        json!({}),
    )
    .await
    .problem(403, "forbidden");
    let (_, pw) = app.active_user(&admin, "lanh.dao", &["leader"]).await;
    let leader = app.login_ok("lanh.dao", &pw, "leader-phone").await;
    app.get("/api/v1/agencies", &leader.access)
        .await
        .problem(403, "forbidden");
    assert_eq!(axis.refused(), 0);
}

async fn calls_signed_with_the_wrong_secret_are_refused_and_change_nothing(db: Backend) {
    let axis = FakeAxis::start().await;
    axis.set_agencies(&[("000.00.00.G22", "Văn phòng Chính phủ", "")]);
    let mut account = axis.join(A52);
    let secret = std::mem::replace(&mut account.secret, "not-the-secret".to_owned());
    let app = agency(db, A52, &axis.env(&account)).await;
    let admin = app.admin().await;
    let synced = app
        .post(
            "/api/v1/admin/agencies/sync",
            Some(&admin.access),
            json!({}),
        )
        .await;
    synced.problem(502, "axis_refused");
    assert!(axis.refused() >= 1);
    assert_eq!(axis.calls("getAgenciesList"), 0);
    let page = app
        .get("/api/v1/agencies?q=chinh%20phu", &admin.access)
        .await;
    assert_eq!(codes(page.ok()), Vec::<&str>::new());

    // The double itself: the right secret passes, a forged hash or another system's id not.
    let http = crate::helpers::http_client();
    let url = format!("{}/getAgenciesList", axis.base);
    let call = |headers: Vec<(String, String)>| {
        let mut req = http.post(&url);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req.send()
    };
    let ok = call(fake_axis::sign(&account.system_id, &secret, &[]))
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let forged = call(fake_axis::sign(&account.system_id, "guess", &[]))
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    let body: Value = forged.json().await.unwrap();
    assert_eq!(body["status"], "FAIL");
    let stranger = call(fake_axis::sign("sys-unknown", &secret, &[]))
        .await
        .unwrap();
    assert_eq!(stranger.status(), 401);
    // A signed value changed on the way.
    let mut tampered = fake_axis::sign(&account.system_id, &secret, &[("docId", "1")]);
    for (k, v) in &mut tampered {
        if k == "XroadVnpt-docId" {
            *v = "2".to_owned();
        }
    }
    assert_eq!(call(tampered).await.unwrap().status(), 401);
}

const H41: &str = "000.00.00.H41";

/// The hand-written samples of EXCHANGE.md: a new document from H41 to A52, and A52's
/// "registered" status about one of H41's.
pub(crate) fn sample(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/api/src/domain/exchange/samples/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(path).unwrap()
}

/// `api exchange-send`, as an operator runs it beside the server: the message is queued in
/// the outbox the server sends from.
fn queue(app: &TestApp, env: &[(String, String)], bytes: &[u8], to: &str) {
    let file = app
        .world
        .data_dir
        .join(format!("{}.edxml", uuid::Uuid::new_v4()));
    std::fs::write(&file, bytes).unwrap();
    let out = app
        .world
        .command(&[
            "exchange-send",
            "--file",
            file.to_str().unwrap(),
            "--to",
            to,
        ])
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "exchange-send failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn wait_calls(axis: &FakeAxis, call: &str, n: usize) {
    for _ in 0..200 {
        if axis.calls(call) >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the axis saw {} {call} calls, not {n}", axis.calls(call));
}

async fn a_queued_message_reaches_the_axis_once_through_outages_and_crashes(db: Backend) {
    let axis = FakeAxis::start().await;
    let account = axis.join(A52);
    let mut env = axis.env(&account);
    for (k, v) in [
        ("EXCHANGE_LEASE_SECONDS", "3"),
        ("EXCHANGE_SEND_POLL_MS", "200"),
        ("EXCHANGE_RETRY_BASE_MS", "100"),
    ] {
        env.push((k.to_owned(), v.to_owned()));
    }
    let mut app = agency(db, A52, &env).await;
    let edoc = sample("edoc-new.edxml");

    // Two 503s, then a call the axis never answers (it times out): tried again each time,
    // taken once, byte for byte.
    axis.script(
        "sendEdoc",
        &[Answer::Unavailable, Answer::Unavailable, Answer::Hang],
    );
    queue(&app, &env, &edoc, H41);
    let sent = axis.wait_for("the message", |m| m.len() == 1).await;
    assert_eq!(sent[0].from, A52);
    assert_eq!(sent[0].to, [H41]);
    assert_eq!(sent[0].kind, "edoc");
    assert_eq!(sent[0].bytes, edoc);
    assert_eq!(axis.calls("sendEdoc"), 4);
    let metrics = app.metrics().await;
    assert_eq!(metric(&metrics, "exchange_retried_total"), Some(3.0));
    assert_eq!(metric(&metrics, "exchange_sent_total"), Some(1.0));

    // Killed while the axis holds its call: the restarted server sends it once the lease
    // runs out, once.
    axis.script("sendEdoc", &[Answer::Hang]);
    queue(&app, &env, b"<edXML>second</edXML>", H41);
    wait_calls(&axis, "sendEdoc", 5).await;
    app.kill();
    let mut restarted = app.second_instance();
    axis.wait_for("the second message", |m| m.len() == 2).await;
    // The axis has it; the server records so a moment later. A kill inside that moment would
    // have it sent again, which only the receiver's DocumentId check absorbs: not this test's.
    tokio::time::sleep(Duration::from_secs(1)).await;

    // Queued while no server runs (committed, never handed over): sent at the next start.
    restarted.kill();
    queue(&app, &env, b"<edXML>third</edXML>", H41);
    let _again = app.second_instance();
    axis.wait_for("the third message", |m| m.len() == 3).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let bodies: Vec<String> = axis
        .messages()
        .into_iter()
        .map(|m| match m.bytes == edoc {
            true => "the sample".to_owned(),
            false => String::from_utf8(m.bytes).unwrap(),
        })
        .collect();
    assert_eq!(
        bodies,
        [
            "the sample",
            "<edXML>second</edXML>",
            "<edXML>third</edXML>"
        ]
    );
    assert_eq!(axis.calls("sendEdoc"), 7);
    assert_eq!(axis.refused(), 0);
}

async fn waiting_messages_are_fetched_once_and_acknowledged(db: Backend) {
    let axis = FakeAxis::start().await;
    let account = axis.join(A52);
    let app = agency(db, A52, &axis.env(&account)).await;
    // A second instance polls too: one of them takes each message.
    let _second = app.second_instance();
    let edoc = axis.deliver(H41, &[A52], "edoc", &sample("edoc-new.edxml"));
    let garbage = axis.deliver(H41, &[A52], "edoc", b"%PDF-1.7 not a message");
    let status = axis.deliver(H41, &[A52], "status", &sample("status-03.edxml"));
    let elsewhere = axis.deliver(H41, &["000.00.00.G22"], "edoc", &sample("edoc-new.edxml"));
    let acked = axis
        .wait_for("the acknowledgements", |m| {
            m.iter()
                .filter(|m| m.to.contains(&A52.to_owned()))
                .all(|m| m.acks.contains_key(A52))
        })
        .await;
    let ack = |id: &str| acked.iter().find(|m| m.doc_id == id).unwrap().acks.clone();
    assert_eq!(ack(&edoc)[A52], "done");
    assert_eq!(ack(&garbage)[A52], "fail");
    assert!(ack(&status).contains_key(A52));
    assert!(ack(&elsewhere).is_empty());
    // Two more polls of each instance: nothing fetched again.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(axis.calls("getEdoc"), 3);
    assert_eq!(axis.calls("updateStatus"), 3);
    assert!(axis.calls("getReceivedEdocList") >= 4);
    assert_eq!(axis.refused(), 0);
}
