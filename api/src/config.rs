//! Typed settings from the environment (and a `.env` file when present). Every key is
//! documented in `.env.example`; secrets are held as `SecretString` so `Debug` never prints them.

use std::{
    net::{IpAddr, SocketAddr},
    path::PathBuf,
    str::FromStr,
    time::Duration,
};

use ipnet::IpNet;
use secrecy::{ExposeSecret, SecretString};

#[derive(Debug, thiserror::Error)]
#[error("configuration key {key}: {reason}")]
pub struct ConfigError {
    pub key: &'static str,
    pub reason: String,
}

/// Liberation Serif from Debian's fonts-liberation2: Times New Roman's metrics, as the rules on
/// clerical work ask, with Vietnamese.
pub const DEFAULT_SIGNATURE_FONT: &str =
    "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub database_url: SecretString,
    pub redis_url: SecretString,
    /// Prefixes every Redis key, so several deployments (or test runs) can share one Redis.
    pub redis_key_prefix: String,
    pub bind_addr: SocketAddr,
    pub public_url: Option<String>,
    /// Load balancers and reverse proxies whose `X-Forwarded-For` names the client; from
    /// anyone else the header is ignored, so a client cannot choose its own address.
    pub trusted_proxies: Vec<IpNet>,
    pub jwt_private_key_file: Option<PathBuf>,
    pub access_token_ttl: Duration,
    /// A device session that makes no refresh for this long ends by itself.
    pub session_idle_ttl: Duration,
    pub login_max_failures: u32,
    pub login_ip_max_failures: u32,
    pub login_lock: Duration,
    /// Password (and PIN) checks that may wait for a hashing worker, per lane; more are
    /// refused with 503 `busy`.
    pub password_queue_max: usize,
    /// Signature checks that may wait for a worker; more are refused with 503 `busy`.
    pub verify_queue_max: usize,
    pub max_json_body_bytes: usize,
    /// Where uploaded files are kept, content-addressed; with an object store, where this
    /// instance stages its uploads.
    pub storage_dir: PathBuf,
    /// An S3-compatible bucket that every instance shares; `None` keeps files in `storage_dir`.
    pub object_store: Option<ObjectStoreSettings>,
    pub max_upload_bytes: u64,
    pub migrate_on_start: bool,
    pub log_format: LogFormat,
    /// The PKCS#11 module of the signing HSM; without it, signing is off.
    pub pkcs11_module: Option<PathBuf>,
    pub pkcs11_token_label: String,
    /// The token's user PIN; when absent, read from `DATA_DIR/pkcs11-pin` (development).
    pub pkcs11_pin: Option<SecretString>,
    /// Issue development certificates from a CA kept in the data directory.
    pub dev_ca: bool,
    /// PEM certificates of the CAs that signers' certificates chain to (the government's
    /// specialised CA); served as trust anchors and used to verify signatures.
    pub signing_trust_anchors_file: Option<PathBuf>,
    /// How long a signing request waits for its PIN.
    pub signing_request_ttl: Duration,
    /// The TrueType font signature appearances are written in; required when signing is on.
    pub signature_font_file: PathBuf,
    /// The RFC 3161 time-stamping authority; without it signatures are PAdES B-B.
    pub tsa_url: Option<String>,
    /// Whether a signature waits for a timestamp (503 while the authority is down), or is
    /// made B-B without one.
    pub tsa_required: bool,
    /// PEM certificates of the authority's CA chain: they join the trust anchors.
    pub tsa_trust_anchors_file: Option<PathBuf>,
    pub push: PushSettings,
    /// Accept test environments' agency codes outside the QCVN 102 pattern (`vxp.saas.03`).
    pub exchange_allow_test_codes: bool,
    /// The exchange axis; without it documents go only to organisations on this server.
    pub exchange: Option<ExchangeSettings>,
    /// The built admin console, served at `/console`.
    pub console_dir: PathBuf,
}

/// An S3-compatible bucket (`S3_BUCKET` set).
#[derive(Clone, Debug)]
pub struct ObjectStoreSettings {
    pub bucket: String,
    /// The service's URL when it is not AWS (MinIO, Ceph, a provider's S3 endpoint).
    pub endpoint: Option<String>,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    /// Put before each file's name in the bucket, e.g. `vanban/files/`.
    pub prefix: String,
}

/// The exchange axis this server sends through and polls (`EXCHANGE_URL` set).
#[derive(Clone, Debug)]
pub struct ExchangeSettings {
    pub url: String,
    /// Who this server is to the axis, and the secret its calls are signed with.
    pub system_id: String,
    pub secret: SecretString,
    /// Our agency code on the axis (QCVN 102; a test axis's `vxp.saas.03` is accepted with a
    /// warning).
    pub agency_code: String,
    /// How often one instance asks the axis what waits for us.
    pub poll_interval: Duration,
    /// Bounds every call to the axis.
    pub timeout: Duration,
    /// How the exchange outbox's sender paces itself.
    pub outbox: Pacing,
}

