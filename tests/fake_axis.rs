//! A local stand-in for the national exchange axis (VDXP), speaking its wire protocol: every
//! call must carry `XroadVnpt-*` headers signed with the calling system's secret (HMAC-SHA256
//! over the JSON of the signed headers), or it is refused with 401. It keeps messages per
//! recipient code until each recipient acknowledges them, serves the directory of agencies,
//! records what it took, and can be told to fail the way a remote service does. Several
//! servers share one, each joining as its own system with its own agency code.

use std::{
    collections::{HashMap, VecDeque},
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use poem::{
    EndpointExt, Request, Response, Route, Server, handler,
    http::StatusCode,
    listener::{Acceptor, Listener, TcpListener},
    web::{Data, Multipart, Path},
};
use serde_json::{Value, json};
use sha2::Sha256;
use uuid::Uuid;

/// How the fake answers the next call of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Accept,
    /// 503, nothing done.
    Unavailable,
    /// Holds the request without answering, as a stalled network does; nothing done.
    Hang,
}

/// A message the axis took from a sender.
#[derive(Debug, Clone)]
pub struct Stored {
    pub doc_id: String,
    pub from: String,
    pub to: Vec<String>,
    pub kind: String,
    pub bytes: Vec<u8>,
    /// Recipient code → `done` or `fail`, once acknowledged.
    pub acks: HashMap<String, String>,
}

/// One server's account on the axis.
#[derive(Debug, Clone)]
pub struct Account {
    pub system_id: String,
    pub secret: String,
    pub code: String,
}

struct State {
    systems: Mutex<HashMap<String, Account>>,
    messages: Mutex<Vec<Stored>>,
    agencies: Mutex<Vec<Value>>,
    scripts: Mutex<HashMap<String, VecDeque<Answer>>>,
    /// Signed calls that reached a handler, by call name.
    calls: Mutex<HashMap<String, usize>>,
    refused: AtomicUsize,
    next_id: AtomicUsize,
}

pub struct FakeAxis {
    pub base: String,
    state: Arc<State>,
}

impl FakeAxis {
    pub async fn start() -> FakeAxis {
        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .unwrap();
        let addr = acceptor.local_addr()[0].as_socket_addr().copied().unwrap();
        let state = Arc::new(State {
            systems: Mutex::new(HashMap::new()),
            messages: Mutex::new(Vec::new()),
            agencies: Mutex::new(Vec::new()),
            scripts: Mutex::new(HashMap::new()),
            calls: Mutex::new(HashMap::new()),
            refused: AtomicUsize::new(0),
            next_id: AtomicUsize::new(1000),
        });
        let app = Route::new()
            .at("/vdxp/:call", poem::post(serve_call))
            .data(state.clone());
        tokio::spawn(Server::new_with_acceptor(acceptor).run(app));
        FakeAxis {
            base: format!("http://{addr}/vdxp"),
            state,
        }
    }

    /// A new system on the axis for the agency `code`.
    pub fn join(&self, code: &str) -> Account {
        let account = Account {
            system_id: format!("sys-{}", Uuid::new_v4().simple()),
            secret: Uuid::new_v4().simple().to_string(),
            code: code.to_owned(),
        };
        self.state
            .systems
            .lock()
            .unwrap()
            .insert(account.system_id.clone(), account.clone());
        account
    }

    /// The environment that puts a server on this axis as `account`, polling every second.
    pub fn env(&self, account: &Account) -> Vec<(String, String)> {
        vec![
            ("EXCHANGE_URL".into(), self.base.clone()),
            ("EXCHANGE_SYSTEM_ID".into(), account.system_id.clone()),
            ("EXCHANGE_SECRET".into(), account.secret.clone()),
            ("EXCHANGE_AGENCY_CODE".into(), account.code.clone()),
            ("EXCHANGE_POLL_SECONDS".into(), "1".into()),
            ("EXCHANGE_TIMEOUT_SECONDS".into(), "2".into()),
            ("EXCHANGE_ALLOW_TEST_CODES".into(), "true".into()),
        ]
    }

    /// Answers for the next calls of `call` (`sendEdoc`, `getEdoc`…), in order; then it accepts.
    pub fn script(&self, call: &str, answers: &[Answer]) {
        self.state
            .scripts
            .lock()
            .unwrap()
            .entry(call.to_owned())
            .or_default()
            .extend(answers);
    }

    pub fn set_agencies(&self, agencies: &[(&str, &str, &str)]) {
        *self.state.agencies.lock().unwrap() = agencies
            .iter()
            .map(|(code, name, pid)| json!({"code": code, "name": name, "pid": pid}))
            .collect();
    }

    /// Puts a message on the axis as if `from` had sent it; its axis id.
    pub fn deliver(&self, from: &str, to: &[&str], kind: &str, bytes: &[u8]) -> String {
        let doc_id = self
            .state
            .next_id
            .fetch_add(1, Ordering::SeqCst)
            .to_string();
        self.state.messages.lock().unwrap().push(Stored {
            doc_id: doc_id.clone(),
            from: from.to_owned(),
            to: to.iter().map(|t| (*t).to_owned()).collect(),
            kind: kind.to_owned(),
            bytes: bytes.to_vec(),
            acks: HashMap::new(),
        });
        doc_id
    }

