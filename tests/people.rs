//! The directory: colleagues of the caller's organisation tree, found as typed on a phone.

use serde_json::{Value, json};

use crate::helpers::{
    ADMIN_PASSWORD, Backend, Someone, TestApp, Tokens, on_both_databases, spawn_app,
};

on_both_databases!(the_directory_finds_colleagues_of_the_tree_typed_without_accents);

/// Creates a named, active person of `org` and logs them in from their phone.
pub(crate) async fn person(
    app: &TestApp,
    admin: &Tokens,
    org: &str,
    who: Someone<'_>,
) -> (String, Tokens) {
    let username = who.username;
    let (id, password) = app.active_someone(admin, org, &who).await;
    (id, app.login_ok(username, &password, "phone").await)
}

pub(crate) async fn directory(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    app.get(&format!("/api/v1/people?{query}"), token)
        .await
        .ok()["items"]
        .as_array()
        .unwrap()
        .clone()
}

fn names(rows: &[Value]) -> Vec<&str> {
    rows.iter()
        .map(|r| r["full_name"].as_str().unwrap())
        .collect()
}

/// A Tỉnh ủy with a Văn phòng below it, and another organisation's tree beside it.
pub(crate) struct Province {
    pub admin: Tokens,
    pub root: String,
    pub specialist: (String, Tokens),
    pub deputy: (String, Tokens),
    pub secretary: (String, Tokens),
    pub outsider: (String, Tokens),
}

/// The specialist works in the Văn phòng; the two Phó Bí thư in the Tỉnh ủy above it; the
/// outsider, a namesake of the deputy, in another tree.
pub(crate) async fn province(app: &TestApp) -> Province {
    let admin = app.admin().await;
    let root = app.admin_org(&admin).await;
    let office = app
        .post(
            "/api/v1/admin/organizations",
            Some(&admin.access),
            json!({"code": "VP-TU", "name": "Văn phòng Tỉnh ủy", "parent_id": root, "numbering_style": "party"}),
        )
        .await;
    let office = office.ok()["id"].as_str().unwrap().to_owned();
    let people = [
        (
            &office,
            "chuyenvien.hoa",
            "Lê Thị Hoa",
            "Chuyên viên",
            "specialist",
        ),
        (
            &root,
            "phobithu.tan",
            "Phạm Minh Tấn",
            "Phó Bí thư Thường trực",
            "leader",
        ),
        (
            &root,
            "phobithu.huy",
            "Đỗ Quang Huy",
            "Phó Bí thư, Chủ tịch HĐND tỉnh",
            "leader",
        ),
    ];
    let mut made = Vec::new();
    for (org, username, name, title, role) in people {
        let roles = [role];
        let who = Someone::new(username, name, title, &roles);
        made.push(person(app, &admin, org, who).await);
    }
    app.world.create_admin("other.admin", "UBND-KHAC");
    let other_admin = app
        .login_ok("other.admin", ADMIN_PASSWORD, "other-laptop")
        .await;
    let other_org = app.admin_org(&other_admin).await;
    let namesake = Someone::new("phobithu.khac", "Phạm Minh Tấn", "Phó Bí thư", &["leader"]);
    let outsider = person(app, &other_admin, &other_org, namesake).await;
    let mut made = made.into_iter();
    let mut next = || made.next().unwrap();
    Province {
        specialist: next(),
        deputy: next(),
        secretary: next(),
        outsider,
        admin,
        root,
    }
}

async fn the_directory_finds_colleagues_of_the_tree_typed_without_accents(db: Backend) {
    let app = spawn_app(db).await;
    let p = province(&app).await;
    let (admin, root) = (&p.admin, &p.root);
    let specialist = &p.specialist.1;
    let (deputy, secretary) = (&p.deputy.0, &p.secretary.0);
    let (stranger, stranger_phone) = (&p.outsider.0, &p.outsider.1);
    let (first, _) = person(
        &app,
        admin,
        root,
        Someone::new("bithu.an", "Nguyễn Văn An", "Bí thư Tỉnh ủy", &["leader"]),
    )
    .await;
    let (retired, _) = person(
        &app,
        admin,
        root,
        Someone::new("phobithu.cu", "Trần Văn Cũ", "Phó Bí thư", &["leader"]),
    )
    .await;
    app.patch(
        &format!("/api/v1/admin/users/{retired}"),
        &admin.access,
        json!({"disabled": true}),
    )
    .await
    .ok();

    // Typed without accents, from an office below the Tỉnh ủy: its two deputies, by name,
    // with their organisation; not the Bí thư, not the one who left, not the namesake of
    // another tree.
    let found = directory(&app, &specialist.access, "q=pho%20bi%20thu").await;
    assert_eq!(names(&found), ["Đỗ Quang Huy", "Phạm Minh Tấn"]);
    assert_eq!(found[0]["id"], secretary.as_str());
    assert_eq!(found[1]["id"], deputy.as_str());
    assert_eq!(found[1]["title"], "Phó Bí thư Thường trực");
    assert_eq!(found[1]["organization"]["id"], root.as_str());
    assert_eq!(found[1]["organization"]["name"], "Tỉnh ủy Thử nghiệm");
    assert_eq!(found[1]["roles"], json!(["leader"]));
    let keys: Vec<&String> = found[0].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["full_name", "id", "organization", "roles", "title"],
        "nothing more personal"
    );

    // Everyone of the tree, a page at a time, each once.
    let mut walked = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get(
                &format!("/api/v1/people?limit=2&cursor={cursor}"),
                &specialist.access,
            )
            .await;
        let page = page.ok();
        walked.extend(
            names(page["items"].as_array().unwrap())
                .into_iter()
                .map(String::from),
        );
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(
        walked,
        [
            "Đỗ Quang Huy",
            "Lê Thị Hoa",
            "Nguyễn Văn An",
            "Phạm Minh Tấn",
            "root.admin"
        ],
        "the admin is there too; the disabled and the other tree are not"
    );
    let first_secretary =
        directory(&app, &specialist.access, "role=leader&q=bi%20thu%20nguyen").await;
    assert_eq!(names(&first_secretary), ["Nguyễn Văn An"]);
    assert_eq!(first_secretary[0]["id"], first.as_str());
    let specialists = directory(&app, &specialist.access, "role=specialist").await;
    assert_eq!(names(&specialists), ["Lê Thị Hoa"]);
    app.get("/api/v1/people?cursor=%2A%2A%2A", &specialist.access)
        .await
        .problem(422, "validation_failed");

    // The other tree sees only its own people.
    let theirs = directory(&app, &stranger_phone.access, "q=pham").await;
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0]["id"], stranger.as_str());
}
