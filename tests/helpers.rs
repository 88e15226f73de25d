//! `spawn_app()` and the typed helpers the tests speak through.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex, mpsc},
    time::Duration,
};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

pub const ADMIN: &str = "root.admin";
pub const ADMIN_PASSWORD: &str = "admin-password-2026";

/// Generates, for each named `async fn name(db: Backend)`, a module holding one test per
/// database backend.
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name(crate::helpers::Backend::Sqlite).await
            }
            #[tokio::test]
            async fn postgres() {
                super::$name(crate::helpers::Backend::Postgres).await
            }
        }
    )*};
}
pub(crate) use on_both_databases;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where one test's server keeps its state; shared by a second instance of the same world.
#[derive(Clone)]
pub struct World {
    pub data_dir: PathBuf,
    pub database_url: String,
    pub redis_prefix: String,
    postgres_db: Option<String>,
}

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub world: World,
    logs: Arc<Mutex<Vec<String>>>,
    child: Child,
    owns_world: bool,
    /// Only the data directory is its own (see `instance_on_another_machine`).
    owns_data_dir: bool,
    /// The extra environment it was started with, which a second instance shares.
    env: Vec<(String, String)>,
}

pub fn api_bin() -> PathBuf {
    if let Ok(bin) = std::env::var("VANBAN_API_BIN") {
        return PathBuf::from(bin);
    }
    // target/<profile>/deps/e2e-… → target/<profile>/api
    let exe = std::env::current_exe().expect("test executable path");
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .expect("target dir")
        .join("api");
    assert!(
        bin.exists(),
        "{} is missing: build it first (`cargo build -p vanban-api --bin api`) or set VANBAN_API_BIN",
        bin.display()
    );
    bin
}

/// Runs `sql` on database `db` of the local PostgreSQL, stopping at the first error.
fn psql(db: &str, sql: &str) {
    let status = Command::new("psql")
        .args(["-h", "127.0.0.1", "-U", "postgres", "-d", db])
        .args(["-v", "ON_ERROR_STOP=1", "-qAtc", sql])
        .stdout(Stdio::null())
        .status()
        .expect("psql runs");
    assert!(status.success(), "psql failed: {sql}");
}

pub const SOFTHSM_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
const SOFTHSM_LABEL: &str = "vanban";

