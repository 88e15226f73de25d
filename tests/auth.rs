//! Logging in, the forced password change, refresh rotation, throttling, logout.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{Backend, on_both_databases, spawn_app, spawn_app_with};

on_both_databases!(
    a_default_password_must_be_changed_before_anything_else,
    wrong_username_and_wrong_password_look_the_same,
    repeated_failures_lock_the_account_until_an_admin_unlocks_it,
    refresh_rotates_and_a_reused_refresh_token_ends_the_session,
    logout_ends_only_that_session,
    a_disabled_account_is_logged_out_everywhere_and_cannot_log_in,
    changing_the_password_ends_the_other_sessions,
    guessing_the_current_password_locks_like_failed_logins,
);

async fn a_default_password_must_be_changed_before_anything_else(db: Backend) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let org = app.admin_org(&admin).await;
    app.create_user(
        &admin,
        &org,
        "chuyenvien.binh",
        &["specialist"],
        "mat-khau-tam-2026",
    )
    .await;

    let first = app
        .login_ok("chuyenvien.binh", "mat-khau-tam-2026", "phone-1")
        .await;
    assert!(first.must_change_password);
    // Everything but the password change, the profile and logout is closed.
    app.get("/api/v1/me/sessions", &first.access)
        .await
        .problem(403, "password_change_required");
    let me = app.get("/api/v1/me", &first.access).await;
    assert_eq!(me.ok()["must_change_password"], true);

    let weak = json!({"current_password": "mat-khau-tam-2026", "new_password": "short"});
    app.post("/api/v1/auth/password", Some(&first.access), weak)
        .await
        .problem(422, "weak_password");
    let same =
        json!({"current_password": "mat-khau-tam-2026", "new_password": "mat-khau-tam-2026"});
    app.post("/api/v1/auth/password", Some(&first.access), same)
        .await
        .problem(422, "weak_password");
    let wrong =
        json!({"current_password": "not-my-password", "new_password": "mot-cau-rat-dai-2026"});
    app.post("/api/v1/auth/password", Some(&first.access), wrong)
        .await
        .problem(403, "current_password_incorrect");

    let change =
        json!({"current_password": "mat-khau-tam-2026", "new_password": "mot-cau-rat-dai-2026"});
    assert_eq!(
        app.post("/api/v1/auth/password", Some(&first.access), change)
            .await
            .status,
        204
    );
    // The same session now works, and refreshing keeps it open.
    app.get("/api/v1/me/sessions", &first.access).await.ok();
    let refreshed = app.refresh_ok(&first.refresh).await;
    assert!(!refreshed.must_change_password);
    app.get("/api/v1/me/sessions", &refreshed.access).await.ok();

    app.login("chuyenvien.binh", "mat-khau-tam-2026", "phone-2")
        .await
        .problem(401, "invalid_credentials");
    let again = app
        .login_ok("chuyenvien.binh", "mot-cau-rat-dai-2026", "phone-2")
        .await;
    assert!(!again.must_change_password);
}

async fn wrong_username_and_wrong_password_look_the_same(db: Backend) {
    let app = spawn_app(db).await;
    let unknown = app.login("nobody.here", "whatever-password", "d1").await;
    let wrong = app
        .login(crate::helpers::ADMIN, "whatever-password", "d1")
        .await;
    let (a, b) = (
        unknown.problem(401, "invalid_credentials"),
        wrong.problem(401, "invalid_credentials"),
    );
    assert_eq!(a["detail"], b["detail"]);
    assert_eq!(a["title"], b["title"]);
}

async fn repeated_failures_lock_the_account_until_an_admin_unlocks_it(db: Backend) {
    let app = spawn_app_with(
        db,
        &[("LOGIN_MAX_FAILURES", "3"), ("LOGIN_LOCK_SECONDS", "600")],
    )
    .await;
    let admin = app.admin().await;
    let (id, password) = app.active_user(&admin, "lanhdao.an", &["leader"]).await;

    for _ in 0..3 {
        app.login("lanhdao.an", "guess-password", "phone")
            .await
            .problem(401, "invalid_credentials");
    }
    let locked = app.login("lanhdao.an", &password, "phone").await;
    locked.problem(429, "too_many_attempts");
    let retry_after: u64 = locked.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=600).contains(&retry_after),
        "Retry-After {retry_after}"
    );
    // Unknown names lock the same way, so a lock reveals nothing.
    for _ in 0..3 {
        app.login("no.such.user", "guess-password", "phone")
            .await
            .problem(401, "invalid_credentials");
    }
    app.login("no.such.user", "guess-password", "phone")
        .await
        .problem(429, "too_many_attempts");

    let unlock = app
        .patch(
            &format!("/api/v1/admin/users/{id}"),
            &admin.access,
            json!({"unlock": true}),
        )
        .await;
    unlock.ok();
    app.login_ok("lanhdao.an", &password, "phone").await;
}

