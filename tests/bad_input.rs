//! Bad input gets a clear problem+json answer and changes nothing.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use ed25519_dalek::pkcs8::{EncodePrivateKey, spki::der::pem::LineEnding};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{ADMIN, Backend, TestApp, on_both_databases, reply, spawn_app};

on_both_databases!(
    malformed_bodies_are_refused_and_change_nothing,
    a_search_with_control_characters_is_answered,
    tokens_that_are_not_ours_are_refused
);

async fn raw(
    app: &TestApp,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> crate::helpers::Reply {
    let resp = app
        .http
        .post(format!("{}{path}", app.base))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    reply(resp).await
}

async fn malformed_bodies_are_refused_and_change_nothing(db: Backend) {
    let app = spawn_app(db).await;
    let login = "/api/v1/auth/login";
    raw(&app, login, "application/json", b"{\"username\": ".to_vec())
        .await
        .problem(400, "invalid_request");
    raw(&app, login, "application/json", Vec::new())
        .await
        .problem(400, "invalid_request");
    raw(
        &app,
        login,
        "application/json",
        vec![0xff, 0xfe, b'{', b'}'],
    )
    .await
    .problem(400, "invalid_request");
    raw(&app, login, "text/plain", b"hello".to_vec())
        .await
        .problem(415, "unsupported_media_type");
    // 10 MB announced: refused from the headers alone, before a byte of the body is read.
    let head = format!(
        "POST {login} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        10 * 1024 * 1024
    );
    let answer = raw_exchange(&app, head.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains("application/problem+json") && answer.contains("payload_too_large"),
        "{answer}"
    );
    // Chunked, with no length announced: cut off once past the limit (64 KiB by default).
    let chunk = format!("{{\"username\": \"{}\"}}", "a".repeat(80 * 1024));
    let stream = futures_util::stream::iter([Ok::<_, std::io::Error>(chunk.into_bytes())]);
    let resp = app
        .http
        .post(format!("{}{login}", app.base))
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    let chunked = reply(resp).await;
    assert!(
        chunked.problem(400, "invalid_request")["detail"]
            .as_str()
            .unwrap()
            .contains("larger than 65536 bytes")
    );
    let device = json!({"device_id": "d", "platform": "android", "name": "n", "app_version": "1"});
    let overlong = json!({"username": "a".repeat(65), "password": "x", "device": device});
    app.post(login, None, overlong)
        .await
        .problem(400, "invalid_request");
    let unknown_field =
        json!({"username": ADMIN, "password": "x", "device": device, "is_admin": true});
    app.post(login, None, unknown_field)
        .await
        .problem(400, "invalid_request");
    let bad_platform = json!({"username": ADMIN, "password": "x", "device": {"device_id": "d", "platform": "symbian", "name": "n", "app_version": "1"}});
    app.post(login, None, bad_platform)
        .await
        .problem(400, "invalid_request");

    let admin = app.admin().await;
    let org = app.admin_org(&admin).await;
    let users = "/api/v1/admin/users";
    let bad_users: Vec<Value> = vec![
        json!({"username": "x y", "full_name": "A", "title": "", "organization_id": org, "roles": [], "default_password": "mat-khau-tam-2026"}),
        json!({"username": "new.user", "full_name": "A", "title": "", "organization_id": org, "roles": ["emperor"], "default_password": "mat-khau-tam-2026"}),
        json!({"username": "new.user", "full_name": "A", "title": "", "organization_id": "not-a-uuid", "roles": [], "default_password": "mat-khau-tam-2026"}),
        json!({"username": "new.user", "full_name": "A", "title": "", "organization_id": org, "roles": [], "default_password": "short"}),
    ];
    let codes = [
        (400, "invalid_request"),
        (400, "invalid_request"),
        (400, "invalid_request"),
        (422, "weak_password"),
    ];
    for (body, (status, code)) in bad_users.into_iter().zip(codes) {
        app.post(users, Some(&admin.access), body)
            .await
            .problem(status, code);
    }
    let listed = app.get(users, &admin.access).await;
    assert_eq!(
        listed.ok()["items"].as_array().unwrap().len(),
        1,
        "nothing was created"
    );
    app.send(
        Method::PUT,
        "/api/v1/me/push-token",
        Some(&admin.access),
        Some(json!({"push_token": "has spaces"})),
    )
    .await
    .problem(400, "invalid_request");
    app.get("/api/v1/admin/users/not-a-uuid/sessions", &admin.access)
        .await
        .problem(400, "invalid_request");
    app.send(Method::PUT, "/api/v1/me", Some(&admin.access), None)
        .await
        .problem(405, "method_not_allowed");
}

/// Writes `request` on a fresh connection and reads the whole answer.
pub(crate) async fn raw_exchange(app: &TestApp, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    socket.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let read = socket.read_to_end(&mut answer);
    tokio::time::timeout(std::time::Duration::from_secs(10), read)
        .await
        .expect("the server answers without waiting for the body")
        .unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

fn sign(claims: &Value, kid: &str, pem: &[u8]) -> String {
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_pem(pem).unwrap()).unwrap()
}

async fn tokens_that_are_not_ours_are_refused(db: Backend) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    let me = "/api/v1/me";
    let part = |i: usize| admin.access.split('.').nth(i).unwrap().to_owned();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part(0)).unwrap()).unwrap();
    let kid = header["kid"].as_str().unwrap().to_owned();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part(1)).unwrap()).unwrap();
    let key = std::fs::read(app.world.data_dir.join("keys/jwt-ed25519.pem")).unwrap();

    // Signed with our own key but expired: the app should refresh.
    let mut expired = claims.clone();
    expired["iat"] = json!(claims["iat"].as_i64().unwrap() - 3600);
    expired["exp"] = json!(claims["iat"].as_i64().unwrap() - 60);
    app.get(me, &sign(&expired, &kid, &key))
        .await
        .problem(401, "token_expired");

    let other_key = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng)
        .to_pkcs8_pem(LineEnding::LF)
        .unwrap();
    app.get(me, &sign(&claims, &kid, other_key.as_bytes()))
        .await
        .problem(401, "invalid_token");

    let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    app.get(me, &format!("{none_header}.{}.", part(1)))
        .await
        .problem(401, "invalid_token");

    let mut elevated = claims.clone();
    elevated["sub"] = json!(uuid::Uuid::new_v4());
    let tampered = format!(
        "{}.{}.{}",
        part(0),
        URL_SAFE_NO_PAD.encode(elevated.to_string()),
        part(2)
    );
    app.get(me, &tampered).await.problem(401, "invalid_token");
    // A valid signature for a user the session does not belong to.
    app.get(me, &sign(&elevated, &kid, &key))
        .await
        .problem(401, "session_revoked");

    app.get(me, "garbage").await.problem(401, "invalid_token");
    app.send(Method::GET, me, None, None)
        .await
        .problem(401, "unauthenticated");
    // None of that disturbed the real session.
    app.get(me, &admin.access).await.ok();
}

/// A query carrying a NUL or other control characters (PostgreSQL's text cannot hold a NUL)
/// is searched for its words, never a server error.
async fn a_search_with_control_characters_is_answered(db: Backend) {
    let app = spawn_app(db).await;
    let admin = app.admin().await;
    for q in ["%C2%A7%00%F4%8A%A4%92", "c%00ng%1Cv%C4%83n", "%00"] {
        let found = app
            .get(&format!("/api/v1/documents?q={q}"), &admin.access)
            .await;
        assert_eq!(found.ok()["items"], json!([]), "{q}");
    }
}