/// A SoftHSM2 token of the world's own in its data directory (never the system token
/// directory), with the PIN written where the server reads it in development.
fn init_softhsm_token(data_dir: &Path) {
    let tokens = data_dir.join("tokens");
    std::fs::create_dir_all(&tokens).expect("token dir");
    let conf = data_dir.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        ),
    )
    .expect("softhsm2.conf");
    let pin = Uuid::new_v4().simple().to_string();
    std::fs::write(data_dir.join("pkcs11-pin"), &pin).expect("pin file");
    let out = Command::new("softhsm2-util")
        .args([
            "--init-token",
            "--free",
            "--label",
            SOFTHSM_LABEL,
            "--pin",
            &pin,
        ])
        .args(["--so-pin", &Uuid::new_v4().simple().to_string()])
        .env("SOFTHSM2_CONF", &conf)
        .output()
        .expect("softhsm2-util runs (apt-get install softhsm2)");
    assert!(
        out.status.success(),
        "softhsm2-util failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl World {
    fn new(backend: Backend) -> Self {
        let id = Uuid::new_v4().simple().to_string();
        let data_dir = std::env::temp_dir().join(format!("vanban-e2e-{id}"));
        std::fs::create_dir_all(&data_dir).expect("data dir");
        let (database_url, postgres_db) = match backend {
            Backend::Sqlite => (
                format!("sqlite://{}?mode=rwc", data_dir.join("vanban.db").display()),
                None,
            ),
            Backend::Postgres => {
                let name = format!("vanban_test_{id}");
                psql("postgres", &format!("CREATE DATABASE {name}"));
                (
                    format!("postgres://postgres@127.0.0.1:5432/{name}"),
                    Some(name),
                )
            }
        };
        init_softhsm_token(&data_dir);
        Self {
            data_dir,
            database_url,
            redis_prefix: format!("test:{id}:"),
            postgres_db,
        }
    }

    pub fn softhsm_conf(&self) -> PathBuf {
        self.data_dir.join("softhsm2.conf")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(api_bin());
        cmd.args(args)
            // Away from the repository, so no developer's .env leaks in.
            .current_dir(&self.data_dir)
            .env("DATA_DIR", &self.data_dir)
            .env("DATABASE_URL", &self.database_url)
            .env("REDIS_URL", "redis://127.0.0.1:6379")
            .env("REDIS_KEY_PREFIX", &self.redis_prefix)
            .env("BIND_ADDR", "127.0.0.1:0")
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .env("SESSION_IDLE_TTL_SECONDS", "3600")
            .env("SOFTHSM2_CONF", self.softhsm_conf())
            .env("PKCS11_MODULE", SOFTHSM_MODULE)
            .env("PKCS11_TOKEN_LABEL", SOFTHSM_LABEL)
            .env_remove("PKCS11_PIN")
            .env_remove("PUBLIC_URL")
            .env_remove("JWT_PRIVATE_KEY_FILE");
        cmd
    }

    /// Runs SQL straight against this world's database, as someone with database access
    /// could, behind the server's back.
    pub fn execute_sql(&self, sql: &str) {
        match &self.postgres_db {
            Some(db) => psql(db, sql),
            None => {
                let status = Command::new("sqlite3")
                    .arg(self.data_dir.join("vanban.db"))
                    .arg(sql)
                    .stdout(Stdio::null())
                    .status()
                    .expect("sqlite3 runs");
                assert!(status.success(), "sqlite3 failed: {sql}");
            }
        }
    }

    /// Runs `api create-admin`, as an operator would.
    pub fn create_admin(&self, username: &str, org_code: &str) {
        self.create_admin_with(username, org_code, &[]);
    }

    /// `api create-admin` with more options (`--org-abbreviation`, `--numbering-style`).
    pub fn create_admin_with(&self, username: &str, org_code: &str, options: &[&str]) {
        let mut args = vec![
            "create-admin",
            "--username",
            username,
            "--org-code",
            org_code,
            "--org-name",
            "Tỉnh ủy Thử nghiệm",
        ];
        args.extend_from_slice(options);
        let out = self
            .command(&args)
            .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
            .output()
            .expect("create-admin runs");
        assert!(
            out.status.success(),
            "create-admin failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    let world = World::new(backend);
    world.create_admin(ADMIN, "ROOT");
    start(world, true, &[])
}

/// Starts with extra environment, for settings a test needs to change.
pub async fn spawn_app_with(backend: Backend, env: &[(&str, &str)]) -> TestApp {
    let world = World::new(backend);
    world.create_admin(ADMIN, "ROOT");
    start(world, true, env)
}

/// Starts a server whose root organisation is the agency `code` (QCVN 102), written
/// `abbreviation` in symbols, numbering in `style`.
pub async fn spawn_agency(
    backend: Backend,
    code: &str,
    abbreviation: &str,
    style: &str,
    env: &[(&str, &str)],
) -> TestApp {
    let world = World::new(backend);
    let options = [
        "--org-abbreviation",
        abbreviation,
        "--numbering-style",
        style,
    ];
    world.create_admin_with(ADMIN, code, &options);
    start(world, true, env)
}

impl TestApp {
    /// PostgreSQL ends every connection to this app's database, as a restart or a failover
    /// would.
    pub fn drop_database_connections(&self) {
        let db = self
            .world
            .postgres_db
            .as_deref()
            .expect("a PostgreSQL world");
        psql(
            "postgres",
            &format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = '{db}' AND pid <> pg_backend_pid()"
            ),
        );
    }

    /// A second instance on the same database, Redis and data directory, as behind a load
    /// balancer.
    pub fn second_instance(&self) -> TestApp {
        let env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        start(self.world.clone(), false, &env)
    }

    /// A second instance on the same database and Redis as on another machine: a data
    /// directory (and HSM token) of its own, sharing only the access-token key, as the
    /// operators' guide asks. Its directory goes when it stops.
    pub fn instance_on_another_machine(&self) -> TestApp {
        let data_dir = std::env::temp_dir().join(format!("vanban-e2e-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&data_dir).expect("data dir");
        init_softhsm_token(&data_dir);
        let key = self.world.data_dir.join("keys/jwt-ed25519.pem");
        let world = World {
            data_dir,
            postgres_db: None,
            ..self.world.clone()
        };
        let mut env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let key = key.display().to_string();
        env.push(("JWT_PRIVATE_KEY_FILE", &key));
        let mut app = start(world, false, &env);
        app.owns_data_dir = true;
        app
    }

    /// A figure from the server process's `/proc/<pid>/status` (`VmRSS`, `VmHWM`), in KiB.
    pub fn memory_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the server's /proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("a figure in kB")
    }

    /// Starts the server's peak memory (VmHWM) afresh from what it holds now.
    pub fn reset_peak_memory(&self) {
        std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5")
            .expect("the server's /proc clear_refs");
    }

    /// The server's `/metrics` text.
    pub async fn metrics(&self) -> String {
        self.http
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .expect("metrics answered")
            .text()
            .await
            .expect("metrics text")
    }

    /// Kills the server process at once, as a crash would (no graceful shutdown).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The server's log so far, once a line containing `marker` has arrived (the log is read
    /// on another thread, so a line written before a response may land after it).
    pub async fn logs_through(&self, marker: &str) -> String {
        for _ in 0..100 {
            let logs = self.logs.lock().expect("logs").join("\n");
            if logs.contains(marker) {
                return logs;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no log line contains {marker:?}");
    }
}

fn start(world: World, owns_world: bool, env: &[(&str, &str)]) -> TestApp {
    let mut cmd = world.command(&["serve"]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("api starts");
    let logs = Arc::new(Mutex::new(Vec::new()));
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    for (stream, tx) in [
        (Box::new(stdout) as Box<dyn std::io::Read + Send>, Some(tx)),
        (Box::new(stderr), None),
    ] {
        let logs = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                if let (Some(tx), Ok(event)) = (&tx, serde_json::from_str::<Value>(&line))
                    && event["message"] == "listening"
                {
                    let _ = tx.send(event["address"].as_str().unwrap_or_default().to_owned());
                }
                logs.lock().expect("logs").push(line);
            }
        });
    }
    let base = match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(base) => base,
        Err(_) => {
            let _ = child.kill();
            panic!(
                "the server did not start:\n{}",
                logs.lock().expect("logs").join("\n")
            );
        }
    };
    TestApp {
        base,
        http: http_client(),
        world,
        logs,
        child,
        owns_world,
        owns_data_dir: false,
        env: env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

/// The value of the sample `name` (labels included, as exposed) in a `/metrics` text.
pub fn metric(metrics: &str, name: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

/// reqwest shares its features with the api's, which has rustls without a crypto provider:
/// install ring before building a client.
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if self.owns_data_dir {
            let _ = std::fs::remove_dir_all(&self.world.data_dir);
        }
        if !self.owns_world {
            return;
        }
        if let Some(db) = &self.world.postgres_db {
            psql(
                "postgres",
                &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"),
            );
        }
        let _ = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "redis-cli -h 127.0.0.1 --scan --pattern '{}*' | xargs -r redis-cli -h 127.0.0.1 del >/dev/null",
                self.world.redis_prefix
            ))
            .status();
        let _ = std::fs::remove_dir_all(&self.world.data_dir);
    }
}

