//! Documents: upload, read, download; classified refusals; visibility.

use serde_json::{Value, json};

use crate::helpers::{
    ADMIN_PASSWORD, Backend, TestApp, Tokens, append_update, next_object_number, on_both_databases,
    pdf, spawn_app,
};

on_both_databases!(
    a_draft_is_uploaded_read_back_and_downloaded_whole_or_in_part,
    a_classified_document_is_refused_and_nothing_of_it_is_stored,
    a_file_that_is_not_a_pdf_is_refused,
    another_organisation_cannot_see_the_document,
    search_finds_words_without_diacritics_within_what_i_may_see,
    a_retried_upload_with_the_same_key_stores_one_document,
    an_upload_cut_short_does_not_hold_its_key,
);

/// A specialist of the admin's organisation, signed in on their phone.
async fn specialist(app: &TestApp, username: &str) -> Tokens {
    let admin = app.admin().await;
    let (_, password) = app.active_user(&admin, username, &["specialist"]).await;
    app.login_ok(username, &password, "phone").await
}

fn draft(confidentiality: &str) -> Value {
    json!({
        "direction": "outgoing", "doc_type": "TTr", "urgency": "urgent",
        "summary": "Tờ trình về việc ban hành Kế hoạch chuyển đổi số năm 2027",
        "confidentiality": confidentiality,
    })
}

async fn a_draft_is_uploaded_read_back_and_downloaded_whole_or_in_part(db: Backend) {
    let app = spawn_app(db).await;
    let me = specialist(&app, "chuyenvien.binh").await;
    let main = pdf("To trinh");
    let appendix = pdf("Phu luc");
    let created = app
        .upload(
            &me.access,
            draft("none"),
            vec![("Tờ trình.pdf", main.clone()), ("phu-luc.pdf", appendix)],
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let doc = created.body.clone();
    assert_eq!(doc["state"], "draft");
    assert_eq!(doc["files"].as_array().unwrap().len(), 2);
    assert_eq!(doc["files"][0]["name"], "Tờ trình.pdf");
    assert_eq!(doc["files"][0]["size"], main.len());
    assert_eq!(doc["files"][0]["current"], true);

    let id = doc["id"].as_str().unwrap();
    let read = app
        .get(&format!("/api/v1/documents/{id}"), &me.access)
        .await;
    assert_eq!(read.ok()["summary"], doc["summary"]);
    let etag = read.headers["etag"].to_str().unwrap().to_owned();
    let unchanged = app
        .http
        .get(format!("{}/api/v1/documents/{id}", app.base))
        .bearer_auth(&me.access)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(unchanged.status(), 304);

    let file = doc["files"][0]["id"].as_str().unwrap();
    let url = format!("{}/api/v1/documents/{id}/files/{file}", app.base);
    let whole = app
        .http
        .get(&url)
        .bearer_auth(&me.access)
        .send()
        .await
        .unwrap();
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["content-type"], "application/pdf");
    assert_eq!(whole.bytes().await.unwrap().to_vec(), main);
    let part = app
        .http
        .get(&url)
        .bearer_auth(&me.access)
        .header("range", "bytes=0-7")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 0-7/{}", main.len()).as_str()
    );
    assert_eq!(part.bytes().await.unwrap().to_vec(), b"%PDF-1.7".to_vec());
}

async fn a_classified_document_is_refused_and_nothing_of_it_is_stored(db: Backend) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    for level in ["confidential", "secret", "top_secret"] {
        let refused = app
            .upload(&admin.access, draft(level), vec![("mat.pdf", pdf("Mat"))])
            .await;
        refused.problem(422, "classified_document_refused");
    }
    assert!(
        app.stored_files().is_empty(),
        "stored: {:?}",
        app.stored_files()
    );
    let logs = app.logs_through("classified document refused").await;
    assert!(
        !logs.contains("Mat"),
        "no content of the refused document is logged"
    );
}

async fn a_file_that_is_not_a_pdf_is_refused(db: Backend) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F'];
    app.upload(&admin.access, draft("none"), vec![("anh.pdf", jpeg)])
        .await
        .problem(415, "not_a_pdf");
    let mut truncated = pdf("Cut");
    truncated.truncate(truncated.len() / 2);
    app.upload(&admin.access, draft("none"), vec![("cut.pdf", truncated)])
        .await
        .problem(415, "not_a_pdf");
    app.upload(&admin.access, draft("none"), vec![])
        .await
        .problem(400, "invalid_upload");
    // A small file whose object nests too deeply to parse safely: refused at once, by name.
    let plain = pdf("Bom");
    let nested = "[".repeat(40) + &"]".repeat(40);
    let bomb = append_update(&plain, &[(next_object_number(&plain), nested)]);
    let refused = app
        .upload(&admin.access, draft("none"), vec![("bom.pdf", bomb)])
        .await;
    refused.problem(422, "pdf_too_complex");
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("nests more than 32 levels"),
        "{}",
        refused.body
    );
}

