//! Certificates for HSM keys: the PKCS#10 request a real CA needs (signed inside the HSM), and
//! a development CA that issues certificates at once where `DEV_CA` is on. The development CA's
//! key is a P-256 key kept in the data directory, generated at first use: it exists only to
//! make development and tests self-contained and must never be trusted in production.

use std::{
    path::{Path, PathBuf},
    str::FromStr,
    time::{Duration, SystemTime},
};

use chrono::{DateTime, Utc};
use der::{Decode, DecodePem, Encode, EncodePem, asn1::BitString, pem::LineEnding};
use p256::{ecdsa::SigningKey, pkcs8::DecodePrivateKey, pkcs8::EncodePrivateKey};
use rand::RngCore;
use sha2::{Digest, Sha256};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::{
    Certificate,
    builder::{Builder, CertificateBuilder, Profile},
    name::Name,
    request::{CertReq, CertReqInfo, Version},
    serial_number::SerialNumber,
    time::{Time, Validity},
};

use super::{
    cms::{ECDSA_WITH_SHA256, SHA256_WITH_RSA},
    hsm::{Hsm, HsmError, KeyAlgorithm, PublicKeyInfo},
};

/// How long a development certificate lasts.
const LEAF_LIFETIME: Duration = Duration::from_secs(2 * 365 * 24 * 3600);
const CA_LIFETIME: Duration = Duration::from_secs(20 * 365 * 24 * 3600);
/// Certificates start a little in the past so a clock slightly behind still accepts them.
const BACKDATE: Duration = Duration::from_secs(300);

#[derive(Debug, thiserror::Error)]
pub enum CaError {
    #[error(transparent)]
    Hsm(#[from] HsmError),
    #[error("certificate encoding: {0}")]
    Der(#[from] der::Error),
    #[error("certificate building: {0}")]
    Build(String),
    #[error("the development CA files: {0}")]
    Io(#[from] std::io::Error),
}

/// The development CA: its certificate is a trust anchor served to clients and validators.
pub struct DevCa {
    key: SigningKey,
    pub certificate: Certificate,
}

// The CA key must never be printed.
impl std::fmt::Debug for DevCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevCa")
            .field(
                "subject",
                &self.certificate.tbs_certificate.subject.to_string(),
            )
            .finish_non_exhaustive()
    }
}

impl DevCa {
    /// Loads the CA from `dir`, creating it on first use.
    pub fn load_or_create(dir: &Path, now: DateTime<Utc>) -> Result<Self, CaError> {
        let (key_path, cert_path) = paths(dir);
        if key_path.exists() && cert_path.exists() {
            let key = SigningKey::from_pkcs8_pem(&std::fs::read_to_string(&key_path)?)
                .map_err(|e| CaError::Build(format!("CA key: {e}")))?;
            let certificate = Certificate::from_pem(std::fs::read(&cert_path)?)?;
            return Ok(Self { key, certificate });
        }
        std::fs::create_dir_all(dir)?;
        let key = SigningKey::random(&mut rand::rngs::OsRng);
        let spki = SubjectPublicKeyInfoOwned::from_key(*key.verifying_key())
            .map_err(|e| CaError::Build(e.to_string()))?;
        let subject = Name::from_str("CN=Vanban Development CA,O=Vanban development")?;
        let certificate = CertificateBuilder::new(
            Profile::Root,
            serial_number()?,
            validity(now, CA_LIFETIME)?,
            subject,
            spki,
            &key,
        )
        .map_err(|e| CaError::Build(e.to_string()))?
        .build::<p256::ecdsa::DerSignature>()
        .map_err(|e| CaError::Build(e.to_string()))?;
        let pem = key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| CaError::Build(e.to_string()))?;
        write_private(&key_path, pem.as_bytes())?;
        std::fs::write(&cert_path, certificate.to_pem(LineEnding::LF)?)?;
        Ok(Self { key, certificate })
    }

