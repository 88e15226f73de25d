//! Issuing signed outgoing documents: official numbers, given once each, even to clerks issuing
//! at the same instant.

use std::collections::BTreeSet;

use serde_json::json;

use crate::helpers::{Backend, TestApp, Tokens, on_both_databases, pdf, spawn_app};

on_both_databases!(clerks_issuing_at_once_get_consecutive_numbers_never_the_same);

/// A draft submitted to `signer` and marked signed in the database. The signature itself is
/// proven by the signing tests; here only the register matters.
async fn signed_draft(app: &TestApp, author: &Tokens, signer: &str, n: usize) -> String {
    let created = app
        .upload(
            &author.access,
            json!({"direction": "outgoing", "doc_type": "TTr", "urgency": "normal",
                   "confidentiality": "none", "summary": format!("Tờ trình số {n}")}),
            vec![("to-trinh.pdf", pdf("To trinh"))],
        )
        .await;
    let doc = created.ok()["id"].as_str().unwrap().to_owned();
    app.post(
        &format!("/api/v1/documents/{doc}/submit"),
        Some(&author.access),
        json!({"steps": [{"user_id": signer, "action": "sign"}]}),
    )
    .await
    .ok();
    let id = app.world.uuid_literal(&doc);
    app.world.execute_sql(&format!(
        "UPDATE tasks SET status = 'signed' WHERE document_id = {id}; \
         UPDATE documents SET state = 'signed' WHERE id = {id}"
    ));
    doc
}

async fn clerks_issuing_at_once_get_consecutive_numbers_never_the_same(db: Backend) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let (_, pw) = app
        .active_user(&admin, "chuyenvien.so", &["specialist"])
        .await;
    let author = app.login_ok("chuyenvien.so", &pw, "phone").await;
    let (signer, _) = app.active_user(&admin, "lanhdao.so", &["leader"]).await;
    let mut clerks = Vec::new();
    for name in ["vanthu.mot", "vanthu.hai"] {
        let (_, pw) = app.active_user(&admin, name, &["clerk"]).await;
        clerks.push(app.login_ok(name, &pw, "desk").await);
    }
    let mut docs = Vec::new();
    for n in 0..8 {
        docs.push(signed_draft(&app, &author, &signer, n).await);
    }

    // Not a clerk; not yet signed.
    app.post(
        &format!("/api/v1/documents/{}/issue", docs[0]),
        Some(&author.access),
        json!({}),
    )
    .await
    .problem(403, "forbidden");

    let issued = futures_util::future::join_all(docs.iter().enumerate().map(|(i, doc)| {
        let (app, clerk) = (&app, &clerks[i % 2]);
        let path = format!("/api/v1/documents/{doc}/issue");
        async move { app.post(&path, Some(&clerk.access), json!({})).await }
    }))
    .await;
    let numbers: BTreeSet<i64> = issued
        .iter()
        .map(|r| r.ok()["number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, (1..=8).collect(), "{numbers:?}");
    for reply in &issued {
        let n = reply.body["number"].as_i64().unwrap();
        assert_eq!(reply.body["symbol"], format!("{n:02}/TTr-ROOT"));
        assert_eq!(reply.body["state"], "issued");
    }

    // Issued once: a second issuance changes nothing.
    let first = &issued[0].body;
    app.post(
        &format!("/api/v1/documents/{}/issue", docs[0]),
        Some(&clerks[0].access),
        json!({}),
    )
    .await
    .problem(409, "wrong_document_state");
    let read = app
        .get(&format!("/api/v1/documents/{}", docs[0]), &author.access)
        .await;
    assert_eq!(read.ok()["state"], "issued");
    assert_eq!(read.body["symbol"], first["symbol"]);
    assert_eq!(read.body["issued_on"], first["issued_on"]);
}
