//! Exchange between agencies, as far as it is built: organisations named by their QCVN 102
//! agency codes, and symbols built from their abbreviations.

use serde_json::json;

use crate::{
    helpers::{ADMIN_PASSWORD, Backend, on_both_databases, pdf, spawn_agency, spawn_app_with},
    signing::{confirm, draft_with, office, provision, request, seal},
};

on_both_databases!(
    an_agency_is_named_by_its_code_and_its_symbols_by_its_abbreviation,
    test_axis_codes_are_accepted_only_where_configured,
);

async fn an_agency_is_named_by_its_code_and_its_symbols_by_its_abbreviation(db: Backend) {
    let app = spawn_agency(db, "000.00.00.H52", "UBND", "state", &[("DEV_CA", "true")]).await;
    let o = office(&app).await;
    let me = app.get("/api/v1/me", &o.admin.access).await;
    assert_eq!(me.ok()["organization"]["code"], "000.00.00.H52");

    // A unit below it, with its own code and abbreviation.
    let orgs = "/api/v1/admin/organizations";
    let unit = app
        .post(
            orgs,
            Some(&o.admin.access),
            json!({
            "code": "000.01.00.H52", "abbreviation": "VX",
            "name": "Phòng Văn hóa - Xã hội", "numbering_style": "state"}),
        )
        .await;
    assert_eq!(unit.status, 201, "{}", unit.body);
    assert_eq!(unit.body["code"], "000.01.00.H52");
    assert_eq!(unit.body["abbreviation"], "VX");
    let unit = unit.body["id"].as_str().unwrap().to_owned();
    // An agency code needs an abbreviation; a code near the pattern is not one.
    let refused = app
        .post(
            orgs,
            Some(&o.admin.access),
            json!({
            "code": "001.00.00.A52", "name": "Đảng ủy Khối", "numbering_style": "party"}),
        )
        .await;
    let detail = refused.problem(422, "validation_failed")["detail"]
        .as_str()
        .unwrap();
    assert!(detail.starts_with("abbreviation:"), "{detail}");
    for bad in ["000.00.00.a52", "00.00.00.A52", "vxp.saas.03"] {
        app.post(
            orgs,
            Some(&o.admin.access),
            json!({
            "code": bad, "abbreviation": "TU", "name": "Tỉnh ủy", "numbering_style": "party"}),
        )
        .await
        .problem(422, "validation_failed");
    }
    // The operator's command says what is missing, and creates nothing.
    let out = app
        .world
        .command(&[
            "create-admin",
            "--username",
            "vpcp.admin",
            "--org-code",
            "000.00.00.G22",
            "--org-name",
            "Văn phòng Chính phủ",
        ])
        .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("abbreviation"));

    // A Công văn drafted by the unit: `01/UBND-VX`.
    provision(&app, &o).await;
    seal(&app, &o).await;
    let root = app.admin_org(&o.admin).await;
    let metadata = json!({
        "direction": "outgoing", "doc_type": "CV", "urgency": "normal", "confidentiality": "none",
        "summary": "Về việc tổ chức Ngày hội văn hóa các dân tộc năm 2026",
    });
    let (doc, task, file) = draft_with(&app, &o, metadata, pdf("Cong van")).await;
    let req = request(&app, &o, &task, &file).await;
    confirm(&app, &o, req["id"].as_str().unwrap()).await.ok();
    let (_, pw) = app.active_user(&o.admin, "vanthu.ubnd", &["clerk"]).await;
    let clerk = app.login_ok("vanthu.ubnd", &pw, "desk").await;
    let issue = format!("/api/v1/documents/{doc}/issue");
    // The organisation itself is not a unit of its own, and nothing is numbered.
    let not_a_unit = app
        .post(
            &issue,
            Some(&clerk.access),
            json!({"drafting_unit_id": root}),
        )
        .await;
    let detail = not_a_unit.problem(422, "validation_failed")["detail"]
        .as_str()
        .unwrap();
    assert!(detail.starts_with("drafting_unit_id:"), "{detail}");
    let issued = app
        .post(
            &issue,
            Some(&clerk.access),
            json!({"drafting_unit_id": unit}),
        )
        .await;
    assert_eq!(issued.ok()["symbol"], "01/UBND-VX", "{}", issued.body);
}

async fn test_axis_codes_are_accepted_only_where_configured(db: Backend) {
    let app = spawn_app_with(db, &[("EXCHANGE_ALLOW_TEST_CODES", "true")]).await;
    let admin = app.admin().await;
    let created = app
        .post(
            "/api/v1/admin/organizations",
            Some(&admin.access),
            json!({
            "code": "vxp.saas.03", "abbreviation": "STTTT",
            "name": "Sở Thông tin và Truyền thông (thử nghiệm)", "numbering_style": "state"}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["code"], "vxp.saas.03");
    // Organisations from before agency codes keep their local code as their abbreviation.
    let me = app.get("/api/v1/me", &admin.access).await;
    assert_eq!(me.ok()["organization"]["code"], "ROOT");
}
