//! PostgreSQL ending the server's connections, as a restart or a failover does: a request it
//! catches answers 503 with Retry-After, never 500, and the server carries on with new
//! connections by itself.

use crate::helpers::{Backend, spawn_app};

#[tokio::test]
async fn requests_caught_by_dropped_database_connections_answer_503_and_the_next_succeed() {
    let app = spawn_app(Backend::Postgres).await;
    let admin = app.admin().await;
    app.get("/api/v1/documents", &admin.access).await.ok();

    app.drop_database_connections();
    let mut answers = Vec::new();
    for _ in 0..12 {
        let reply = app.get("/api/v1/documents", &admin.access).await;
        if reply.status.as_u16() == 503 {
            reply.problem(503, "database_unavailable");
            assert!(reply.headers.contains_key("retry-after"));
        } else {
            reply.ok();
        }
        answers.push(reply.status.as_u16());
    }
    assert_eq!(
        answers.last(),
        Some(&200),
        "the server did not recover: {answers:?}"
    );
}
