//! A local time-stamping authority speaking RFC 3161 over HTTP: each query is answered by
//! `openssl ts -reply`, signed with a TSA certificate (extendedKeyUsage timeStamping) from a CA
//! of its own, both generated into a temporary directory. It can be told to answer garbage or
//! HTTP 500, as a broken or a down authority does.

use std::{
    path::PathBuf,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

use poem::{
    EndpointExt, IntoResponse, Response, Route, Server, handler,
    http::StatusCode,
    listener::{Acceptor, Listener, TcpListener},
    web::Data,
};
use uuid::Uuid;

use crate::helpers::openssl;

/// How the authority answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TsaAnswer {
    Timestamp,
    /// 200 with a body that is not a TimeStampResp.
    Garbage,
    /// 500.
    Down,
}

struct State {
    dir: PathBuf,
    answer: Mutex<TsaAnswer>,
    queries: AtomicUsize,
    /// `openssl ts` increments a serial file: one reply at a time.
    replying: tokio::sync::Mutex<()>,
}

pub struct FakeTsa {
    pub url: String,
    /// The CA the TSA certificate chains to, PEM.
    pub ca: PathBuf,
    state: Arc<State>,
}

impl FakeTsa {
    pub async fn start() -> FakeTsa {
        let dir = std::env::temp_dir().join(format!("vanban-tsa-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = |name: &str| dir.join(name).display().to_string();
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "3650",
            "-keyout",
            &path("ca.key"),
            "-out",
            &path("ca.pem"),
            "-subj",
            "/O=Vanban Test/CN=Vanban Test TSA Root",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            &path("tsa.key"),
            "-out",
            &path("tsa.csr"),
            "-subj",
            "/O=Vanban Test/CN=Vanban Test TSA",
        ]);
        std::fs::write(
            dir.join("tsa.ext"),
            "basicConstraints=critical,CA:FALSE\n\
             keyUsage=critical,digitalSignature,nonRepudiation\n\
             extendedKeyUsage=critical,timeStamping\n\
             subjectKeyIdentifier=hash\n\
             authorityKeyIdentifier=keyid\n",
        )
        .unwrap();
        openssl(&[
            "x509",
            "-req",
            "-days",
            "3650",
            "-in",
            &path("tsa.csr"),
            "-CA",
            &path("ca.pem"),
            "-CAkey",
            &path("ca.key"),
            "-CAcreateserial",
            "-extfile",
            &path("tsa.ext"),
            "-out",
            &path("tsa.pem"),
        ]);
        std::fs::write(dir.join("serial"), "01\n").unwrap();
        std::fs::write(
            dir.join("ts.cnf"),
            format!(
                "[ tsa ]\ndefault_tsa = tsa_config\n\n[ tsa_config ]\n\
                 dir = {}\nserial = $dir/serial\ncrypto_device = builtin\n\
                 signer_cert = $dir/tsa.pem\ncerts = $dir/ca.pem\nsigner_key = $dir/tsa.key\n\
                 signer_digest = sha256\ndefault_policy = 1.3.6.1.4.1.99999.1\n\
                 other_policies = 1.3.6.1.4.1.99999.2\n\
                 digests = sha256, sha384, sha512\naccuracy = secs:1\nordering = no\n\
                 tsa_name = yes\ness_cert_id_chain = no\ness_cert_id_alg = sha256\n",
                dir.display()
            ),
        )
        .unwrap();

        let acceptor = TcpListener::bind("127.0.0.1:0")
            .into_acceptor()
            .await
            .unwrap();
        let addr = acceptor.local_addr()[0].as_socket_addr().copied().unwrap();
        let state = Arc::new(State {
            dir: dir.clone(),
            answer: Mutex::new(TsaAnswer::Timestamp),
            queries: AtomicUsize::new(0),
            replying: tokio::sync::Mutex::new(()),
        });
        let app = Route::new()
            .at("/tsa", poem::post(reply))
            .data(state.clone());
        tokio::spawn(Server::new_with_acceptor(acceptor).run(app));
        FakeTsa {
            url: format!("http://{addr}/tsa"),
            ca: dir.join("ca.pem"),
            state,
        }
    }

    /// The environment that points a server at this authority and trusts it.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("TSA_URL".into(), self.url.clone()),
            (
                "TSA_TRUST_ANCHORS_FILE".into(),
                self.ca.display().to_string(),
            ),
        ]
    }

    pub fn answer(&self, answer: TsaAnswer) {
        *self.state.answer.lock().unwrap() = answer;
    }

    /// How many queries reached it, whatever it answered.
    pub fn queries(&self) -> usize {
        self.state.queries.load(Ordering::SeqCst)
    }
}

impl Drop for FakeTsa {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.state.dir);
    }
}

#[handler]
async fn reply(query: Vec<u8>, state: Data<&Arc<State>>) -> Response {
    state.queries.fetch_add(1, Ordering::SeqCst);
    let answer = *state.answer.lock().unwrap();
    match answer {
        TsaAnswer::Down => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        TsaAnswer::Garbage => {
            return Response::builder()
                .content_type("application/timestamp-reply")
                .body("no timestamp here");
        }
        TsaAnswer::Timestamp => {}
    }
    let _one = state.replying.lock().await;
    let id = Uuid::new_v4().simple();
    let (query_file, reply_file) = (
        state.dir.join(format!("{id}.tsq")),
        state.dir.join(format!("{id}.tsr")),
    );
    std::fs::write(&query_file, query).unwrap();
    let config = state.dir.join("ts.cnf");
    let status = tokio::process::Command::new("openssl")
        .args(["ts", "-reply", "-config"])
        .arg(&config)
        .arg("-queryfile")
        .arg(&query_file)
        .arg("-out")
        .arg(&reply_file)
        .status()
        .await
        .unwrap();
    assert!(status.success(), "openssl ts -reply failed");
    let body = std::fs::read(&reply_file).unwrap();
    Response::builder()
        .content_type("application/timestamp-reply")
        .body(body)
}
