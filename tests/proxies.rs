//! The client's address behind a load balancer: `X-Forwarded-For` counts only when a trusted
//! proxy sends it, for the login throttle, the device list and the audit trail.

use serde_json::{Value, json};

use crate::helpers::{
    ADMIN, ADMIN_PASSWORD, Backend, Reply, TestApp, on_both_databases, reply, spawn_app_with,
};

on_both_databases!(
    behind_a_trusted_proxy_each_client_has_its_own_address,
    a_client_cannot_choose_its_address_by_header,
);

async fn login_from(app: &TestApp, forwarded_for: &str, username: &str, password: &str) -> Reply {
    let resp = app
        .http
        .post(format!("{}/api/v1/auth/login", app.base))
        .header("X-Forwarded-For", forwarded_for)
        .json(&json!({
            "username": username,
            "password": password,
            "device": {"device_id": format!("phone {forwarded_for}"), "platform": "android",
                       "name": "Điện thoại", "app_version": "1.0.0"},
        }))
        .send()
        .await
        .expect("request sent");
    reply(resp).await
}

/// Three wrong passwords under three different names, so only the address can lock.
async fn guess_three_times(app: &TestApp, forwarded_for: &str) {
    for name in [ADMIN, "khach.hai", "khach.ba"] {
        login_from(app, forwarded_for, name, "doan-mo-123")
            .await
            .problem(401, "invalid_credentials");
    }
}

async fn session_address(app: &TestApp, access: &str) -> Value {
    let sessions = app.get("/api/v1/me/sessions", access).await;
    sessions.ok()["items"][0]["ip"].clone()
}

async fn behind_a_trusted_proxy_each_client_has_its_own_address(db: Backend) {
    let app = spawn_app_with(
        db,
        &[
            ("TRUSTED_PROXIES", "127.0.0.1/32,::1"),
            ("LOGIN_IP_MAX_FAILURES", "3"),
        ],
    )
    .await;
    // The client made up the first entry; the balancer appended the address it saw.
    let login = login_from(&app, "198.51.100.9, 203.0.113.7", ADMIN, ADMIN_PASSWORD).await;
    let access = login.ok()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(session_address(&app, &access).await, "203.0.113.7");

    guess_three_times(&app, "203.0.113.66").await;
    login_from(&app, "203.0.113.66", ADMIN, ADMIN_PASSWORD)
        .await
        .problem(429, "too_many_attempts");
    // Another client behind the same balancer is not locked out with the guesser.
    login_from(&app, "198.51.100.2", ADMIN, ADMIN_PASSWORD)
        .await
        .ok();

    // The audit trail names the client, not the balancer.
    let admin = login_from(&app, "198.51.100.2", ADMIN, ADMIN_PASSWORD).await;
    let admin = admin.ok()["access_token"].as_str().unwrap().to_owned();
    let entries = app.get("/api/v1/admin/audit?limit=100", &admin).await;
    let entries = entries.ok()["items"].as_array().unwrap().clone();
    assert!(
        entries
            .iter()
            .any(|e| e["action"] == "login_failed" && e["ip"] == "203.0.113.66"),
        "{entries:#?}"
    );
    assert!(
        entries.iter().all(|e| e["ip"] != "127.0.0.1"),
        "{entries:#?}"
    );
}

async fn a_client_cannot_choose_its_address_by_header(db: Backend) {
    let app = spawn_app_with(db, &[("LOGIN_IP_MAX_FAILURES", "3")]).await;
    let login = login_from(&app, "203.0.113.7", ADMIN, ADMIN_PASSWORD).await;
    let access = login.ok()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(session_address(&app, &access).await, "127.0.0.1");

    // A new made-up address on every guess does not escape the per-address lock.
    for (i, name) in ["khach.mot", "khach.hai", "khach.ba"].iter().enumerate() {
        login_from(&app, &format!("203.0.113.{i}"), name, "doan-mo-123")
            .await
            .problem(401, "invalid_credentials");
    }
    login_from(&app, "198.51.100.2", ADMIN, ADMIN_PASSWORD)
        .await
        .problem(429, "too_many_attempts");
}