/// How an outbox worker paces itself.
#[derive(Clone, Debug)]
pub struct Pacing {
    /// How long a claimed row stays reserved for its sender; after that it is due again.
    pub lease: Duration,
    /// How often the worker looks for rows due for a retry (new rows wake it at once).
    pub poll_interval: Duration,
    /// The first retry's delay; each further retry doubles it, up to `max_retry_delay`.
    pub retry_base: Duration,
    pub max_retry_delay: Duration,
    pub max_attempts: u32,
    /// Sends in flight at once per instance.
    pub concurrency: usize,
}

/// Where pushes go and how the outbox worker paces itself.
#[derive(Clone, Debug)]
pub struct PushSettings {
    /// The Google service-account JSON; without it pushes are recorded but not sent.
    pub service_account_file: Option<PathBuf>,
    pub fcm_base_url: String,
    pub pacing: Pacing,
    /// How long before a task's deadline its assignee gets `deadline_soon`.
    pub reminder_lead: Duration,
    /// How often each instance looks for tasks due a deadline reminder.
    pub reminder_scan: Duration,
    /// How soon after an urge the same task may be urged again.
    pub urge_interval: Duration,
}

impl Settings {
    /// Reads the process environment, after loading `.env` from the working directory if any.
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is the normal case in production.
        let _ = dotenvy::dotenv();
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |key: &str| get(key).filter(|v| !v.trim().is_empty());
        let data_dir = PathBuf::from(var("DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database_url = var("DATABASE_URL").unwrap_or_else(|| {
            format!("sqlite://{}?mode=rwc", data_dir.join("vanban.db").display())
        });
        let log_format = match var("LOG_FORMAT").as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError {
                    key: "LOG_FORMAT",
                    reason: format!("expected `pretty` or `json`, got `{other}`"),
                });
            }
        };
        Ok(Self {
            database_url: SecretString::from(database_url),
            redis_url: SecretString::from(
                var("REDIS_URL").unwrap_or_else(|| "redis://127.0.0.1:6379".into()),
            ),
            redis_key_prefix: var("REDIS_KEY_PREFIX").unwrap_or_else(|| "vanban:".into()),
            bind_addr: parse(&var, "BIND_ADDR", "127.0.0.1:8080")?,
            public_url: var("PUBLIC_URL").map(|u| u.trim_end_matches('/').to_owned()),
            trusted_proxies: trusted_proxies(&var)?,
            jwt_private_key_file: var("JWT_PRIVATE_KEY_FILE").map(PathBuf::from),
            access_token_ttl: Duration::from_secs(parse(&var, "ACCESS_TOKEN_TTL_SECONDS", "900")?),
            session_idle_ttl: Duration::from_secs(parse(
                &var,
                "SESSION_IDLE_TTL_SECONDS",
                "2592000",
            )?),
            login_max_failures: parse(&var, "LOGIN_MAX_FAILURES", "5")?,
            login_ip_max_failures: parse(&var, "LOGIN_IP_MAX_FAILURES", "50")?,
            login_lock: Duration::from_secs(parse(&var, "LOGIN_LOCK_SECONDS", "900")?),
            password_queue_max: parse(&var, "PASSWORD_QUEUE_MAX", "32")?,
            verify_queue_max: parse(&var, "VERIFY_QUEUE_MAX", "16")?,
            max_json_body_bytes: parse(&var, "MAX_JSON_BODY_BYTES", "65536")?,
            storage_dir: var("STORAGE_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| data_dir.join("files")),
            object_store: object_store(&var)?,
            max_upload_bytes: parse(&var, "MAX_UPLOAD_BYTES", "104857600")?,
            migrate_on_start: parse(&var, "MIGRATE_ON_START", "true")?,
            log_format,
            push: PushSettings {
                service_account_file: var("FCM_SERVICE_ACCOUNT_FILE").map(PathBuf::from),
                fcm_base_url: var("FCM_BASE_URL")
                    .unwrap_or_else(|| "https://fcm.googleapis.com".into())
                    .trim_end_matches('/')
                    .to_owned(),
                pacing: pacing(&var, PUSH_PACING, ["60", "5000", "2000", "900", "10", "32"])?,
                reminder_lead: Duration::from_secs(parse(
                    &var,
                    "DEADLINE_REMINDER_LEAD_SECONDS",
                    "86400",
                )?),
                reminder_scan: Duration::from_millis(parse(&var, "REMINDER_SCAN_MS", "60000")?),
                urge_interval: Duration::from_secs(parse(&var, "URGE_INTERVAL_SECONDS", "600")?),
            },
            pkcs11_module: var("PKCS11_MODULE").map(PathBuf::from),
            pkcs11_token_label: var("PKCS11_TOKEN_LABEL").unwrap_or_else(|| "vanban".into()),
            pkcs11_pin: var("PKCS11_PIN").map(SecretString::from),
            dev_ca: parse(&var, "DEV_CA", "false")?,
            exchange_allow_test_codes: parse(&var, "EXCHANGE_ALLOW_TEST_CODES", "false")?,
            exchange: exchange(&var)?,
            signing_trust_anchors_file: var("SIGNING_TRUST_ANCHORS_FILE").map(PathBuf::from),
            signing_request_ttl: Duration::from_secs(parse(
                &var,
                "SIGNING_REQUEST_TTL_SECONDS",
                "300",
            )?),
            signature_font_file: var("SIGNATURE_FONT_FILE")
                .unwrap_or_else(|| DEFAULT_SIGNATURE_FONT.into())
                .into(),
            tsa_url: var("TSA_URL"),
            tsa_required: parse(&var, "TSA_REQUIRED", "true")?,
            tsa_trust_anchors_file: var("TSA_TRUST_ANCHORS_FILE").map(PathBuf::from),
            console_dir: var("CONSOLE_DIR")
                .unwrap_or_else(|| "./api/console/dist".into())
                .into(),
            data_dir,
        })
    }

    /// The URL people and apps reach this server at, for the start-up message.
    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.bind_addr))
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.expose_secret().starts_with("sqlite:")
    }
}

