//! Device sessions: listing, admin revocation with immediate effect, across instances.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{Backend, on_both_databases, spawn_app};

on_both_databases!(
    an_admin_revokes_one_device_and_only_that_device_is_refused,
    a_session_revoked_on_one_instance_is_refused_by_the_other,
    the_same_device_logging_in_again_replaces_its_session,
    a_user_sees_and_ends_their_own_sessions,
);

async fn an_admin_revokes_one_device_and_only_that_device_is_refused(db: Backend) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let (id, password) = app.active_user(&admin, "lanhdao.an", &["leader"]).await;
    let phone = app.login_ok("lanhdao.an", &password, "phone").await;
    let tablet = app.login_ok("lanhdao.an", &password, "tablet").await;
    let token = json!({"push_token": "fcm-token:APA91b_phone"});
    assert_eq!(
        app.send(
            Method::PUT,
            "/api/v1/me/push-token",
            Some(&phone.access),
            Some(token)
        )
        .await
        .status,
        204
    );

    let listed = app
        .get(&format!("/api/v1/admin/users/{id}/sessions"), &admin.access)
        .await;
    let items = listed.ok()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2, "{items:?}");
    let phone_row = items
        .iter()
        .find(|s| s["id"] == phone.session_id.as_str())
        .unwrap();
    assert_eq!(phone_row["push_enabled"], true);
    assert_eq!(phone_row["device_id"], "phone");

    // Accepted just before: the server now knows the token's signature is good.
    app.get("/api/v1/me", &phone.access).await.ok();
    let revoke = app
        .delete(
            &format!("/api/v1/admin/users/{id}/sessions/{}", phone.session_id),
            &admin.access,
        )
        .await;
    assert_eq!(revoke.status, 204);
    app.get("/api/v1/me", &phone.access)
        .await
        .problem(401, "session_revoked");
    app.refresh(&phone.refresh)
        .await
        .problem(401, "invalid_refresh_token");
    app.get("/api/v1/me", &tablet.access).await.ok();

    // The revoked device, and its push token, are gone from the list.
    let listed = app
        .get(&format!("/api/v1/admin/users/{id}/sessions"), &admin.access)
        .await;
    let items = listed.ok()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], tablet.session_id.as_str());
    // Revoking it twice: it is not there any more.
    app.delete(
        &format!("/api/v1/admin/users/{id}/sessions/{}", phone.session_id),
        &admin.access,
    )
    .await
    .problem(404, "not_found");

    let all = app
        .delete(&format!("/api/v1/admin/users/{id}/sessions"), &admin.access)
        .await;
    assert_eq!(all.ok()["revoked"], 1);
    app.get("/api/v1/me", &tablet.access)
        .await
        .problem(401, "session_revoked");
}

async fn a_session_revoked_on_one_instance_is_refused_by_the_other(db: Backend) {
    let first = spawn_app(db).await;
    let second = first.second_instance();
    assert_ne!(first.base, second.base);
    let admin = first.admin().await;
    let (id, password) = first.active_user(&admin, "lanhdao.an", &["leader"]).await;
    // Logged in through one instance, working through the other: the instances share keys.
    let phone = first.login_ok("lanhdao.an", &password, "phone").await;
    second.get("/api/v1/me", &phone.access).await.ok();

    let revoke = second
        .delete(
            &format!("/api/v1/admin/users/{id}/sessions/{}", phone.session_id),
            &admin.access,
        )
        .await;
    assert_eq!(revoke.status, 204);
    first
        .get("/api/v1/me", &phone.access)
        .await
        .problem(401, "session_revoked");
    second
        .get("/api/v1/me", &phone.access)
        .await
        .problem(401, "session_revoked");
}

async fn the_same_device_logging_in_again_replaces_its_session(db: Backend) {
    let app = spawn_app(db).await;
    let before = app.admin().await;
    let after = app.admin().await;
    assert_ne!(before.session_id, after.session_id);
    app.get("/api/v1/me", &before.access)
        .await
        .problem(401, "session_revoked");
    let mine = app.get("/api/v1/me/sessions", &after.access).await;
    assert_eq!(mine.ok()["items"].as_array().unwrap().len(), 1);
}

async fn a_user_sees_and_ends_their_own_sessions(db: Backend) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let (_, password) = app.active_user(&admin, "lanhdao.an", &["leader"]).await;
    let phone = app.login_ok("lanhdao.an", &password, "phone").await;
    let lost = app.login_ok("lanhdao.an", &password, "lost-phone").await;

    let mine = app.get("/api/v1/me/sessions", &phone.access).await;
    let items = mine.ok()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    let current: Vec<_> = items.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["id"], phone.session_id.as_str());

    let end = app
        .delete(
            &format!("/api/v1/me/sessions/{}", lost.session_id),
            &phone.access,
        )
        .await;
    assert_eq!(end.status, 204);
    app.get("/api/v1/me", &lost.access)
        .await
        .problem(401, "session_revoked");
    // Someone else's session id is simply not found.
    app.delete(
        &format!("/api/v1/me/sessions/{}", admin.session_id),
        &phone.access,
    )
    .await
    .problem(404, "not_found");
    app.get("/api/v1/me", &admin.access).await.ok();
}