/// What a successful login or refresh hands the app.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
    pub session_id: String,
    pub must_change_password: bool,
}

impl Tokens {
    pub fn from_json(body: &Value) -> Self {
        Self {
            access: body["access_token"]
                .as_str()
                .expect("access_token")
                .to_owned(),
            refresh: body["refresh_token"]
                .as_str()
                .expect("refresh_token")
                .to_owned(),
            session_id: body["session_id"].as_str().expect("session_id").to_owned(),
            must_change_password: body["must_change_password"].as_bool().expect("flag"),
        }
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// Asserts a problem+json answer with this status and code, and returns its body.
    #[track_caller]
    pub fn problem(&self, status: u16, code: &str) -> &Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.body
        );
        let content_type = self
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert_eq!(
            content_type, "application/problem+json",
            "body: {}",
            self.body
        );
        assert_eq!(self.body["code"], code, "body: {}", self.body);
        assert_eq!(self.body["status"], status);
        assert_eq!(self.body["type"], format!("urn:vanban:problem:{code}"));
        &self.body
    }

    #[track_caller]
    pub fn ok(&self) -> &Value {
        assert!(
            self.status.is_success(),
            "expected success, got {}: {}",
            self.status,
            self.body
        );
        &self.body
    }
}

impl TestApp {
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        reply(req.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.send(Method::GET, path, Some(token), None).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.send(Method::DELETE, path, Some(token), None).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send(Method::PATCH, path, Some(token), Some(body))
            .await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.send(Method::POST, path, token, Some(body)).await
    }

    pub async fn login(&self, username: &str, password: &str, device_id: &str) -> Reply {
        self.post(
            "/api/v1/auth/login",
            None,
            json!({
                "username": username,
                "password": password,
                "device": {"device_id": device_id, "platform": "android", "name": format!("phone {device_id}"), "app_version": "1.0.0"},
            }),
        )
        .await
    }

