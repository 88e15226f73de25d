//! A day's work for the demo office, made through the API itself (every route and check, in
//! process, no socket): drafts waiting in the leader's inbox at each urgency, one of them past
//! its deadline, an incoming paper document the clerk has still to register and one waiting
//! for the leader's directive, and, when signing is set up (an HSM and the development CA), a
//! decision signed by the secretary with the PIN and issued by the clerk under the seal. The
//! audit trail and the usage report are what those steps leave.

use anyhow::{Context, bail};
use chrono::Duration;
use poem::{Endpoint, EndpointExt, Request, endpoint::BoxEndpoint, http::Method};
use serde_json::{Value, json};

use crate::{config::Settings, http, signing::sample::minimal_pdf, startup};

/// The leader who signs the demo's decision (the demo leader keeps no PIN: app developers set
/// their own).
pub const SECRETARY: &str = "demo.secretary";

/// A person of the demo, as seeded: role, username, password.
pub struct Login {
    pub role: &'static str,
    pub username: String,
    pub password: String,
}

struct Api {
    app: BoxEndpoint<'static>,
}

struct Reply {
    status: u16,
    body: Value,
}

const BOUNDARY: &str = "vanban-demo-7f3a9c";

impl Api {
    async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> anyhow::Result<Reply> {
        let mut req = Request::builder()
            .method(method)
            .uri_str(path)
            .content_type(content_type);
        if let Some(token) = token {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        let resp = self
            .app
            .call(req.body(body))
            .await
            .map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
        let status = resp.status().as_u16();
        let bytes = resp.into_body().into_vec().await?;
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(Reply { status, body })
    }

    /// A JSON call that must answer `expected`; its body otherwise names the problem.
    async fn json(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Value,
        expected: u16,
    ) -> anyhow::Result<Value> {
        let reply = self
            .send(
                method.clone(),
                path,
                token,
                "application/json",
                body.to_string().into_bytes(),
            )
            .await?;
        if reply.status != expected {
            bail!("{method} {path} answered {}: {}", reply.status, reply.body);
        }
        Ok(reply.body)
    }

    async fn get(&self, path: &str, token: &str) -> anyhow::Result<Value> {
        let reply = self
            .send(
                Method::GET,
                path,
                Some(token),
                "application/json",
                Vec::new(),
            )
            .await?;
        if reply.status != 200 {
            bail!("GET {path} answered {}: {}", reply.status, reply.body);
        }
        Ok(reply.body)
    }

    async fn login(&self, who: &Login, device: (&str, &str, &str)) -> anyhow::Result<String> {
        let (platform, name, device_id) = device;
        let body = json!({
            "username": who.username,
            "password": who.password,
            "device": {"device_id": device_id, "platform": platform, "name": name,
                       "app_version": "2.4.0", "locale": "vi"},
        });
        let tokens = self
            .json(Method::POST, "/api/v1/auth/login", None, body, 200)
            .await?;
        tokens["access_token"]
            .as_str()
            .map(str::to_owned)
            .context("a login without an access token")
    }

    /// Uploads one PDF with `metadata`; the document's id and its main file's id.
    async fn upload(
        &self,
        token: &str,
        metadata: Value,
        file_name: &str,
    ) -> anyhow::Result<(String, String)> {
        let text = metadata["summary"].as_str().unwrap_or("Van ban");
        // The sample's content stream is plain ASCII: the page shows the summary unaccented.
        let ascii: String = crate::domain::search::fold(text)
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == ' ')
            .collect();
        let mut body = format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\
             Content-Type: application/json\r\n\r\n{metadata}\r\n--{BOUNDARY}\r\n\
             Content-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
             Content-Type: application/pdf\r\n\r\n"
        )
        .into_bytes();
        body.extend(minimal_pdf(&ascii, 0));
        body.extend(format!("\r\n--{BOUNDARY}--\r\n").into_bytes());
        let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
        let reply = self
            .send(
                Method::POST,
                "/api/v1/documents",
                Some(token),
                &content_type,
                body,
            )
            .await?;
        if reply.status != 201 {
            bail!(
                "uploading {file_name} answered {}: {}",
                reply.status,
                reply.body
            );
        }
        let id = text_of(&reply.body, "id")?;
        let file = text_of(&reply.body["files"][0], "id")?;
        Ok((id, file))
    }

    /// The waiting task of `token`'s inbox about `document`.
    async fn task_for(&self, token: &str, document: &str) -> anyhow::Result<String> {
        let inbox = self.get("/api/v1/inbox?limit=100", token).await?;
        inbox["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["document_id"] == document)
            .and_then(|e| e["task"]["id"].as_str())
            .map(str::to_owned)
            .with_context(|| format!("no task waits about document {document}"))
    }
}

