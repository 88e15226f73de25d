//! The admin console's files at `/console`: served from `CONSOLE_DIR` under a strict
//! Content-Security-Policy, and a page that says what to run while there is no build.

use crate::helpers::{Backend, TestApp, on_both_databases, spawn_app, spawn_app_with};

on_both_databases!(
    the_built_console_is_served_under_a_strict_policy,
    without_a_build_the_console_says_how_to_build_it,
);

/// A GET without a token, as a browser makes it.
async fn fetch(app: &TestApp, path: &str) -> reqwest::Response {
    app.http
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap()
}

fn csp(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn the_built_console_is_served_under_a_strict_policy(db: Backend) {
    let root = std::env::temp_dir().join(format!("vanban-console-{}", uuid::Uuid::new_v4()));
    let dir = root.join("dist");
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><script type=\"module\" src=\"/console/assets/app.js\"></script>",
    )
    .unwrap();
    std::fs::write(dir.join("assets/app.js"), "console.log('vanban')").unwrap();
    std::fs::write(root.join("secret.txt"), "outside").unwrap();
    let app = spawn_app_with(db, &[("CONSOLE_DIR", dir.to_str().unwrap())]).await;

    for path in ["/console/", "/console"] {
        let index = app
            .http
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(index.status(), 200, "{path}");
        let policy = csp(&index);
        assert!(policy.contains("script-src 'self'"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        assert_eq!(index.headers()["x-content-type-options"], "nosniff");
        assert!(
            index
                .text()
                .await
                .unwrap()
                .contains("/console/assets/app.js")
        );
    }
    let script = fetch(&app, "/console/assets/app.js").await;
    assert_eq!(script.status(), 200);
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    assert!(!csp(&script).is_empty());
    for missing in [
        "/console/assets/none.js",
        "/console/../secret.txt",
        "/console/%2e%2e/secret.txt",
    ] {
        let resp = fetch(&app, missing).await;
        assert_eq!(resp.status(), 404, "{missing}");
        assert!(!resp.text().await.unwrap().contains("outside"), "{missing}");
    }
    // The API keeps answering as before beside it.
    let spec = fetch(&app, "/openapi.json").await;
    assert_eq!(spec.status(), 200);
    assert!(spec.headers().get("content-security-policy").is_none());
    std::fs::remove_dir_all(&root).ok();
}

async fn without_a_build_the_console_says_how_to_build_it(db: Backend) {
    let app = spawn_app(db).await;
    let resp = fetch(&app, "/console/").await;
    assert_eq!(resp.status(), 404);
    assert!(!csp(&resp).is_empty());
    assert!(resp.text().await.unwrap().contains("scripts/console"));
}
