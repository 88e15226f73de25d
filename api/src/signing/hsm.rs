//! The seam between signing and whatever holds the private keys: sign a SHA-256 digest with a
//! named key, read a key's public half, create a key pair. Keys never leave the HSM; callers
//! only ever see public keys (as DER SubjectPublicKeyInfo) and signatures.

use async_trait::async_trait;

/// The key types a credential may have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyAlgorithm {
    Rsa2048,
    EcdsaP256,
}

impl KeyAlgorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyAlgorithm::Rsa2048 => "rsa2048",
            KeyAlgorithm::EcdsaP256 => "ecdsa_p256",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "rsa2048" => Some(KeyAlgorithm::Rsa2048),
            "ecdsa_p256" => Some(KeyAlgorithm::EcdsaP256),
            _ => None,
        }
    }
}

/// The public half of a key in the HSM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKeyInfo {
    pub algorithm: KeyAlgorithm,
    /// DER SubjectPublicKeyInfo.
    pub spki_der: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum HsmError {
    #[error("no signing HSM is configured (PKCS11_MODULE)")]
    NotConfigured,
    #[error("the HSM is unavailable: {0}")]
    Unavailable(String),
    #[error("no key labelled {0} in the HSM")]
    KeyNotFound(String),
    #[error("a key labelled {0} already exists in the HSM")]
    KeyExists(String),
    #[error("the HSM refused the operation: {0}")]
    Failed(String),
}

#[async_trait]
pub trait Hsm: Send + Sync + 'static {
    /// Creates a signing key pair that cannot leave the HSM.
    async fn generate(
        &self,
        label: &str,
        algorithm: KeyAlgorithm,
    ) -> Result<PublicKeyInfo, HsmError>;

    async fn public_key(&self, label: &str) -> Result<PublicKeyInfo, HsmError>;

    /// Signs a SHA-256 digest: PKCS#1 v1.5 for RSA, DER-encoded ECDSA for P-256, so the result
    /// goes into CMS and X.509 as is.
    async fn sign_digest(&self, label: &str, digest: [u8; 32]) -> Result<Vec<u8>, HsmError>;

    /// Whether the HSM answers, for `/health/ready`.
    async fn ready(&self) -> Result<(), HsmError>;
}

/// Used where PKCS11_MODULE is not set: every call says so, and readiness reports it.
pub struct NoHsm;

#[async_trait]
impl Hsm for NoHsm {
    async fn generate(&self, _: &str, _: KeyAlgorithm) -> Result<PublicKeyInfo, HsmError> {
        Err(HsmError::NotConfigured)
    }
    async fn public_key(&self, _: &str) -> Result<PublicKeyInfo, HsmError> {
        Err(HsmError::NotConfigured)
    }
    async fn sign_digest(&self, _: &str, _: [u8; 32]) -> Result<Vec<u8>, HsmError> {
        Err(HsmError::NotConfigured)
    }
    async fn ready(&self) -> Result<(), HsmError> {
        Err(HsmError::NotConfigured)
    }
}