async fn refresh_rotates_and_a_reused_refresh_token_ends_the_session(db: Backend) {
    let app = spawn_app(db).await;
    let first = app.admin().await;
    let second = app.refresh_ok(&first.refresh).await;
    assert_eq!(second.session_id, first.session_id);
    assert_ne!(second.refresh, first.refresh);
    app.get("/api/v1/me", &second.access).await.ok();

    // The old refresh token again: someone holds a copy, so the session ends for everyone.
    app.refresh(&first.refresh)
        .await
        .problem(401, "session_revoked");
    app.get("/api/v1/me", &second.access)
        .await
        .problem(401, "session_revoked");
    app.refresh(&second.refresh)
        .await
        .problem(401, "invalid_refresh_token");
    // A made-up token changes nothing.
    let other = app.admin().await;
    app.refresh("not-a-token")
        .await
        .problem(401, "invalid_refresh_token");
    app.refresh(&format!("{}.forged", other.session_id.replace('-', "")))
        .await
        .problem(401, "invalid_refresh_token");
    app.get("/api/v1/me", &other.access).await.ok();
}

async fn logout_ends_only_that_session(db: Backend) {
    let app = spawn_app(db).await;
    let phone = app
        .login_ok(
            crate::helpers::ADMIN,
            crate::helpers::ADMIN_PASSWORD,
            "phone",
        )
        .await;
    let tablet = app
        .login_ok(
            crate::helpers::ADMIN,
            crate::helpers::ADMIN_PASSWORD,
            "tablet",
        )
        .await;
    assert_eq!(
        app.send(
            Method::POST,
            "/api/v1/auth/logout",
            Some(&phone.access),
            None
        )
        .await
        .status,
        204
    );
    app.get("/api/v1/me", &phone.access)
        .await
        .problem(401, "session_revoked");
    app.refresh(&phone.refresh)
        .await
        .problem(401, "invalid_refresh_token");
    app.get("/api/v1/me", &tablet.access).await.ok();
}

async fn a_disabled_account_is_logged_out_everywhere_and_cannot_log_in(db: Backend) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let (id, password) = app.active_user(&admin, "vanthu.cuong", &["clerk"]).await;
    let phone = app.login_ok("vanthu.cuong", &password, "phone").await;

    let path = format!("/api/v1/admin/users/{id}");
    let disabled = app
        .patch(&path, &admin.access, json!({"disabled": true}))
        .await;
    assert_eq!(disabled.ok()["disabled"], true);
    app.get("/api/v1/me", &phone.access)
        .await
        .problem(401, "session_revoked");
    app.login("vanthu.cuong", &password, "phone")
        .await
        .problem(403, "account_disabled");
    // A wrong password still looks like any wrong password.
    app.login("vanthu.cuong", "wrong-password", "phone")
        .await
        .problem(401, "invalid_credentials");

    app.patch(&path, &admin.access, json!({"disabled": false}))
        .await
        .ok();
    app.login_ok("vanthu.cuong", &password, "phone").await;
}

async fn changing_the_password_ends_the_other_sessions(db: Backend) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let (_, password) = app.active_user(&admin, "lanhdao.dung", &["leader"]).await;
    let phone = app.login_ok("lanhdao.dung", &password, "phone").await;
    let stolen = app
        .login_ok("lanhdao.dung", &password, "unknown-laptop")
        .await;
    let change = json!({"current_password": password, "new_password": "mat-khau-moi-hon-2026"});
    assert_eq!(
        app.post("/api/v1/auth/password", Some(&phone.access), change)
            .await
            .status,
        204
    );
    app.get("/api/v1/me", &stolen.access)
        .await
        .problem(401, "session_revoked");
    app.get("/api/v1/me/sessions", &phone.access).await.ok();
}

async fn guessing_the_current_password_locks_like_failed_logins(db: Backend) {
    let app = spawn_app_with(db, &[("LOGIN_MAX_FAILURES", "3")]).await;
    let admin = app.admin().await;
    let (_, password) = app.active_user(&admin, "lanhdao.an", &["leader"]).await;
    let stolen = app.login_ok("lanhdao.an", &password, "stolen-phone").await;
    for guess in ["guess-one-2026", "guess-two-2026", "guess-three-2026"] {
        let body = json!({"current_password": guess, "new_password": "attacker-chosen-2026"});
        app.post("/api/v1/auth/password", Some(&stolen.access), body)
            .await
            .problem(403, "current_password_incorrect");
    }
    let right = json!({"current_password": password, "new_password": "attacker-chosen-2026"});
    app.post("/api/v1/auth/password", Some(&stolen.access), right)
        .await
        .problem(429, "too_many_attempts");
    app.login("lanhdao.an", &password, "phone")
        .await
        .problem(429, "too_many_attempts");
}
