//! What operators rely on: health, metrics, request ids, the spec, the docs, clean logs and a
//! clear refusal to start without its services.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{ADMIN_PASSWORD, Backend, api_bin, on_both_databases, spawn_app};

on_both_databases!(health_metrics_and_request_ids, secrets_never_reach_the_logs);

async fn health_metrics_and_request_ids(db: Backend) {
    let app = spawn_app(db).await;
    let live = app.send(Method::GET, "/health/live", None, None).await;
    assert_eq!(live.ok()["status"], "ok");
    let ready = app.send(Method::GET, "/health/ready", None, None).await;
    assert_eq!(ready.ok()["database"], "ok");
    assert_eq!(ready.body["redis"], "ok");

    let resp = app
        .http
        .get(format!("{}/api/v1/me", app.base))
        .header("x-request-id", "app-trace-12345")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-request-id"], "app-trace-12345");
    let problem = crate::helpers::reply(resp).await;
    assert_eq!(
        problem.problem(401, "unauthenticated")["request_id"],
        "app-trace-12345"
    );
    // The request id is in the logs.
    app.logs_through("app-trace-12345").await;

    app.admin().await;
    let metrics = app.metrics().await;
    assert!(metrics.contains(r#"operation="login""#), "{metrics}");
    assert!(metrics.contains("http_request_duration_seconds"));
}

async fn secrets_never_reach_the_logs(db: Backend) {
    let app = spawn_app(db).await;
    let tokens = app.admin().await;
    let refreshed = app.refresh_ok(&tokens.refresh).await;
    app.login(crate::helpers::ADMIN, "a-wrong-guess-1234", "x")
        .await;
    app.post(
        "/api/v1/auth/password",
        Some(&refreshed.access),
        json!({"current_password": ADMIN_PASSWORD, "new_password": "brand-new-secret-2026"}),
    )
    .await
    .ok();
    // The password change logs last, so every line before it has been read.
    let logs = app.logs_through("password changed").await;
    for secret in [
        ADMIN_PASSWORD,
        "a-wrong-guess-1234",
        "brand-new-secret-2026",
        &tokens.refresh,
        &tokens.access,
        &refreshed.refresh,
    ] {
        assert!(!logs.contains(secret), "a secret reached the logs");
    }
}

/// The spec as `api openapi` prints it.
fn printed_spec() -> serde_json::Value {
    let printed = std::process::Command::new(api_bin())
        .arg("openapi")
        .output()
        .unwrap();
    assert!(printed.status.success());
    serde_json::from_slice(&printed.stdout).unwrap()
}

#[tokio::test]
async fn the_committed_spec_is_what_the_binary_serves() {
    let printed = printed_spec();
    let committed_path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/openapi.json");
    let committed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&committed_path).unwrap()).unwrap();
    assert!(
        printed == committed,
        "openapi/openapi.json is stale: regenerate it with `api openapi > openapi/openapi.json`"
    );

    let app = spawn_app(Backend::Sqlite).await;
    let served: serde_json::Value = app
        .http
        .get(format!("{}/openapi.json", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(served, committed);
    let docs = app
        .http
        .get(format!("{}/docs", app.base))
        .send()
        .await
        .unwrap();
    assert!(docs.status().is_success());
    assert!(docs.text().await.unwrap().contains("swagger"));
}

#[tokio::test]
async fn every_operation_is_tagged_summarised_and_documents_its_errors() {
    let spec = printed_spec();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let name = format!("{method} {path}");
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{name} has no summary"
            );
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{name} has no tag"
            );
            assert!(op["operationId"].is_string(), "{name} has no operationId");
            for body in op["requestBody"]["content"]
                .as_object()
                .into_iter()
                .chain(op["responses"].as_object().into_iter().flat_map(|r| {
                    r.iter()
                        .filter(|(status, _)| status.starts_with('2'))
                        .filter_map(|(_, resp)| resp["content"].as_object())
                }))
                .flat_map(|content| content.values())
            {
                let Some(name) = body["schema"]["$ref"].as_str() else {
                    continue;
                };
                let schema = &spec["components"]["schemas"]
                    [name.trim_start_matches("#/components/schemas/")];
                assert!(
                    schema["example"].is_object(),
                    "{name} (in {method} {path}) has no example"
                );
            }
            if path.starts_with("/api/") {
                let responses = op["responses"].as_object().unwrap();
                assert!(
                    responses.contains_key("500"),
                    "{name} does not document 500"
                );
                let problem = &responses["500"]["content"]["application/problem+json"];
                assert!(problem.is_object(), "{name}: errors are not problem+json");
                if op.get("security").is_some() {
                    assert!(
                        responses.contains_key("401"),
                        "{name} does not document 401"
                    );
                }
            }
        }
    }
}

#[test]
fn the_spec_declares_the_headers_and_closed_sets_clients_need() {
    let spec = printed_spec();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let name = format!("{method} {path}");
            let mutating = ["post", "put", "patch", "delete"].contains(&method.as_str());
            let keyed = op["parameters"].as_array().is_some_and(|params| {
                params
                    .iter()
                    .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header")
            });
            assert_eq!(
                keyed,
                mutating && op.get("security").is_some(),
                "{name}: Idempotency-Key is declared where it is honoured"
            );
            for (status, response) in op["responses"].as_object().unwrap() {
                let headers = &response["headers"];
                assert!(
                    headers["X-Request-Id"].is_object(),
                    "{name} {status}: no X-Request-Id"
                );
                if path.starts_with("/api/") && (status == "429" || status == "503") {
                    assert!(
                        headers["Retry-After"].is_object(),
                        "{name} {status}: no Retry-After"
                    );
                }
            }
        }
    }
    // A described reference is `allOf: [$ref]`: generators refuse an `allOf` of an enum
    // with a member that only repeats the description.
    fn check(value: &serde_json::Value, at: &str) {
        match value {
            serde_json::Value::Object(map) => {
                if let Some(all_of) = map.get("allOf").and_then(|a| a.as_array()) {
                    assert!(
                        all_of.iter().all(|m| m.get("$ref").is_some()),
                        "{at}: allOf with a member that is not a reference"
                    );
                }
                for (key, v) in map {
                    check(v, &format!("{at}/{key}"));
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| check(v, at)),
            _ => {}
        }
    }
    check(&spec, "");
    let schemas = &spec["components"]["schemas"];
    let values = |name: &str| schemas[name]["enum"].clone();
    assert_eq!(
        values("TaskStatus"),
        serde_json::json!([
            "pending",
            "waiting",
            "approved",
            "signed",
            "returned",
            "forwarded",
            "completed",
            "cancelled"
        ])
    );
    assert_eq!(
        schemas["Task"]["properties"]["action"]["$ref"],
        "#/components/schemas/TaskAction"
    );
    assert_eq!(
        schemas["Document"]["properties"]["state"]["$ref"],
        "#/components/schemas/DocumentState"
    );
    assert!(values("AuditAction").as_array().unwrap().len() > 10);
}

#[test]
fn the_server_refuses_to_start_without_redis_and_names_it() {
    let dir = std::env::temp_dir().join(format!("vanban-e2e-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = std::process::Command::new(api_bin())
        .arg("serve")
        .current_dir(&dir)
        .env("DATA_DIR", &dir)
        .env_remove("DATABASE_URL")
        .env("REDIS_URL", "redis://127.0.0.1:1")
        .env("BIND_ADDR", "127.0.0.1:0")
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: cannot reach Redis at 127.0.0.1:1"),
        "{stderr}"
    );
}
