//! A local stand-in for Google: the OAuth2 token endpoint of a service account and FCM HTTP v1
//! `messages:send`, speaking the real wire format. It checks the RS256 assertion against the
//! service account's public key, its audience, issuer, key id and scope, and the bearer token
//! on every send; records the messages it accepted; and can be told to fail the way FCM does.

use std::{
    collections::{HashSet, VecDeque},
    path::PathBuf,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use poem::{
    Body, EndpointExt, IntoResponse, Response, Route, Server, handler,
    http::StatusCode,
    listener::{Acceptor, Listener, TcpListener},
    web::{Data, Form, Json, Path},
};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::openssl;

const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";

/// How the fake answers the next send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Accept,
    Unavailable,
    /// 429 with `Retry-After: {0}`.
    TooMany(u64),
    /// Holds the request without answering, as a stalled network does.
    Hang,
    /// Accepts after a pause.
    Slow(u64),
}

struct State {
    public_pem: String,
    client_email: String,
    key_id: String,
    token_uri: Mutex<String>,
    access_token: String,
    accepted: Mutex<Vec<Value>>,
    /// When each accepted message arrived, in the same order.
    accepted_at: Mutex<Vec<std::time::SystemTime>>,
    /// Answers for the next sends, in order; then `default`.
    script: Mutex<VecDeque<Answer>>,
    default: Mutex<Answer>,
    dead_tokens: Mutex<HashSet<String>>,
    sends: AtomicUsize,
    tokens_issued: AtomicUsize,
}

pub struct FakeFcm {
    pub base: String,
    pub service_account: PathBuf,
    dir: PathBuf,
    state: Arc<State>,
}

impl FakeFcm {
    pub async fn start() -> FakeFcm {
        let dir = std::env::temp_dir().join(format!("vanban-fcm-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let key = dir.join("key.pem");
        let key_arg = key.to_str().unwrap();
        openssl(&[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            key_arg,
        ]);
        let public_pem = String::from_utf8(openssl(&["pkey", "-in", key_arg, "-pubout"])).unwrap();
        let private_pem = std::fs::read_to_string(&key).unwrap();

        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .unwrap();
        let addr = acceptor.local_addr()[0].as_socket_addr().copied().unwrap();
        let base = format!("http://{addr}");
        let token_uri = format!("{base}/token");
        let state = Arc::new(State {
            public_pem,
            client_email: "vanban-push@test-project.iam.gserviceaccount.com".into(),
            key_id: "test-key-1".into(),
            token_uri: Mutex::new(token_uri.clone()),
            access_token: format!("ya29.{}", Uuid::new_v4().simple()),
            accepted: Mutex::new(Vec::new()),
            accepted_at: Mutex::new(Vec::new()),
            script: Mutex::new(VecDeque::new()),
            default: Mutex::new(Answer::Accept),
            dead_tokens: Mutex::new(HashSet::new()),
            sends: AtomicUsize::new(0),
            tokens_issued: AtomicUsize::new(0),
        });
        let service_account = dir.join("service-account.json");
        let account = json!({
            "type": "service_account",
            "project_id": "test-project",
            "private_key_id": state.key_id,
            "private_key": private_pem,
            "client_email": state.client_email,
            "client_id": "1",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": token_uri,
        });
        std::fs::write(&service_account, account.to_string()).unwrap();
        std::fs::remove_file(&key).unwrap();

        let app = Route::new()
            .at("/token", poem::post(issue_token))
            .at("/v1/projects/:project/*rest", poem::post(send))
            .data(state.clone());
        tokio::spawn(Server::new_with_acceptor(acceptor).run(app));
        FakeFcm {
            base,
            service_account,
            dir,
            state,
        }
    }

    /// The environment that points a server at this fake.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            (
                "FCM_SERVICE_ACCOUNT_FILE".into(),
                self.service_account.display().to_string(),
            ),
            ("FCM_BASE_URL".into(), self.base.clone()),
        ]
    }

    pub fn accepted(&self) -> Vec<Value> {
        self.state.accepted.lock().unwrap().clone()
    }

    pub fn accepted_at(&self) -> Vec<std::time::SystemTime> {
        self.state.accepted_at.lock().unwrap().clone()
    }

    /// How many sends reached the fake, whatever it answered.
    pub fn sends(&self) -> usize {
        self.state.sends.load(Ordering::SeqCst)
    }

    pub fn tokens_issued(&self) -> usize {
        self.state.tokens_issued.load(Ordering::SeqCst)
    }

    pub fn script(&self, answers: &[Answer]) {
        self.state.script.lock().unwrap().extend(answers);
    }

    pub fn answer_by_default(&self, answer: Answer) {
        *self.state.default.lock().unwrap() = answer;
    }

    /// Sends to `token` get 404 UNREGISTERED from now on.
    pub fn unregister(&self, token: &str) {
        self.state
            .dead_tokens
            .lock()
            .unwrap()
            .insert(token.to_owned());
    }

    /// Waits (bounded) until `check` holds on the accepted messages.
    pub async fn wait_for(&self, what: &str, check: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        for _ in 0..300 {
            let accepted = self.accepted();
            if check(&accepted) {
                return accepted;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "the fake FCM never saw {what}; accepted: {:#?}",
            self.accepted()
        );
    }
}

