//! Ending sessions for good: a disabled account keeps no live session, not even one from a
//! login racing the disable, and a stolen refresh token's reuse is on the audit trail.

use futures_util::future::join_all;
use serde_json::json;
use tokio::sync::Notify;

use crate::{
    audit::trail,
    helpers::{Backend, Tokens, on_both_databases, reply, spawn_app_with},
};

on_both_databases!(
    logins_racing_a_disable_leave_no_live_session,
    a_reused_refresh_token_is_audited_with_who_and_from_where,
);

async fn logins_racing_a_disable_leave_no_live_session(db: Backend) {
    // Thirty logins at once with the right password are not guesses worth locking out.
    let app = spawn_app_with(db, &[("LOGIN_MAX_FAILURES", "100")]).await;
    let admin = app.admin().await;
    let (id, password) = app.active_user(&admin, "vanthu.cuong", &["clerk"]).await;
    let url = format!("{}/api/v1/auth/login", app.base);
    let first_in = Notify::new();
    let logins = (0..30).map(|i| {
        let req = app.http.post(&url).json(&json!({
            "username": "vanthu.cuong", "password": password,
            "device": {"device_id": format!("phone-{i}"), "platform": "ios", "name": "iPhone",
                       "app_version": "1.0.0"},
        }));
        let first_in = &first_in;
        async move {
            let login = reply(req.send().await.unwrap()).await;
            if login.status == 200 {
                first_in.notify_one();
            }
            login
        }
    });
    let disable = async {
        // Once the first login is through, the rest are at every stage of theirs.
        first_in.notified().await;
        app.patch(
            &format!("/api/v1/admin/users/{id}"),
            &admin.access,
            json!({"disabled": true}),
        )
        .await
    };
    let (logins, disabled) = tokio::join!(join_all(logins), disable);
    disabled.ok();

    let mut through = 0;
    for login in &logins {
        if login.status != 200 {
            login.problem(403, "account_disabled");
            continue;
        }
        through += 1;
        let tokens = Tokens::from_json(&login.body);
        app.get("/api/v1/me", &tokens.access)
            .await
            .problem(401, "session_revoked");
        let refreshed = app.refresh(&tokens.refresh).await;
        assert_eq!(refreshed.status, 401, "{}", refreshed.body);
    }
    assert!(
        through > 0,
        "no login got in before the disable: the race was not run"
    );
    let sessions = app
        .get(&format!("/api/v1/admin/users/{id}/sessions"), &admin.access)
        .await;
    assert_eq!(sessions.ok()["items"], json!([]), "{}", sessions.body);
}

async fn a_reused_refresh_token_is_audited_with_who_and_from_where(db: Backend) {
    let app = spawn_app_with(db, &[]).await;
    let admin = app.admin().await;
    let (id, password) = app.active_user(&admin, "lanhdao.an", &["leader"]).await;
    let phone = app.login_ok("lanhdao.an", &password, "phone").await;
    app.refresh_ok(&phone.refresh).await;
    app.refresh(&phone.refresh)
        .await
        .problem(401, "session_revoked");

    let entries = trail(&app, &admin, &format!("&actor_id={id}")).await;
    let reuse: Vec<_> = entries
        .iter()
        .filter(|e| e["action"] == "refresh_token_reused")
        .collect();
    assert_eq!(reuse.len(), 1, "{entries:#?}");
    assert_eq!(reuse[0]["session_id"], phone.session_id.as_str());
    assert_eq!(reuse[0]["subject_id"], id.as_str());
    assert_eq!(reuse[0]["ip"], "127.0.0.1");
}