    pub async fn login_ok(&self, username: &str, password: &str, device_id: &str) -> Tokens {
        Tokens::from_json(self.login(username, password, device_id).await.ok())
    }

    pub async fn admin(&self) -> Tokens {
        self.login_ok(ADMIN, ADMIN_PASSWORD, "admin-laptop").await
    }

    pub async fn refresh(&self, refresh_token: &str) -> Reply {
        self.post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": refresh_token }),
        )
        .await
    }

    pub async fn refresh_ok(&self, refresh_token: &str) -> Tokens {
        Tokens::from_json(self.refresh(refresh_token).await.ok())
    }

    /// The admin's own organisation id.
    pub async fn admin_org(&self, admin: &Tokens) -> String {
        let me = self.get("/api/v1/me", &admin.access).await;
        me.ok()["organization"]["id"]
            .as_str()
            .expect("org id")
            .to_owned()
    }

    /// Creates an account with a default password (which it must change) and returns its id.
    pub async fn create_user(
        &self,
        admin: &Tokens,
        org: &str,
        username: &str,
        roles: &[&str],
        password: &str,
    ) -> String {
        let who = Someone::new(username, "Nguyễn Văn Thử", "Chuyên viên", roles);
        self.create_someone(admin, org, &who, password).await
    }

    async fn create_someone(
        &self,
        admin: &Tokens,
        org: &str,
        who: &Someone<'_>,
        password: &str,
    ) -> String {
        let reply = self
            .post(
                "/api/v1/admin/users",
                Some(&admin.access),
                json!({
                    "username": who.username, "full_name": who.full_name, "title": who.title,
                    "organization_id": org, "roles": who.roles, "default_password": password,
                }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        reply.body["id"].as_str().expect("id").to_owned()
    }

    /// A user who has already changed the default password, ready to work.
    pub async fn active_user(
        &self,
        admin: &Tokens,
        username: &str,
        roles: &[&str],
    ) -> (String, String) {
        let org = self.admin_org(admin).await;
        let who = Someone::new(username, "Nguyễn Văn Thử", "Chuyên viên", roles);
        self.active_someone(admin, &org, &who).await
    }

    /// A named person of organisation `org`, ready to work: their id and password.
    pub async fn active_someone(
        &self,
        admin: &Tokens,
        org: &str,
        who: &Someone<'_>,
    ) -> (String, String) {
        let username = who.username;
        let id = self
            .create_someone(admin, org, who, "default-password-1")
            .await;
        let first = self
            .login_ok(username, "default-password-1", "setup-device")
            .await;
        let password = "my-own-password-2026".to_owned();
        self.post(
            "/api/v1/auth/password",
            Some(&first.access),
            json!({"current_password": "default-password-1", "new_password": password}),
        )
        .await
        .ok();
        self.send(
            Method::POST,
            "/api/v1/auth/logout",
            Some(&first.access),
            None,
        )
        .await
        .ok();
        (id, password)
    }
}

/// Who a test account is: its login, its name and title as the directory shows them, its roles.
pub struct Someone<'a> {
    pub username: &'a str,
    pub full_name: &'a str,
    pub title: &'a str,
    pub roles: &'a [&'a str],
}

impl<'a> Someone<'a> {
    pub fn new(
        username: &'a str,
        full_name: &'a str,
        title: &'a str,
        roles: &'a [&'a str],
    ) -> Self {
        Self {
            username,
            full_name,
            title,
            roles,
        }
    }
}

pub async fn reply(resp: reqwest::Response) -> Reply {
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.expect("body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    Reply {
        status,
        headers,
        body,
    }
}