    /// A signing certificate for `subject` over the HSM key `public`.
    pub fn issue(
        &self,
        subject: Name,
        public: &PublicKeyInfo,
        now: DateTime<Utc>,
    ) -> Result<Certificate, CaError> {
        let spki = SubjectPublicKeyInfoOwned::from_der(&public.spki_der)?;
        CertificateBuilder::new(
            Profile::Leaf {
                issuer: self.certificate.tbs_certificate.subject.clone(),
                enable_key_agreement: false,
                enable_key_encipherment: false,
            },
            serial_number()?,
            validity(now, LEAF_LIFETIME)?,
            subject,
            spki,
            &self.key,
        )
        .map_err(|e| CaError::Build(e.to_string()))?
        .build::<p256::ecdsa::DerSignature>()
        .map_err(|e| CaError::Build(e.to_string()))
    }
}

fn paths(dir: &Path) -> (PathBuf, PathBuf) {
    (dir.join("ca-key.pem"), dir.join("ca.pem"))
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)
}

fn serial_number() -> Result<SerialNumber, CaError> {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    // Positive, and never starting with a zero byte that DER would strip.
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    Ok(SerialNumber::new(&bytes)?)
}

fn validity(now: DateTime<Utc>, lifetime: Duration) -> Result<Validity, CaError> {
    let start = SystemTime::from(now) - BACKDATE;
    Ok(Validity {
        not_before: Time::try_from(start)?,
        not_after: Time::try_from(start + lifetime)?,
    })
}

/// The subject of a signer's certificate: common name, title and organisation, escaped as
/// RFC 4514 requires (names carry commas and Vietnamese letters).
pub fn subject(common_name: &str, organization: &str) -> Result<Name, CaError> {
    let name = format!("CN={},O={}", escape(common_name), escape(organization));
    Ok(Name::from_str(&name)?)
}

fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for (i, c) in value.chars().enumerate() {
        let edge = i == 0 || i + 1 == value.chars().count();
        if matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=')
            || (edge && c == ' ')
            || (i == 0 && c == '#')
        {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A PKCS#10 request for the HSM key `label`, signed by that key, in PEM.
pub async fn certificate_request(
    hsm: &dyn Hsm,
    label: &str,
    public: &PublicKeyInfo,
    subject: Name,
) -> Result<String, CaError> {
    let info = CertReqInfo {
        version: Version::V1,
        subject,
        public_key: SubjectPublicKeyInfoOwned::from_der(&public.spki_der)?,
        attributes: Default::default(),
    };
    let digest: [u8; 32] = Sha256::digest(info.to_der()?).into();
    let signature = hsm.sign_digest(label, digest).await?;
    let request = CertReq {
        info,
        algorithm: signature_algorithm(public.algorithm),
        signature: BitString::from_bytes(&signature)?,
    };
    Ok(request.to_pem(LineEnding::LF)?)
}

pub fn signature_algorithm(algorithm: KeyAlgorithm) -> AlgorithmIdentifierOwned {
    match algorithm {
        KeyAlgorithm::Rsa2048 => AlgorithmIdentifierOwned {
            oid: SHA256_WITH_RSA,
            parameters: Some(der::Any::null()),
        },
        KeyAlgorithm::EcdsaP256 => AlgorithmIdentifierOwned {
            oid: ECDSA_WITH_SHA256,
            parameters: None,
        },
    }
}

/// Whether `certificate` is for the HSM key `public` and valid at `now`: the check before a
/// certificate from the real CA is installed.
pub fn matches_key(
    certificate: &Certificate,
    public: &PublicKeyInfo,
    now: DateTime<Utc>,
) -> Result<bool, CaError> {
    let spki = certificate
        .tbs_certificate
        .subject_public_key_info
        .to_der()?;
    Ok(spki == public.spki_der && valid_at(certificate, now))
}

pub fn valid_at(certificate: &Certificate, at: DateTime<Utc>) -> bool {
    let validity = &certificate.tbs_certificate.validity;
    let at = SystemTime::from(at);
    validity.not_before.to_system_time() <= at && at <= validity.not_after.to_system_time()
}
