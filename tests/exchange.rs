//! Exchange between agencies, as far as it is built: organisations named by their QCVN 102
//! agency codes, symbols built from their abbreviations, and the particulars documents carry
//! for the exchange (recipients, signer block, the sender's number on an incoming one).

use serde_json::json;

use crate::{
    helpers::{ADMIN_PASSWORD, Backend, on_both_databases, pdf, spawn_agency, spawn_app_with},
    signing::{confirm, draft_with, office, provision, request, seal},
};

on_both_databases!(
    an_agency_is_named_by_its_code_and_its_symbols_by_its_abbreviation,
    test_axis_codes_are_accepted_only_where_configured,
    documents_carry_what_the_exchange_needs,
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
    confirm(&app, &o, &req, "246810").await.ok();
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

async fn documents_carry_what_the_exchange_needs(db: Backend) {
    let app = spawn_agency(db, "000.00.00.H52", "UBND", "state", &[]).await;
    let o = office(&app).await;
    let unit = app
        .post(
            "/api/v1/admin/organizations",
            Some(&o.admin.access),
            json!({
            "code": "000.01.00.H52", "abbreviation": "SGDĐT",
            "name": "Sở Giáo dục và Đào tạo", "numbering_style": "state"}),
        )
        .await;
    let unit = unit.ok()["id"].as_str().unwrap().to_owned();
    let outgoing = |recipients: serde_json::Value| {
        json!({
            "direction": "outgoing", "doc_type": "CV", "urgency": "normal",
            "confidentiality": "none",
            "summary": "Về việc tổ chức kỳ thi tốt nghiệp trung học phổ thông năm 2027",
            "place_of_issue": "Ninh Bình",
            "signer": {"competence": "KT. CHỦ TỊCH", "position": "PHÓ CHỦ TỊCH",
                       "full_name": "Nguyễn Văn An"},
            "places": ["Như trên", "Lưu: VT, VX"],
            "recipients": recipients,
        })
    };
    let created = app
        .upload(
            &o.author.access,
            outgoing(json!([
                {"organization_id": unit},
                {"code": "000.00.00.G22", "name": "Văn phòng Chính phủ"},
            ])),
            vec![("cong-van.pdf", pdf("Cong van"))],
        )
        .await;
    let ex = &created.ok()["exchange"];
    assert_eq!(ex["place_of_issue"], "Ninh Bình");
    assert_eq!(ex["signer"]["competence"], "KT. CHỦ TỊCH");
    assert_eq!(ex["places"], json!(["Như trên", "Lưu: VT, VX"]));
    let names: Vec<_> = ex["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].clone())
        .collect();
    assert_eq!(
        names,
        [
            json!("Sở Giáo dục và Đào tạo"),
            json!("Văn phòng Chính phủ")
        ]
    );
    assert_eq!(ex["recipients"][0]["organization_id"], unit.as_str());
    assert_eq!(ex["recipients"][1]["code"], "000.00.00.G22");
    assert!(ex["recipients"][1].get("status").is_none(), "not sent yet");
    let doc = created.body["id"].as_str().unwrap();
    let read = app
        .get(&format!("/api/v1/documents/{doc}"), &o.author.access)
        .await;
    assert_eq!(read.ok()["exchange"], *ex);

    // Each recipient is checked; a refused one stores nothing.
    let before = app.get("/api/v1/documents", &o.author.access).await;
    let count = before.ok()["items"].as_array().unwrap().len();
    let own = app.admin_org(&o.admin).await;
    for (bad, why) in [
        (
            json!([{"organization_id": "0195f000-0000-7000-8000-000000000000"}]),
            "no such organisation",
        ),
        (json!([{"code": "000.00.00.G22"}]), "needs its name"),
        (json!([{"organization_id": own}]), "itself"),
        (json!([{"code": "SO-TTTT", "name": "Sở"}]), "QCVN 102"),
        (
            json!([{"organization_id": unit}, {"code": "000.01.00.H52"}]),
            "twice",
        ),
    ] {
        let refused = app
            .upload(&o.author.access, outgoing(bad), vec![("cv.pdf", pdf("x"))])
            .await;
        let detail = refused.problem(422, "validation_failed")["detail"]
            .as_str()
            .unwrap();
        assert!(detail.contains(why), "{detail}");
    }
    let after = app.get("/api/v1/documents", &o.author.access).await;
    assert_eq!(after.ok()["items"].as_array().unwrap().len(), count);

    // A clerk types what the sender wrote on a paper document; search finds it by its symbol.
    let (_, pw) = app.active_user(&o.admin, "vanthu.ubnd", &["clerk"]).await;
    let clerk = app.login_ok("vanthu.ubnd", &pw, "desk").await;
    let incoming = app
        .upload(
            &clerk.access,
            json!({
                "direction": "incoming", "doc_type": "QĐ", "urgency": "urgent",
                "confidentiality": "none", "summary": "Quyết định về công tác cán bộ",
                "issuer": "Tỉnh ủy Ninh Bình", "issuer_code": "000.00.00.A52",
                "number": 1945, "symbol": "1945-QĐ/TU", "issued_on": "2026-11-28",
                "received_on": "2026-11-30",
                "signer": {"competence": "TM. BAN THƯỜNG VỤ", "position": "BÍ THƯ",
                           "full_name": "Đoàn Minh Huấn"},
            }),
            vec![("quyet-dinh.pdf", pdf("Quyet dinh"))],
        )
        .await;
    let body = incoming.ok();
    assert_eq!(body["symbol"], "1945-QĐ/TU");
    assert_eq!(body["issued_on"], "2026-11-28");
    assert_eq!(body["exchange"]["issuer_code"], "000.00.00.A52");
    assert_eq!(body["exchange"]["received_on"], "2026-11-30");
    assert_eq!(body["exchange"]["signer"]["full_name"], "Đoàn Minh Huấn");
    let found = app
        .get("/api/v1/documents?q=1945-qd/tu", &clerk.access)
        .await;
    let ids: Vec<_> = found.ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].clone())
        .collect();
    assert_eq!(ids, [body["id"].clone()]);
    // The sender's particulars belong to incoming documents; they go together.
    let mut wrong = outgoing(json!([]));
    wrong["symbol"] = json!("1945-QĐ/TU");
    let refused = app
        .upload(&o.author.access, wrong, vec![("x.pdf", pdf("x"))])
        .await;
    assert!(
        refused.problem(422, "validation_failed")["detail"]
            .as_str()
            .unwrap()
            .starts_with("symbol:")
    );
    let half = json!({
        "direction": "incoming", "doc_type": "QĐ", "urgency": "normal",
        "confidentiality": "none", "summary": "Quyết định", "symbol": "12-QĐ/TU",
    });
    app.upload(&clerk.access, half, vec![("x.pdf", pdf("x"))])
        .await
        .problem(422, "validation_failed");
}