/// `TRUSTED_PROXIES`: comma-separated CIDRs or single addresses.
fn trusted_proxies(var: &impl Fn(&str) -> Option<String>) -> Result<Vec<IpNet>, ConfigError> {
    let Some(list) = var("TRUSTED_PROXIES") else {
        return Ok(Vec::new());
    };
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpNet>()
                .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| ConfigError {
                    key: "TRUSTED_PROXIES",
                    reason: format!("`{s}` is not an address or a CIDR block"),
                })
        })
        .collect()
}

fn object_store(
    var: &impl Fn(&str) -> Option<String>,
) -> Result<Option<ObjectStoreSettings>, ConfigError> {
    let Some(bucket) = var("S3_BUCKET") else {
        return Ok(None);
    };
    let required = |key: &'static str| {
        var(key).ok_or_else(|| ConfigError {
            key,
            reason: "required when S3_BUCKET is set".to_owned(),
        })
    };
    Ok(Some(ObjectStoreSettings {
        bucket,
        endpoint: var("S3_ENDPOINT").map(|u| u.trim_end_matches('/').to_owned()),
        region: var("S3_REGION").unwrap_or_else(|| "us-east-1".into()),
        access_key_id: required("S3_ACCESS_KEY_ID")?,
        secret_access_key: SecretString::from(required("S3_SECRET_ACCESS_KEY")?),
        prefix: var("S3_PREFIX").unwrap_or_default(),
    }))
}