async fn another_organisation_cannot_see_the_document(db: Backend) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let created = app
        .upload(&admin.access, draft("none"), vec![("a.pdf", pdf("A"))])
        .await;
    let id = created.ok()["id"].as_str().unwrap().to_owned();
    let file = created.body["files"][0]["id"].as_str().unwrap().to_owned();
    app.world.create_admin("other.admin", "UBND-KHAC");
    let other = app.login_ok("other.admin", ADMIN_PASSWORD, "other").await;
    app.get(&format!("/api/v1/documents/{id}"), &other.access)
        .await
        .problem(404, "not_found");
    app.get(
        &format!("/api/v1/documents/{id}/files/{file}"),
        &other.access,
    )
    .await
    .problem(404, "not_found");
    app.get(
        &format!("/api/v1/documents/{}", uuid::Uuid::new_v4()),
        &admin.access,
    )
    .await
    .problem(404, "not_found");
}

async fn search_finds_words_without_diacritics_within_what_i_may_see(db: Backend) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    for (summary, issuer) in [
        (
            "Quyết định về việc thành lập Ban chỉ đạo",
            "Tỉnh ủy Hà Giang",
        ),
        (
            "Ứng dụng và phát triển công nghệ thông tin năm 2027",
            "Sở Khoa học và Công nghệ",
        ),
        ("Kế hoạch chuyển đổi số", "Ủy ban nhân dân tỉnh"),
        ("Thông báo lịch họp", "Văn phòng Tỉnh ủy"),
    ] {
        let mut metadata = draft("none");
        metadata["summary"] = json!(summary);
        metadata["issuer"] = json!(issuer);
        app.upload(&admin.access, metadata, vec![("a.pdf", pdf("A"))])
            .await
            .ok();
    }
    let search = |q: &str| {
        let mut url = reqwest::Url::parse("http://app/api/v1/documents").unwrap();
        url.query_pairs_mut().append_pair("q", q);
        let path = format!("{}?{}", url.path(), url.query().unwrap());
        let app = &app;
        let token = admin.access.clone();
        async move {
            let found = app.get(&path, &token).await;
            found.ok()["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["summary"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let ung_dung = "Ứng dụng và phát triển công nghệ thông tin năm 2027";
    for (q, expected) in [
        // Words apart, in any order, with or without diacritics, any case.
        (
            "quyet dinh",
            vec!["Quyết định về việc thành lập Ban chỉ đạo"],
        ),
        ("ung dung cong nghe", vec![ung_dung]),
        ("công nghệ ỨNG DỤNG", vec![ung_dung]),
        ("2027 phat", vec![ung_dung]),
        // Short words (below a trigram) and the issuer.
        ("chuyen doi so", vec!["Kế hoạch chuyển đổi số"]),
        (
            "ha giang ban",
            vec!["Quyết định về việc thành lập Ban chỉ đạo"],
        ),
        // Words found apart in the issuer of three documents; newest first.
        (
            "uy tinh",
            vec![
                "Thông báo lịch họp",
                "Kế hoạch chuyển đổi số",
                "Quyết định về việc thành lập Ban chỉ đạo",
            ],
        ),
        // Every word must be there.
        ("ung dung 2026", vec![]),
        ("quyet-dinh", vec![]),
    ] {
        assert_eq!(search(q).await, expected, "{q:?}");
    }
    assert_eq!(search("%").await.len(), 4, "wildcards are not patterns");

    let first = app.get("/api/v1/documents?limit=3", &admin.access).await;
    assert_eq!(
        first.ok()["items"][0]["summary"],
        "Thông báo lịch họp",
        "newest first"
    );
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    let rest = app
        .get(
            &format!("/api/v1/documents?limit=3&cursor={cursor}"),
            &admin.access,
        )
        .await;
    assert_eq!(rest.ok()["items"].as_array().unwrap().len(), 1);

    app.world.create_admin("other.admin", "UBND-KHAC");
    let other = app.login_ok("other.admin", ADMIN_PASSWORD, "other").await;
    let theirs = app.get("/api/v1/documents?q=quyet", &other.access).await;
    assert!(theirs.ok()["items"].as_array().unwrap().is_empty());
}

/// Search reads the newest documents first and stops at a page: a word all of them hold is
/// paged through there, and one they do not hold is still found further back. On PostgreSQL
/// alone: the documents are written behind the server's back, and the system's `sqlite3` is
/// older than the search index the server's own SQLite keeps.
#[tokio::test]
async fn search_reaches_past_thousands_of_newer_documents() {
    let app = spawn_app(Backend::Postgres).await;
    let admin = app.admin().await;
    let mut metadata = draft("none");
    metadata["summary"] =
        json!("Thực hiện Quyết định 1945-QĐ/TU, phê duyệt dự án thủy điện Nậm Pạc");
    let old = app
        .upload(&admin.access, metadata, vec![("a.pdf", pdf("A"))])
        .await;
    let old = old.ok()["id"].as_str().unwrap().to_owned();
    // 2,100 newer ones (later ids), written behind the server's back: more than a search
    // reads before it turns to the index.
    app.world.execute_sql(&format!(
        "INSERT INTO documents (id, organization_id, direction, doc_type, summary, issuer, \
             urgency, confidentiality, state, author_id, search_text, revision, created_at, \
             updated_at) \
         SELECT CAST('ffffffff-ffff-7fff-8000-' || (100000000000 + i) AS uuid), organization_id, \
             direction, doc_type, 'Công văn về việc họp giao ban', \
             issuer, urgency, confidentiality, state, author_id, \
             'cong van ve viec hop giao ban', revision, created_at, updated_at \
         FROM generate_series(1, 2100) i, documents WHERE id = '{old}'"
    ));
    let search = |query: &str| {
        let mut url = reqwest::Url::parse("http://app/api/v1/documents").unwrap();
        url.query_pairs_mut().append_pair("q", query);
        format!("{}?{}", url.path(), url.query().unwrap())
    };

    let found = app.get(&search("nam pac"), &admin.access).await;
    let items = found.ok()["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["id"], old.as_str());
    // A number/symbol as a clerk types it, in pieces, or without accents; never with its
    // punctuation elsewhere, which names another document.
    for query in ["1945-QĐ/TU", "qd/tu 1945", "1945-qd"] {
        let found = app.get(&search(query), &admin.access).await;
        let items = found.ok()["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{query}: {items:?}");
        assert_eq!(items[0]["id"], old.as_str());
    }
    for query in ["1945/QĐ-TU", "1945qdtu"] {
        let found = app.get(&search(query), &admin.access).await;
        assert_eq!(found.ok()["items"], json!([]), "{query}");
    }

    let first = app
        .get(&format!("{}&limit=3", search("về việc")), &admin.access)
        .await;
    let ids = |reply: &Value| -> Vec<String> {
        reply["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let newest = |i: u64| format!("ffffffff-ffff-7fff-8000-{}", 100_000_000_000 + i);
    assert_eq!(ids(first.ok()), [newest(2100), newest(2099), newest(2098)]);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let next = app
        .get(
            &format!("{}&limit=3&cursor={cursor}", search("về việc")),
            &admin.access,
        )
        .await;
    assert_eq!(ids(next.ok()), [newest(2097), newest(2096), newest(2095)]);
}

async fn a_retried_upload_with_the_same_key_stores_one_document(db: Backend) {
    let app = spawn_app(db).await;
    let me = specialist(&app, "chuyenvien.mang").await;
    let send = |key| {
        app.upload_keyed(
            &me.access,
            draft("none"),
            vec![("to-trinh.pdf", pdf("To trinh"))],
            Some(key),
        )
    };
    let first = send("upload-2f9c").await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert!(first.headers.get("idempotent-replayed").is_none());
    // The answer was lost on a bad network; the app sends it again.
    let again = send("upload-2f9c").await;
    assert_eq!(again.status, 201, "{}", again.body);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.body["id"], first.body["id"]);
    let mine = app.get("/api/v1/documents", &me.access).await;
    assert_eq!(mine.ok()["items"].as_array().unwrap().len(), 1);
    // Another upload is another key.
    let other = send("upload-8d01").await;
    assert_ne!(other.ok()["id"], first.body["id"]);
}

async fn an_upload_cut_short_does_not_hold_its_key(db: Backend) {
    use tokio::io::AsyncWriteExt;

    let app = spawn_app(db).await;
    let me = specialist(&app, "chuyenvien.mang").await;
    // The phone loses its network half-way through the file.
    let boundary = "ranh-gioi-7c1e";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n{}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"to-trinh.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n",
        draft("none")
    );
    let mut partial = head.into_bytes();
    partial.extend_from_slice(&pdf("To trinh")[..200]);
    let addr = app.base.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST /api/v1/documents HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
         Idempotency-Key: upload-mat-mang\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: 500000\r\n\r\n",
        me.access
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    socket.write_all(&partial).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    drop(socket);

    // Back online, the app sends the same upload again with the same key: it is stored,
    // neither refused as "in use" nor answered with the broken attempt's error.
    let mut retry = None;
    for _ in 0..50 {
        let sent = app
            .upload_keyed(
                &me.access,
                draft("none"),
                vec![("to-trinh.pdf", pdf("To trinh"))],
                Some("upload-mat-mang"),
            )
            .await;
        if sent.body["code"] != "idempotency_key_in_use" {
            retry = Some(sent);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let retry = retry.expect("the key was freed");
    assert_eq!(retry.status, 201, "{}", retry.body);
    assert!(retry.headers.get("idempotent-replayed").is_none());
    let mine = app.get("/api/v1/documents", &me.access).await;
    assert_eq!(mine.ok()["items"].as_array().unwrap().len(), 1);
}