impl Drop for FakeFcm {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[derive(serde::Deserialize)]
struct TokenRequest {
    grant_type: String,
    assertion: String,
}

#[derive(serde::Deserialize)]
struct Assertion {
    scope: String,
}

#[handler]
fn issue_token(Form(req): Form<TokenRequest>, state: Data<&Arc<State>>) -> Response {
    if req.grant_type != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
        return oauth_error("unsupported_grant_type");
    }
    let header = match jsonwebtoken::decode_header(&req.assertion) {
        Ok(h) => h,
        Err(_) => return oauth_error("invalid_grant"),
    };
    if header.alg != Algorithm::RS256 || header.kid.as_deref() != Some(state.key_id.as_str()) {
        return oauth_error("invalid_grant");
    }
    let Ok(key) = DecodingKey::from_rsa_pem(state.public_pem.as_bytes()) else {
        return oauth_error("server_error");
    };
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[state.token_uri.lock().unwrap().clone()]);
    validation.set_issuer(std::slice::from_ref(&state.client_email));
    validation.set_required_spec_claims(&["exp", "iat", "aud", "iss"]);
    match jsonwebtoken::decode::<Assertion>(&req.assertion, &key, &validation) {
        Ok(data) if data.claims.scope.split(' ').any(|s| s == SCOPE) => {
            state.tokens_issued.fetch_add(1, Ordering::SeqCst);
            Json(json!({
                "access_token": state.access_token,
                "expires_in": 3599,
                "token_type": "Bearer",
            }))
            .into_response()
        }
        _ => oauth_error("invalid_grant"),
    }
}

fn oauth_error(error: &str) -> Response {
    Response::builder()
        .status(StatusCode::BAD_REQUEST)
        .content_type("application/json")
        .body(json!({ "error": error }).to_string())
}

#[handler]
async fn send(
    Path((project, rest)): Path<(String, String)>,
    req: &poem::Request,
    body: Body,
    state: Data<&Arc<State>>,
) -> Response {
    if rest != "messages:send" {
        return fcm_error(404, "NOT_FOUND", "no such method", None);
    }
    let bearer = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if bearer != format!("Bearer {}", state.access_token) {
        return fcm_error(
            401,
            "UNAUTHENTICATED",
            "Request had invalid authentication credentials.",
            None,
        );
    }
    let body: Value = match body.into_json().await {
        Ok(b) => b,
        Err(_) => {
            return fcm_error(
                400,
                "INVALID_ARGUMENT",
                "Invalid JSON payload received.",
                None,
            );
        }
    };
    state.sends.fetch_add(1, Ordering::SeqCst);
    let message = body["message"].clone();
    let Some(device) = message["token"].as_str() else {
        return fcm_error(
            400,
            "INVALID_ARGUMENT",
            "The registration token is not a valid FCM registration token",
            Some("INVALID_ARGUMENT"),
        );
    };
    if body.to_string().len() > 4096 + device.len() + 64 {
        return fcm_error(
            400,
            "INVALID_ARGUMENT",
            "Message is too big",
            Some("INVALID_ARGUMENT"),
        );
    }
    let answer = state
        .script
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or(*state.default.lock().unwrap());
    if state.dead_tokens.lock().unwrap().contains(device) {
        return fcm_error(
            404,
            "NOT_FOUND",
            "Requested entity was not found.",
            Some("UNREGISTERED"),
        );
    }
    match answer {
        Answer::Unavailable => {
            return fcm_error(
                503,
                "UNAVAILABLE",
                "The service is currently unavailable.",
                Some("UNAVAILABLE"),
            );
        }
        Answer::TooMany(secs) => {
            let mut r = fcm_error(
                429,
                "RESOURCE_EXHAUSTED",
                "Quota exceeded.",
                Some("QUOTA_EXCEEDED"),
            );
            r.headers_mut()
                .insert("retry-after", secs.to_string().parse().unwrap());
            return r;
        }
        Answer::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        Answer::Slow(ms) => tokio::time::sleep(Duration::from_millis(ms)).await,
        Answer::Accept => {}
    }
    let mut accepted = state.accepted.lock().unwrap();
    accepted.push(message);
    state
        .accepted_at
        .lock()
        .unwrap()
        .push(std::time::SystemTime::now());
    let name = format!("projects/{project}/messages/0:{}", accepted.len());
    Json(json!({ "name": name })).into_response()
}

fn fcm_error(code: u16, status: &str, message: &str, error_code: Option<&str>) -> Response {
    let mut details = Vec::new();
    if let Some(e) = error_code {
        details.push(json!({
            "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
            "errorCode": e,
        }));
    }
    Response::builder()
        .status(StatusCode::from_u16(code).unwrap())
        .content_type("application/json")
        .body(
            json!({"error": {"code": code, "message": message, "status": status, "details": details}})
                .to_string(),
        )
}
