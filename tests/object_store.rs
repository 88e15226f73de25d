//! Files in a shared S3-compatible bucket: two instances on separate machines (separate data
//! directories) serve each other's uploads, whole and by range. The bucket is moto's S3 server
//! on loopback, which speaks S3's REST protocol, multipart uploads included.

use std::{
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

use serde_json::json;

use crate::helpers::{Backend, TestApp, http_client, on_both_databases, pdf_with, spawn_app_with};

on_both_databases!(a_file_uploaded_through_one_instance_downloads_through_another);

const BUCKET: &str = "vanban-files";

/// moto's S3 server on a free loopback port, stopped when dropped.
struct S3Server {
    child: Child,
    url: String,
}

impl S3Server {
    async fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let venv =
            std::env::var("HOME").unwrap_or_default() + "/.cache/vanban/venv/bin/moto_server";
        let program = if Path::new(&venv).exists() {
            venv
        } else {
            "moto_server".into()
        };
        let child = Command::new(program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server runs (scripts/test installs moto[server] in its venv)");
        // Owned at once, so a failure below still stops it (see Drop).
        let server = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let http = http_client();
        for _ in 0..200 {
            if http.get(&server.url).send().await.is_ok() {
                let made = http
                    .put(format!("{}/{BUCKET}", server.url))
                    .send()
                    .await
                    .unwrap();
                assert!(made.status().is_success(), "creating the bucket");
                return server;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("moto_server did not answer on {}", server.url);
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("S3_BUCKET", BUCKET.to_owned()),
            ("S3_ENDPOINT", self.url.clone()),
            ("S3_ACCESS_KEY_ID", "AKIAVANBANTEST".to_owned()),
            ("S3_SECRET_ACCESS_KEY", "not-a-secret-in-a-test".to_owned()),
            ("S3_PREFIX", "files/".to_owned()),
        ]
    }

    /// The object as the bucket holds it.
    async fn object(&self, name: &str) -> reqwest::Response {
        http_client()
            .get(format!("{}/{BUCKET}/files/{name}", self.url))
            .send()
            .await
            .unwrap()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn download(app: &TestApp, token: &str, url: &str, range: Option<&str>) -> reqwest::Response {
    let mut request = app
        .http
        .get(format!("{}{url}", app.base))
        .bearer_auth(token);
    if let Some(range) = range {
        request = request.header("range", range);
    }
    request.send().await.unwrap()
}

fn stored_files(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().is_some_and(|n| n != "tmp"))
        .map(|p| if p.is_dir() { stored_files(&p) } else { 1 })
        .sum()
}

async fn a_file_uploaded_through_one_instance_downloads_through_another(db: Backend) {
    let s3 = S3Server::start().await;
    let env = s3.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let first = spawn_app_with(db, &env).await;
    let second = first.instance_on_another_machine();
    let admin = first.admin().await;

    // Twelve megabytes: three parts of a multipart upload.
    let big = pdf_with("Quy hoach tinh", 12 * 1024 * 1024);
    let created = first
        .upload(
            &admin.access,
            json!({"direction": "outgoing", "doc_type": "KH", "urgency": "normal",
                   "confidentiality": "none", "summary": "Quy hoạch tỉnh thời kỳ 2021-2030"}),
            vec![("quy-hoach.pdf", big.clone())],
        )
        .await;
    let doc = created.ok()["id"].as_str().unwrap().to_owned();
    let file = created.body["files"][0].clone();
    let url = format!(
        "/api/v1/documents/{doc}/files/{}",
        file["id"].as_str().unwrap()
    );
    let in_bucket = s3.object(file["sha256"].as_str().unwrap()).await;
    assert_eq!(in_bucket.status(), 200);
    assert_eq!(in_bucket.bytes().await.unwrap().len(), big.len());

    // The other machine has never seen the file: it streams it from the bucket.
    let whole = download(&second, &admin.access, &url, None).await;
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.bytes().await.unwrap().to_vec(), big);
    let part = download(&second, &admin.access, &url, Some("bytes=6000000-6000099")).await;
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 6000000-6000099/{}", big.len()).as_str()
    );
    assert_eq!(
        part.bytes().await.unwrap().to_vec(),
        big[6_000_000..6_000_100]
    );
    let tail = download(&second, &admin.access, &url, Some("bytes=-10")).await;
    assert_eq!(tail.status(), 206);
    assert_eq!(tail.bytes().await.unwrap().to_vec(), big[big.len() - 10..]);
    let past = download(&second, &admin.access, &url, Some("bytes=99999999-")).await;
    assert_eq!(past.status(), 416);
    assert_eq!(
        stored_files(&second.world.data_dir.join("files")),
        0,
        "nothing of it was kept on the other machine"
    );

    // And the other way round.
    let small = pdf_with("Bao cao", 1000);
    let other = second
        .upload(
            &admin.access,
            json!({"direction": "outgoing", "doc_type": "BC", "urgency": "normal",
                   "confidentiality": "none", "summary": "Báo cáo tháng 11"}),
            vec![("bao-cao.pdf", small.clone())],
        )
        .await;
    let other_url = format!(
        "/api/v1/documents/{}/files/{}",
        other.ok()["id"].as_str().unwrap(),
        other.body["files"][0]["id"].as_str().unwrap()
    );
    let back = download(&first, &admin.access, &other_url, None).await;
    assert_eq!(back.status(), 200);
    assert_eq!(back.bytes().await.unwrap().to_vec(), small);
}