    /// Every message the axis holds, in the order it took them.
    pub fn messages(&self) -> Vec<Stored> {
        self.state.messages.lock().unwrap().clone()
    }

    /// Signed calls of `call` that reached the axis, whatever it answered.
    pub fn calls(&self, call: &str) -> usize {
        self.state
            .calls
            .lock()
            .unwrap()
            .get(call)
            .copied()
            .unwrap_or(0)
    }

    /// Calls refused for their signature.
    pub fn refused(&self) -> usize {
        self.state.refused.load(Ordering::SeqCst)
    }

    /// Waits (bounded) until `check` holds on the messages.
    pub async fn wait_for(&self, what: &str, check: impl Fn(&[Stored]) -> bool) -> Vec<Stored> {
        for _ in 0..400 {
            let messages = self.messages();
            if check(&messages) {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the axis never saw {what}; it holds {:#?}", self.messages());
    }
}

/// The headers of a call signed as `system_id` with `secret`, written from the protocol's
/// description rather than from the server's code, so each checks the other.
pub fn sign(system_id: &str, secret: &str, keys: &[(&str, &str)]) -> Vec<(String, String)> {
    let now = wall_clock();
    let timestamp = format!(
        "{}+{:04}",
        now.format("%d%m%YT%H%M%S"),
        now.timestamp_subsec_millis()
    );
    let mut all = vec![("timestamp", timestamp.as_str()), ("systemid", system_id)];
    all.extend_from_slice(keys);
    let object: serde_json::Map<String, Value> = all
        .iter()
        .map(|(k, v)| ((*k).to_owned(), json!(v)))
        .collect();
    let json = Value::Object(object).to_string();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(json.as_bytes());
    let mut headers: Vec<(String, String)> = all
        .iter()
        .map(|(k, v)| (format!("XroadVnpt-{k}"), (*v).to_owned()))
        .collect();
    let names: Vec<&str> = all.iter().map(|(k, _)| *k).collect();
    headers.push(("XroadVnpt-sign-header-key".into(), names.join(";")));
    headers.push((
        "XroadVnpt-hash-header".into(),
        hex::encode(mac.finalize().into_bytes()),
    ));
    headers.push(("XroadVnpt-sign-header".into(), json));
    headers
}

fn answer(status: StatusCode, body: Value) -> Response {
    Response::builder()
        .status(status)
        .content_type("application/json")
        .body(body.to_string())
}

fn fail(status: StatusCode, code: &str, desc: &str) -> Response {
    answer(
        status,
        json!({"status": "FAIL", "ErrorCode": code, "ErrorDesc": desc}),
    )
}

/// The caller's account and signed keys, or why the call is refused.
fn verify(req: &Request, state: &State) -> Result<(Account, HashMap<String, String>), String> {
    let header = |name: &str| {
        req.headers()
            .get(format!("XroadVnpt-{name}"))
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let json = header("sign-header").ok_or("no XroadVnpt-sign-header")?;
    let names = header("sign-header-key").ok_or("no XroadVnpt-sign-header-key")?;
    let hash = header("hash-header").ok_or("no XroadVnpt-hash-header")?;
    let object: serde_json::Map<String, Value> =
        serde_json::from_str(&json).map_err(|_| "the signed header is not a JSON object")?;
    let names: Vec<&str> = names.split(';').collect();
    if names.len() != object.len() || names.iter().any(|n| !object.contains_key(*n)) {
        return Err("the signed keys do not match the signed header".into());
    }
    let mut keys = HashMap::new();
    for (name, value) in &object {
        let value = value.as_str().ok_or("a signed value is not a string")?;
        if header(name).as_deref() != Some(value) {
            return Err(format!("XroadVnpt-{name} differs from what was signed"));
        }
        keys.insert(name.clone(), value.to_owned());
    }
    let system = keys.get("systemid").ok_or("no systemid")?;
    let account = state
        .systems
        .lock()
        .unwrap()
        .get(system)
        .cloned()
        .ok_or("unknown system")?;
    let mut mac = Hmac::<Sha256>::new_from_slice(account.secret.as_bytes()).unwrap();
    mac.update(json.as_bytes());
    let hash = hex::decode(hash).map_err(|_| "the hash is not hex")?;
    mac.verify_slice(&hash)
        .map_err(|_| "the hash does not verify")?;
    let stamp = keys.get("timestamp").ok_or("no timestamp")?;
    let (when, millis) = stamp.split_once('+').ok_or("a malformed timestamp")?;
    let when = chrono::NaiveDateTime::parse_from_str(when, "%d%m%YT%H%M%S")
        .map_err(|_| "a malformed timestamp")?;
    if millis.len() != 4 || !millis.bytes().all(|b| b.is_ascii_digit()) {
        return Err("a malformed timestamp".into());
    }
    let skew = (wall_clock().naive_utc() - when).num_seconds().abs();
    if skew > 300 {
        return Err("the timestamp is too far from now".into());
    }
    Ok((account, keys))
}

#[handler]
async fn serve_call(
    Path(call): Path<String>,
    req: &Request,
    multipart: Option<Multipart>,
    state: Data<&Arc<State>>,
) -> Response {
    let (account, keys) = match verify(req, &state) {
        Ok(v) => v,
        Err(why) => {
            state.refused.fetch_add(1, Ordering::SeqCst);
            return fail(StatusCode::UNAUTHORIZED, "401", &why);
        }
    };
    *state.calls.lock().unwrap().entry(call.clone()).or_default() += 1;
    let scripted = state
        .scripts
        .lock()
        .unwrap()
        .get_mut(&call)
        .and_then(VecDeque::pop_front);
    match scripted.unwrap_or(Answer::Accept) {
        Answer::Accept => {}
        Answer::Unavailable => {
            return fail(
                StatusCode::SERVICE_UNAVAILABLE,
                "503",
                "the axis is unavailable",
            );
        }
        Answer::Hang => tokio::time::sleep(Duration::from_secs(3600)).await,
    }
    let key = |name: &str| keys.get(name).cloned();
    match call.as_str() {
        "sendEdoc" => send(&state, &account, &keys, multipart).await,
        "getReceivedEdocList" => {
            let kind = key("messagetype").unwrap_or_default();
            let data: Vec<Value> = state
                .messages
                .lock()
                .unwrap()
                .iter()
                .filter(|m| m.to.contains(&account.code) && m.kind == kind)
                .filter(|m| !m.acks.contains_key(&account.code))
                .map(|m| {
                    json!({"docId": m.doc_id, "from": m.from, "to": m.to,
                           "messageType": m.kind, "created_time": "2026/12/01 09:00:00",
                           "status": "initial"})
                })
                .collect();
            answer(StatusCode::OK, json!({"status": "OK", "data": data}))
        }
        "getEdoc" => {
            let doc_id = key("docId").unwrap_or_default();
            let messages = state.messages.lock().unwrap();
            match messages
                .iter()
                .find(|m| m.doc_id == doc_id && m.to.contains(&account.code))
            {
                Some(m) => answer(
                    StatusCode::OK,
                    json!({"status": "OK", "data": STANDARD.encode(&m.bytes)}),
                ),
                None => fail(StatusCode::OK, "404", "no such message for this agency"),
            }
        }
        "updateStatus" => {
            let doc_id = key("docid").unwrap_or_default();
            let status = key("status").unwrap_or_default();
            if status != "done" && status != "fail" {
                return fail(StatusCode::OK, "400", "status must be done or fail");
            }
            let mut messages = state.messages.lock().unwrap();
            match messages
                .iter_mut()
                .find(|m| m.doc_id == doc_id && m.to.contains(&account.code))
            {
                Some(m) => {
                    m.acks.insert(account.code.clone(), status);
                    answer(StatusCode::OK, json!({"status": "OK"}))
                }
                None => fail(StatusCode::OK, "404", "no such message for this agency"),
            }
        }
        "getAgenciesList" => {
            let data = state.agencies.lock().unwrap().clone();
            answer(StatusCode::OK, json!({"status": "OK", "data": data}))
        }
        _ => fail(StatusCode::NOT_FOUND, "404", "no such call"),
    }
}

async fn send(
    state: &State,
    account: &Account,
    keys: &HashMap<String, String>,
    multipart: Option<Multipart>,
) -> Response {
    let from = keys.get("from").cloned().unwrap_or_default();
    // A system sends only as its own agency.
    if from != account.code {
        return fail(StatusCode::OK, "403", "from is not this system's agency");
    }
    let kind = keys.get("messagetype").cloned().unwrap_or_default();
    if kind != "edoc" && kind != "status" {
        return fail(StatusCode::OK, "400", "messagetype must be edoc or status");
    }
    let Ok(to) = serde_json::from_str::<Vec<String>>(keys.get("to").map_or("", String::as_str))
    else {
        return fail(StatusCode::OK, "400", "to must be a JSON list of codes");
    };
    if to.is_empty() {
        return fail(StatusCode::OK, "400", "no recipient");
    }
    let mut bytes = None;
    if let Some(mut multipart) = multipart {
        while let Ok(Some(field)) = multipart.next_field().await {
            if field.name() == Some("file_doc") {
                bytes = field.bytes().await.ok();
            }
        }
    }
    let Some(bytes) = bytes.filter(|b| !b.is_empty()) else {
        return fail(StatusCode::OK, "400", "no file_doc");
    };
    let doc_id = state.next_id.fetch_add(1, Ordering::SeqCst).to_string();
    state.messages.lock().unwrap().push(Stored {
        doc_id: doc_id.clone(),
        from,
        to,
        kind,
        bytes,
        acks: HashMap::new(),
    });
    answer(
        StatusCode::OK,
        json!({"status": "OK", "ErrorCode": "0", "DocId": doc_id}),
    )
}

/// The double runs on the machine's clock, as a remote service does.
fn wall_clock() -> chrono::DateTime<chrono::Utc> {
    std::time::SystemTime::now().into()
}