/// The keys of one worker's [`Pacing`]: lease (s), poll (ms), retry base (ms), retry cap (s),
/// attempts, concurrency.
type PacingKeys = [&'static str; 6];

const PUSH_PACING: PacingKeys = [
    "PUSH_LEASE_SECONDS",
    "PUSH_POLL_MS",
    "PUSH_RETRY_BASE_MS",
    "PUSH_MAX_RETRY_DELAY_SECONDS",
    "PUSH_MAX_ATTEMPTS",
    "PUSH_CONCURRENCY",
];

const EXCHANGE_PACING: PacingKeys = [
    "EXCHANGE_LEASE_SECONDS",
    "EXCHANGE_SEND_POLL_MS",
    "EXCHANGE_RETRY_BASE_MS",
    "EXCHANGE_MAX_RETRY_DELAY_SECONDS",
    "EXCHANGE_MAX_ATTEMPTS",
    "EXCHANGE_CONCURRENCY",
];

fn pacing(
    var: &impl Fn(&str) -> Option<String>,
    [lease, poll, base, cap, attempts, concurrency]: PacingKeys,
    defaults: [&str; 6],
) -> Result<Pacing, ConfigError> {
    Ok(Pacing {
        lease: Duration::from_secs(parse(var, lease, defaults[0])?),
        poll_interval: Duration::from_millis(parse(var, poll, defaults[1])?),
        retry_base: Duration::from_millis(parse(var, base, defaults[2])?),
        max_retry_delay: Duration::from_secs(parse(var, cap, defaults[3])?),
        max_attempts: parse(var, attempts, defaults[4])?,
        concurrency: parse(var, concurrency, defaults[5])?,
    })
}

/// All of `EXCHANGE_URL`, `EXCHANGE_SYSTEM_ID`, `EXCHANGE_SECRET` and `EXCHANGE_AGENCY_CODE`,
/// or none.
fn exchange(
    var: &impl Fn(&str) -> Option<String>,
) -> Result<Option<ExchangeSettings>, ConfigError> {
    const KEYS: [&str; 4] = [
        "EXCHANGE_URL",
        "EXCHANGE_SYSTEM_ID",
        "EXCHANGE_SECRET",
        "EXCHANGE_AGENCY_CODE",
    ];
    let given = KEYS.map(var);
    if given.iter().all(Option::is_none) {
        return Ok(None);
    }
    if let Some((key, _)) = KEYS.iter().zip(&given).find(|(_, v)| v.is_none()) {
        return Err(ConfigError {
            key,
            reason: "required with the other EXCHANGE_ settings".to_owned(),
        });
    }
    let [url, system_id, secret, agency_code] = given.map(Option::unwrap_or_default);
    Ok(Some(ExchangeSettings {
        url: url.trim_end_matches('/').to_owned(),
        system_id: system_id.trim().to_owned(),
        secret: SecretString::from(secret),
        agency_code: agency_code.trim().to_owned(),
        poll_interval: Duration::from_secs(parse(var, "EXCHANGE_POLL_SECONDS", "30")?)
            .max(Duration::from_secs(1)),
        timeout: Duration::from_secs(parse(var, "EXCHANGE_TIMEOUT_SECONDS", "30")?),
        outbox: pacing(
            var,
            EXCHANGE_PACING,
            ["120", "5000", "5000", "3600", "30", "4"],
        )?,
    }))
}

fn parse<T>(
    var: &impl Fn(&str) -> Option<String>,
    key: &'static str,
    default: &str,
) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    let raw = var(key).unwrap_or_else(|| default.to_owned());
    raw.trim().parse().map_err(|e: T::Err| ConfigError {
        key,
        reason: format!("cannot parse `{raw}`: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::from_lookup(|key| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()))
    }

    #[test]
    fn embedded_defaults_put_sqlite_in_the_data_dir() {
        let s = settings(&[("DATA_DIR", "/srv/vanban")]).unwrap();
        assert_eq!(
            s.database_url.expose_secret(),
            "sqlite:///srv/vanban/vanban.db?mode=rwc"
        );
        assert!(s.is_sqlite());
        assert_eq!(s.redis_url.expose_secret(), "redis://127.0.0.1:6379");
        assert_eq!(s.public_url(), "http://127.0.0.1:8080");
    }

    #[test]
    fn a_bad_value_names_its_key() {
        let err = settings(&[("ACCESS_TOKEN_TTL_SECONDS", "soon")]).unwrap_err();
        assert_eq!(err.key, "ACCESS_TOKEN_TTL_SECONDS");
    }

    #[test]
    fn debug_output_hides_secrets() {
        let s = settings(&[
            ("DATABASE_URL", "postgres://u:hunter2@db/v"),
            ("S3_BUCKET", "vanban"),
            ("S3_ACCESS_KEY_ID", "AKIAEXAMPLE"),
            ("S3_SECRET_ACCESS_KEY", "s3cr3t-k3y"),
        ])
        .unwrap();
        let printed = format!("{s:?}");
        assert!(!printed.contains("hunter2") && !printed.contains("s3cr3t-k3y"));
    }

    #[test]
    fn the_axis_needs_all_four_keys_and_none_means_no_axis() {
        assert!(settings(&[]).unwrap().exchange.is_none());
        let err = settings(&[("EXCHANGE_URL", "https://axis.example")]).unwrap_err();
        assert_eq!(err.key, "EXCHANGE_SYSTEM_ID");
        let s = settings(&[
            ("EXCHANGE_URL", "https://axis.example/"),
            ("EXCHANGE_SYSTEM_ID", "vanban-a52"),
            ("EXCHANGE_SECRET", "axis-s3cret"),
            ("EXCHANGE_AGENCY_CODE", "000.00.00.A52"),
        ])
        .unwrap();
        let axis = s.exchange.as_ref().unwrap();
        assert_eq!(axis.url, "https://axis.example");
        assert_eq!(axis.poll_interval, Duration::from_secs(30));
        assert!(!format!("{s:?}").contains("axis-s3cret"));
    }

    #[test]
    fn a_bucket_needs_its_keys_and_files_stay_local_without_one() {
        assert!(settings(&[]).unwrap().object_store.is_none());
        let err =
            settings(&[("S3_BUCKET", "vanban"), ("S3_ACCESS_KEY_ID", "AKIAEXAMPLE")]).unwrap_err();
        assert_eq!(err.key, "S3_SECRET_ACCESS_KEY");
    }
}
