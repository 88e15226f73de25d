//! Administration within the admin's own organisation tree.

use serde_json::json;

use crate::helpers::{ADMIN_PASSWORD, Backend, TestApp, Tokens, on_both_databases, spawn_app};

on_both_databases!(
    an_admin_builds_an_organisation_tree_and_staffs_it,
    another_organisations_admin_cannot_see_or_touch_our_people,
    only_admins_administer,
    lists_are_paged_with_a_stable_cursor,
    people_are_found_by_name_title_or_username_without_accents,
);

async fn an_admin_builds_an_organisation_tree_and_staffs_it(db: Backend) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let root = app.admin_org(&admin).await;
    let create = |code: &str, parent: &str| json!({"code": code, "name": format!("Ban {code}"), "parent_id": parent, "numbering_style": "party"});
    let ban = app
        .post(
            "/api/v1/admin/organizations",
            Some(&admin.access),
            create("btc-tu", &root),
        )
        .await;
    assert_eq!(ban.status, 201, "{}", ban.body);
    assert_eq!(ban.body["code"], "BTC-TU");
    assert_eq!(ban.body["parent_id"], root.as_str());
    let ban_id = ban.body["id"].as_str().unwrap().to_owned();
    app.post(
        "/api/v1/admin/organizations",
        Some(&admin.access),
        create("BTC-TU", &root),
    )
    .await
    .problem(409, "organization_code_taken");

    let id = app
        .create_user(
            &admin,
            &ban_id,
            "Truong.Ban",
            &["leader", "leader"],
            "mat-khau-tam-2026",
        )
        .await;
    let users = app.get("/api/v1/admin/users", &admin.access).await;
    let created = users.ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(created["username"], "truong.ban");
    assert_eq!(created["roles"], json!(["leader"]));
    assert_eq!(created["must_change_password"], true);
    assert_eq!(created["organization_id"], ban_id.as_str());

    let again = json!({"username": "truong.ban", "full_name": "X", "title": "", "organization_id": root, "roles": [], "default_password": "mat-khau-tam-2026"});
    app.post("/api/v1/admin/users", Some(&admin.access), again)
        .await
        .problem(409, "username_taken");

    let promote = json!({"roles": ["leader", "admin"], "title": "Trưởng ban"});
    let updated = app
        .patch(&format!("/api/v1/admin/users/{id}"), &admin.access, promote)
        .await;
    assert_eq!(updated.ok()["roles"], json!(["leader", "admin"]));
    assert_eq!(updated.body["title"], "Trưởng ban");

    let me = app.get("/api/v1/me", &admin.access).await;
    let own_id = me.ok()["id"].as_str().unwrap().to_owned();
    app.patch(
        &format!("/api/v1/admin/users/{own_id}"),
        &admin.access,
        json!({"disabled": true}),
    )
    .await
    .problem(422, "cannot_disable_self");
}

async fn another_organisations_admin_cannot_see_or_touch_our_people(db: Backend) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let (ours, password) = app.active_user(&admin, "lanhdao.an", &["leader"]).await;
    let phone = app.login_ok("lanhdao.an", &password, "phone").await;
    let root = app.admin_org(&admin).await;

    app.world.create_admin("other.admin", "UBND-KHAC");
    let other = app
        .login_ok("other.admin", ADMIN_PASSWORD, "other-laptop")
        .await;
    let users = app.get("/api/v1/admin/users", &other.access).await;
    assert!(
        users.ok()["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["id"] != ours.as_str())
    );
    let orgs = app.get("/api/v1/admin/organizations", &other.access).await;
    assert_eq!(orgs.ok()["items"].as_array().unwrap().len(), 1);

    // Our ids are simply not found from there, and nothing changes.
    app.get(
        &format!("/api/v1/admin/users/{ours}/sessions"),
        &other.access,
    )
    .await
    .problem(404, "not_found");
    app.delete(
        &format!("/api/v1/admin/users/{ours}/sessions"),
        &other.access,
    )
    .await
    .problem(404, "not_found");
    app.patch(
        &format!("/api/v1/admin/users/{ours}"),
        &other.access,
        json!({"disabled": true}),
    )
    .await
    .problem(404, "not_found");
    let intruder = json!({"username": "intruder", "full_name": "X", "title": "", "organization_id": root, "roles": ["admin"], "default_password": "mat-khau-tam-2026"});
    app.post("/api/v1/admin/users", Some(&other.access), intruder)
        .await
        .problem(404, "not_found");
    let sub = json!({"code": "SUB", "name": "Sub", "parent_id": root, "numbering_style": "state"});
    app.post("/api/v1/admin/organizations", Some(&other.access), sub)
        .await
        .problem(404, "not_found");

    app.get("/api/v1/me", &phone.access).await.ok();
    let ours_now = app.get("/api/v1/admin/users", &admin.access).await;
    let row = ours_now.ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == ours.as_str())
        .unwrap()
        .clone();
    assert_eq!(row["disabled"], false);
    assert!(
        ours_now.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["username"] != "intruder")
    );
}