/// Runs the `openssl` command line with `args`: its standard output.
pub fn openssl(args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A small, valid one-page PDF whose content stream shows `text`.
pub fn pdf(text: &str) -> Vec<u8> {
    pdf_with(text, 0)
}

/// The number the next new object of `pdf` gets: its last trailer's /Size.
pub fn next_object_number(pdf: &[u8]) -> u64 {
    last_number(pdf, "/Size")
}

/// `pdf` with `objects` (number, what goes between `obj` and `endobj`) appended as an incremental
/// update: the objects, a cross-reference section for them and a trailer pointing back at the
/// previous one, as any PDF library writes it. The catalog is object 1, as in [`pdf`].
pub fn append_update(pdf: &[u8], objects: &[(u64, String)]) -> Vec<u8> {
    let prev = last_number(pdf, "startxref");
    let size = objects
        .iter()
        .map(|(n, _)| n + 1)
        .chain([next_object_number(pdf)])
        .max()
        .unwrap_or_default();
    let mut out = pdf.to_vec();
    let mut table = String::from("xref\n0 1\n0000000000 65535 f \n");
    for (number, object) in objects {
        table.push_str(&format!("{number} 1\n{:010} 00000 n \n", out.len()));
        out.extend(format!("{number} 0 obj\n{object}\nendobj\n").as_bytes());
    }
    let xref = out.len();
    out.extend(
        format!(
            "{table}trailer\n<< /Size {size} /Root 1 0 R /Prev {prev} >>\nstartxref\n{xref}\n%%EOF\n"
        )
        .as_bytes(),
    );
    out
}

/// The number after the last `key` in `pdf`.
fn last_number(pdf: &[u8], key: &str) -> u64 {
    let text = String::from_utf8_lossy(pdf);
    let at = text.rfind(key).expect("the key is in the PDF") + key.len();
    text[at..]
        .split(|c: char| !c.is_ascii_digit())
        .find(|digits| !digits.is_empty())
        .and_then(|digits| digits.parse().ok())
        .expect("a number follows the key")
}

/// A valid one-page PDF showing `text`, carrying `padding` more bytes in an image it draws:
/// pseudo-random, so nothing along the way could compress them.
pub fn pdf_with(text: &str, padding: usize) -> Vec<u8> {
    scan_with(text, usize::from(padding > 0), padding)
}

/// A scan as copiers make them: `pages` pages showing `text`, each carrying an image of
/// `image_bytes` pseudo-random bytes (one page without an image when `pages` is 0).
pub fn scan_with(text: &str, pages: usize, image_bytes: usize) -> Vec<u8> {
    let content = format!("BT /F1 12 Tf 72 712 Td ({text}) Tj ET");
    let mut noise = 0x9E37_79B9_7F4A_7C15_u64;
    let kids: Vec<String> = (0..pages.max(1))
        .map(|p| format!("{} 0 R", 3 + 3 * p))
        .collect();
    let mut objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            kids.join(" "),
            kids.len()
        )
        .into_bytes(),
    ];
    for page in 0..pages.max(1) {
        let id = 3 + 3 * page;
        let resources = if pages > 0 {
            format!(" /Resources << /XObject << /Im {} 0 R >> >>", id + 2)
        } else {
            String::new()
        };
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {} 0 R{resources} >>",
                id + 1
            )
            .into_bytes(),
        );
        objects.push(
            format!(
                "<< /Length {} >>\nstream\n{content}\nendstream",
                content.len()
            )
            .into_bytes(),
        );
        if pages == 0 {
            continue;
        }
        let image: Vec<u8> = (0..image_bytes)
            .map(|_| {
                noise ^= noise << 13;
                noise ^= noise >> 7;
                noise ^= noise << 17;
                noise.to_le_bytes()[0]
            })
            .collect();
        objects.push(
            [
                format!(
                    "<< /Type /XObject /Subtype /Image /Width {image_bytes} /Height 1 \
                     /ColorSpace /DeviceGray /BitsPerComponent 8 /Length {image_bytes} >>\nstream\n"
                )
                .as_bytes(),
                &image,
                b"\nendstream",
            ]
            .concat(),
        );
    }
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend(object);
        out.extend(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        out.extend(format!("{offset:010} 00000 n \n").as_bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

impl TestApp {
    /// `POST /documents` with `metadata` and one `file` part per entry of `files`.
    pub async fn upload(&self, token: &str, metadata: Value, files: Vec<(&str, Vec<u8>)>) -> Reply {
        self.upload_keyed(token, metadata, files, None).await
    }

    /// An upload carrying an `Idempotency-Key`, as a careful app sends it.
    pub async fn upload_keyed(
        &self,
        token: &str,
        metadata: Value,
        files: Vec<(&str, Vec<u8>)>,
        key: Option<&str>,
    ) -> Reply {
        let mut form = reqwest::multipart::Form::new().text("metadata", metadata.to_string());
        for (name, bytes) in files {
            let part = reqwest::multipart::Part::bytes(bytes)
                .file_name(name.to_owned())
                .mime_str("application/pdf")
                .expect("mime");
            form = form.part("file", part);
        }
        let mut req = self
            .http
            .post(format!("{}/api/v1/documents", self.base))
            .bearer_auth(token);
        if let Some(key) = key {
            req = req.header("idempotency-key", key);
        }
        let resp = req.multipart(form).send().await.expect("upload sent");
        reply(resp).await
    }

    /// Every file in the server's file storage (temporary ones included).
    pub fn stored_files(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.push(path);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.world.data_dir.join("files"), &mut out);
        out
    }
}