fn text_of(value: &Value, key: &str) -> anyhow::Result<String> {
    value[key]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("`{key}` missing from {value}"))
}

fn find<'a>(logins: &'a [Login], role: &str) -> anyhow::Result<&'a Login> {
    logins
        .iter()
        .find(|l| l.role == role)
        .with_context(|| format!("no demo {role}"))
}

/// The committee's units: agency code, abbreviation, name.
const UNITS: [(&str, &str, &str); 3] = [
    ("000.01.00.A99", "VPTU", "Văn phòng Tỉnh ủy"),
    ("000.02.00.A99", "BTCTU", "Ban Tổ chức Tỉnh ủy"),
    ("000.03.00.A99", "BTGTU", "Ban Tuyên giáo Tỉnh ủy"),
];

/// The drafts the specialist sends the leader, one per urgency.
const DRAFTS: [(&str, &str, &str); 4] = [
    (
        "normal",
        "BC",
        "Báo cáo kết quả thực hiện Nghị quyết về chuyển đổi số quý IV năm 2026",
    ),
    (
        "urgent",
        "TTr",
        "Tờ trình về việc phê duyệt Kế hoạch tổ chức Hội nghị cán bộ chủ chốt",
    ),
    (
        "very_urgent",
        "CV",
        "Công văn về việc chuẩn bị nội dung phục vụ Đoàn công tác của Trung ương",
    ),
    (
        "flash",
        "KH",
        "Kế hoạch ứng phó với bão số 15 và mưa lũ tại các huyện ven biển",
    ),
];