async fn only_admins_administer(db: Backend) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let (_, password) = app.active_user(&admin, "lanhdao.an", &["leader"]).await;
    let leader = app.login_ok("lanhdao.an", &password, "phone").await;
    app.get("/api/v1/admin/users", &leader.access)
        .await
        .problem(403, "forbidden");
    app.get("/api/v1/admin/organizations", &leader.access)
        .await
        .problem(403, "forbidden");
}

async fn lists_are_paged_with_a_stable_cursor(db: Backend) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let org = app.admin_org(&admin).await;
    for i in 0..5 {
        app.create_user(
            &admin,
            &org,
            &format!("user.{i}"),
            &["specialist"],
            "mat-khau-tam-2026",
        )
        .await;
    }
    let seen = usernames(&app, &admin, "limit=2").await;
    assert_eq!(
        seen,
        [
            "root.admin",
            "user.0",
            "user.1",
            "user.2",
            "user.3",
            "user.4"
        ]
    );
    app.get("/api/v1/admin/users?cursor=%2A%2A%2A", &admin.access)
        .await
        .problem(422, "validation_failed");
    app.get("/api/v1/admin/users?limit=0", &admin.access)
        .await
        .problem(400, "invalid_request");
}

async fn people_are_found_by_name_title_or_username_without_accents(db: Backend) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let org = app.admin_org(&admin).await;
    for (username, full_name, title) in [
        ("lanhdao.an", "Nguyễn Văn An", "Phó Bí thư"),
        ("vanthu.binh", "Lê Thị Bình", "Văn thư"),
        ("chuyenvien.an", "Trần An", "Chuyên viên"),
    ] {
        let created = app
            .post(
                "/api/v1/admin/users",
                Some(&admin.access),
                json!({"username": username, "full_name": full_name, "title": title,
                       "organization_id": org, "roles": ["specialist"],
                       "default_password": "mat-khau-tam-2026"}),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.body);
    }
    assert_eq!(
        usernames(&app, &admin, "limit=1&q=pho%20bi%20thu").await,
        ["lanhdao.an"]
    );
    assert_eq!(
        usernames(&app, &admin, "limit=1&q=L%C3%8A%20TH%E1%BB%8A").await,
        ["vanthu.binh"]
    );
    assert_eq!(
        usernames(&app, &admin, "limit=1&q=chuyenvien").await,
        ["chuyenvien.an"]
    );
    // Paged one at a time, in username order, the cursor as without a query.
    assert_eq!(
        usernames(&app, &admin, "limit=1&q=thu").await,
        ["lanhdao.an", "vanthu.binh"]
    );
    assert!(
        usernames(&app, &admin, "limit=1&q=khong%20co%20ai")
            .await
            .is_empty()
    );
}

/// Every username `GET /admin/users?{query}` lists, following the cursor page by page.
async fn usernames(app: &TestApp, admin: &Tokens, query: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut path = format!("/api/v1/admin/users?{query}");
    loop {
        let body = app.get(&path, &admin.access).await.ok().clone();
        names.extend(
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["username"].as_str().unwrap().to_owned()),
        );
        match body["next_cursor"].as_str() {
            Some(next) => path = format!("/api/v1/admin/users?{query}&cursor={next}"),
            None => return names,
        }
    }
}
