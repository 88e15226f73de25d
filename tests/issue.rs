//! Issuing signed outgoing documents: the organisation's seal joins the leader's signature, and
//! official numbers are given once each, even to clerks issuing at the same instant, and search
//! finds them.

use std::collections::{BTreeSet, HashMap};

use serde_json::json;

use crate::{
    helpers::{Backend, on_both_databases, pdf, spawn_app_with},
    signing::{office, provision, seal},
};

on_both_databases!(clerks_issuing_at_once_get_consecutive_numbers_never_the_same);

async fn clerks_issuing_at_once_get_consecutive_numbers_never_the_same(db: Backend) {
    let app = spawn_app_with(db, &[("DEV_CA", "true")]).await;
    let o = office(&app).await;
    provision(&app, &o).await;
    let mut clerks = Vec::new();
    for name in ["vanthu.mot", "vanthu.hai"] {
        let (_, pw) = app.active_user(&o.admin, name, &["clerk"]).await;
        clerks.push(app.login_ok(name, &pw, "desk").await);
    }

    // Eight drafts reach the leader's sign step; one PIN entry signs them all.
    let mut main_file = HashMap::new();
    for n in 0..8 {
        let created = app
            .upload(
                &o.author.access,
                json!({"direction": "outgoing", "doc_type": "TTr", "urgency": "normal",
                       "confidentiality": "none", "summary": format!("Tờ trình số {n}")}),
                vec![("to-trinh.pdf", pdf("To trinh"))],
            )
            .await;
        let doc = created.ok()["id"].as_str().unwrap().to_owned();
        main_file.insert(doc.clone(), created.body["files"][0]["id"].clone());
        app.post(
            &format!("/api/v1/documents/{doc}/submit"),
            Some(&o.author.access),
            json!({"steps": [{"user_id": o.leader.0, "action": "sign"}]}),
        )
        .await
        .ok();
    }
    let inbox = app.get("/api/v1/inbox", &o.leader.1.access).await;
    let mut requests = Vec::new();
    for item in inbox.ok()["items"].as_array().unwrap() {
        let task = item["task"]["id"].as_str().unwrap();
        let file = &main_file[item["document_id"].as_str().unwrap()];
        let made = app
            .post(
                &format!("/api/v1/tasks/{task}/signing-requests"),
                Some(&o.leader.1.access),
                json!({ "file_id": file }),
            )
            .await;
        requests.push(json!({"id": made.ok()["id"], "digest": made.ok()["digest"]}));
    }
    let signed = app
        .post(
            "/api/v1/signing-requests/confirm",
            Some(&o.leader.1.access),
            json!({"requests": requests, "pin": "246810"}),
        )
        .await;
    assert_eq!(signed.ok()["items"].as_array().unwrap().len(), 8);
    let docs: Vec<String> = main_file.keys().cloned().collect();

    // No seal yet: nothing is issued, and no number is used up.
    app.post(
        &format!("/api/v1/documents/{}/issue", docs[0]),
        Some(&clerks[0].access),
        json!({}),
    )
    .await
    .problem(409, "organization_seal_missing");
    seal(&app, &o).await;
    // Only clerks issue.
    app.post(
        &format!("/api/v1/documents/{}/issue", docs[0]),
        Some(&o.author.access),
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

    // Search finds an issued document by its number and symbol, whole or in part.
    let found = |q: &'static str| {
        let (app, token) = (&app, &o.author.access);
        async move {
            let reply = app.get(&format!("/api/v1/documents?q={q}"), token).await;
            let symbols: BTreeSet<String> = reply.ok()["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["symbol"].as_str().unwrap().to_owned())
                .collect();
            symbols
        }
    };
    assert_eq!(
        found("03/TTr-ROOT").await,
        BTreeSet::from(["03/TTr-ROOT".to_owned()])
    );
    assert_eq!(
        found("ttr-root%2005").await,
        BTreeSet::from(["05/TTr-ROOT".to_owned()])
    );
    assert_eq!(found("TTR-ROOT").await.len(), 8);

    // Issued once: a second issuance changes nothing. Both signatures hold.
    let first = &issued[0].body;
    app.post(
        &format!("/api/v1/documents/{}/issue", docs[0]),
        Some(&clerks[0].access),
        json!({}),
    )
    .await
    .problem(409, "wrong_document_state");
    let read = app
        .get(&format!("/api/v1/documents/{}", docs[0]), &o.author.access)
        .await;
    assert_eq!(read.ok()["state"], "issued");
    assert_eq!(read.body["symbol"], first["symbol"]);
    assert_eq!(read.body["issued_on"], first["issued_on"]);
    let checks = app
        .get(
            &format!("/api/v1/documents/{}/signatures", docs[0]),
            &o.author.access,
        )
        .await;
    let valid: Vec<_> = checks.ok()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["valid"].as_bool().unwrap())
        .collect();
    assert_eq!(valid, [true, true], "{}", checks.body);
}