/// Seeds the day; `logins` are the people `seed_demo` just created.
pub async fn seed(settings: &Settings, logins: &[Login]) -> anyhow::Result<Vec<String>> {
    let state = startup::build_state(settings).await?;
    let clock = state.clock.clone();
    let now = clock.now();
    let api = Api {
        app: http::app(
            state,
            settings.max_json_body_bytes,
            settings.console_dir.clone(),
        )
        .map_to_response()
        .boxed(),
    };
    let admin = api
        .login(
            find(logins, "admin")?,
            ("web", "Máy tính Văn phòng", "demo-admin-pc"),
        )
        .await?;
    let leader_login = find(logins, "leader")?;
    let leader = api
        .login(leader_login, ("ios", "iPhone 15 Pro", "demo-leader-iphone"))
        .await?;
    let specialist = api
        .login(
            find(logins, "specialist")?,
            ("android", "Samsung Galaxy A55", "demo-specialist-phone"),
        )
        .await?;
    let clerk = api
        .login(
            find(logins, "clerk")?,
            ("android", "Xiaomi Redmi Note 13", "demo-clerk-phone"),
        )
        .await?;
    let people = api.get("/api/v1/admin/users?limit=100", &admin).await?;
    let id_of = |username: &str| -> anyhow::Result<String> {
        people["items"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|u| u["username"] == username)
            .and_then(|u| u["id"].as_str())
            .map(str::to_owned)
            .with_context(|| format!("no account `{username}`"))
    };
    let leader_id = id_of(&leader_login.username)?;
    let mut done = Vec::new();

    let top = text_of(&api.get("/api/v1/me", &admin).await?["organization"], "id")?;
    for (code, abbreviation, name) in UNITS {
        let unit = json!({"code": code, "abbreviation": abbreviation, "name": name,
                          "parent_id": top, "numbering_style": "party"});
        api.json(
            Method::POST,
            "/api/v1/admin/organizations",
            Some(&admin),
            unit,
            201,
        )
        .await?;
    }
    done.push(format!("{} units below the committee", UNITS.len()));

    for (urgency, doc_type, summary) in DRAFTS {
        let metadata = json!({"direction": "outgoing", "doc_type": doc_type, "summary": summary,
                              "urgency": urgency, "confidentiality": "none",
                              "place_of_issue": "Ninh Bình", "places": ["Lưu: VT, VPTU"]});
        let (doc, _) = api
            .upload(&specialist, metadata, &format!("{doc_type}-du-thao.pdf"))
            .await?;
        let steps = json!({"steps": [{"user_id": leader_id, "action": "review"}],
                           "deadline": now + Duration::days(3)});
        api.json(
            Method::POST,
            &format!("/api/v1/documents/{doc}/submit"),
            Some(&specialist),
            steps,
            200,
        )
        .await?;
    }
    done.push("4 drafts wait for the leader's review, one at each urgency".to_owned());

    // Deadlines must lie ahead when set: this one passes a few seconds after the seeding.
    let (late, _) = api
        .upload(
            &specialist,
            json!({"direction": "outgoing", "doc_type": "TB", "urgency": "normal",
                   "confidentiality": "none",
                   "summary": "Thông báo lịch tiếp công dân định kỳ của Thường trực Tỉnh ủy"}),
            "TB-du-thao.pdf",
        )
        .await?;
    // Read the clock again: the seeding so far may have taken longer than the margin.
    let deadline = clock.now() + Duration::seconds(5);
    api.json(
        Method::POST,
        &format!("/api/v1/documents/{late}/submit"),
        Some(&specialist),
        json!({"steps": [{"user_id": leader_id, "action": "review"}], "deadline": deadline}),
        200,
    )
    .await?;
    done.push("1 draft past its deadline in the leader's inbox".to_owned());

    let incoming = |number: u32, symbol: &str, summary: &str| {
        json!({"direction": "incoming", "doc_type": "CV", "urgency": "urgent",
               "confidentiality": "none", "summary": summary,
               "issuer": "Văn phòng Chính phủ", "issuer_code": "000.00.00.G22",
               "number": number, "symbol": symbol,
               "issued_on": (now - Duration::days(2)).date_naive()})
    };
    api.upload(
        &clerk,
        incoming(
            8123,
            "8123/VPCP-KSTT",
            "Về việc đẩy mạnh cung cấp dịch vụ công trực tuyến toàn trình",
        ),
        "8123-VPCP-KSTT.pdf",
    )
    .await?;
    done.push("1 incoming document waiting for the clerk to register it".to_owned());
    let (registered, _) = api
        .upload(
            &clerk,
            incoming(
                8090,
                "8090/VPCP-NN",
                "Về việc triển khai các biện pháp cấp bách phòng, chống dịch tả lợn châu Phi",
            ),
            "8090-VPCP-NN.pdf",
        )
        .await?;
    api.json(
        Method::POST,
        &format!("/api/v1/documents/{registered}/register"),
        Some(&clerk),
        json!({"to_user_id": leader_id, "deadline": now + Duration::days(5)}),
        200,
    )
    .await?;
    done.push("1 registered incoming document waiting for the leader's directive".to_owned());

    match signed_and_issued(&api, logins, &admin, &specialist, &clerk, &leader, &id_of).await {
        Ok(symbol) => done.push(format!(
            "1 decision reviewed, signed with the PIN, issued as {symbol} and sent to the units"
        )),
        Err(e) => done.push(format!("no signed document: {e:#}")),
    }
    Ok(done)
}

