//! Redis going away and coming back: requests that need it answer 503 with a clear code and
//! Retry-After meanwhile, and the server recovers by itself.

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use crate::helpers::{ADMIN, ADMIN_PASSWORD, Backend, on_both_databases, spawn_app_with};

on_both_databases!(requests_answer_503_while_redis_is_down_and_recover);

/// A Redis of the test's own on a spare loopback port, without persistence.
struct OwnRedis {
    port: u16,
    child: Option<Child>,
}

impl OwnRedis {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let mut redis = Self { port, child: None };
        redis.restart();
        redis
    }

    fn restart(&mut self) {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server runs");
        self.child = Some(child);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server did not listen on {}", self.port);
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn requests_answer_503_while_redis_is_down_and_recover(db: Backend) {
    let mut redis = OwnRedis::start();
    let url = format!("redis://127.0.0.1:{}", redis.port);
    let app = spawn_app_with(db, &[("REDIS_URL", &url)]).await;
    let admin = app.admin().await;
    app.get("/api/v1/me", &admin.access).await.ok();

    redis.stop();
    for reply in [
        app.get("/api/v1/me", &admin.access).await,
        app.login(ADMIN, ADMIN_PASSWORD, "laptop").await,
        app.refresh(&admin.refresh).await,
    ] {
        reply.problem(503, "session_store_unavailable");
        let retry: u64 = reply.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(retry >= 1);
    }

    // Back (empty: sessions lived only in Redis): the server reconnects by itself.
    redis.restart();
    let mut back = None;
    for _ in 0..100 {
        let login = app.login(ADMIN, ADMIN_PASSWORD, "laptop").await;
        if login.status != 503 {
            back = Some(login);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let tokens = crate::helpers::Tokens::from_json(back.expect("logins work again").ok());
    app.get("/api/v1/me", &tokens.access).await.ok();
    app.get("/api/v1/me", &admin.access)
        .await
        .problem(401, "session_revoked");
}