/// A decision reviewed by the leader, signed by the secretary and issued under the seal;
/// its number and symbol. Needs the HSM and a development CA (as `scripts/demo` sets up).
async fn signed_and_issued(
    api: &Api,
    logins: &[Login],
    admin: &str,
    specialist: &str,
    clerk: &str,
    leader: &str,
    id_of: &dyn Fn(&str) -> anyhow::Result<String>,
) -> anyhow::Result<String> {
    let secretary_login = logins
        .iter()
        .find(|l| l.username == SECRETARY)
        .context("no demo secretary")?;
    let secretary_id = id_of(&secretary_login.username)?;
    let leader_id = id_of(&find(logins, "leader")?.username)?;
    let org = text_of(&api.get("/api/v1/me", admin).await?["organization"], "id")?;
    api.json(
        Method::POST,
        &format!("/api/v1/admin/organizations/{org}/signing-credential"),
        Some(admin),
        json!({}),
        201,
    )
    .await
    .context("the seal (is signing set up, with DEV_CA?)")?;
    let credential = api
        .json(
            Method::POST,
            &format!("/api/v1/admin/users/{secretary_id}/signing-credential"),
            Some(admin),
            json!({}),
            201,
        )
        .await?;
    if credential["certificate_pem"].is_null() {
        bail!("the secretary's key waits for a CA's certificate (DEV_CA is off)");
    }
    let secretary = api
        .login(
            secretary_login,
            ("ios", "iPad Pro 11 inch", "demo-secretary-ipad"),
        )
        .await?;
    // A PIN nobody is told: the demo's signature is made; leaders set their own to try one.
    let pin: String = {
        use rand::Rng;
        let mut rng = rand::thread_rng();
        (0..8)
            .map(|_| char::from(b'0' + rng.gen_range(0..10)))
            .collect()
    };
    api.json(
        Method::PUT,
        "/api/v1/me/signing-pin",
        Some(&secretary),
        json!({"current_password": secretary_login.password, "pin": pin}),
        204,
    )
    .await?;
    // Sent to the committee's units when issued: the report counts it sent and received.
    let units: Vec<Value> = api.get("/api/v1/admin/organizations", admin).await?["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|o| o["parent_id"] == org.as_str())
        .map(|o| json!({"organization_id": o["id"]}))
        .collect();
    let (doc, file) = api
        .upload(
            specialist,
            json!({"direction": "outgoing", "doc_type": "QĐ", "urgency": "normal",
                   "confidentiality": "none",
                   "summary": "Quyết định thành lập Tổ công tác triển khai Đề án 06 của Tỉnh ủy",
                   "place_of_issue": "Ninh Bình", "places": ["Lưu: VT, VPTU"],
                   "recipients": units,
                   "signer": {"competence": "TM. BAN THƯỜNG VỤ", "position": "BÍ THƯ",
                              "full_name": "Lê Minh Châu"}}),
            "QD-to-cong-tac.pdf",
        )
        .await?;
    api.json(
        Method::POST,
        &format!("/api/v1/documents/{doc}/submit"),
        Some(specialist),
        json!({"steps": [{"user_id": leader_id, "action": "review"},
                         {"user_id": secretary_id, "action": "sign"}]}),
        200,
    )
    .await?;
    let review = api.task_for(leader, &doc).await?;
    api.json(
        Method::POST,
        &format!("/api/v1/tasks/{review}/approve"),
        Some(leader),
        json!({"comment": "Đồng ý, trình đồng chí Bí thư ký."}),
        200,
    )
    .await?;
    let sign = api.task_for(&secretary, &doc).await?;
    let request = api
        .json(
            Method::POST,
            &format!("/api/v1/tasks/{sign}/signing-requests"),
            Some(&secretary),
            json!({"file_id": file, "reason": "Phê duyệt", "location": "Ninh Bình"}),
            201,
        )
        .await?;
    let request_id = text_of(&request, "id")?;
    api.json(
        Method::POST,
        &format!("/api/v1/signing-requests/{request_id}/confirm"),
        Some(&secretary),
        json!({"pin": pin, "digest": text_of(&request, "digest")?}),
        200,
    )
    .await?;
    let issued = api
        .json(
            Method::POST,
            &format!("/api/v1/documents/{doc}/issue"),
            Some(clerk),
            json!({}),
            200,
        )
        .await?;
    text_of(&issued, "symbol").or_else(|_| Ok(issued.to_string()))
}
