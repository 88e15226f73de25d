//! Short-lived access tokens: EdDSA-signed JWTs naming the user and the device session.
//!
//! The key is an Ed25519 PKCS#8 PEM file. When none is configured, one is generated at first
//! start into the data directory (mode 0600) and reused after, so restarts and several
//! instances sharing the directory accept each other's tokens. The `kid` is derived from the
//! public key, so a rotated key makes old tokens fail cleanly instead of verifying wrongly.
//!
//! A token whose signature was checked once is remembered until it expires, so an app calling
//! many times with the same token pays for the Ed25519 check once. Only the signature is
//! remembered: whether the session is still alive is asked of Redis on every request (see
//! `auth::sessions`), so a revoked session is refused at once all the same.

use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
    time::Duration,
};

use chrono::{DateTime, Utc};
use ed25519_dalek::{
    SigningKey,
    pkcs8::{DecodePrivateKey, EncodePrivateKey, spki::der::pem::LineEnding},
};
use hmac::{Hmac, Mac, digest::KeyInit};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::remembered::Remembered;

const ISSUER: &str = "vanban";

/// How many tokens whose signatures were checked are remembered (see [`Remembered`]).
const VERIFIED_CAPACITY: usize = 16_384;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: Uuid,
    pub sid: Uuid,
    pub iat: i64,
    pub exp: i64,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the access token has expired")]
    Expired,
    #[error("the access token is not valid")]
    Invalid,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read the JWT key {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the JWT key {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the JWT key {path} is not an Ed25519 PKCS#8 PEM key")]
    Format { path: PathBuf },
}

pub struct TokenKeys {
    /// Derived from the private key, so every instance that shares the key shares the secrets
    /// derived from it (see [`TokenKeys::derived_mac`]) with nothing more to configure.
    derivation: [u8; 32],
    encoding: EncodingKey,
    decoding: DecodingKey,
    kid: String,
    ttl: Duration,
    verified: Remembered<Box<str>, AccessClaims>,
}

impl TokenKeys {
    /// Loads `configured`, or the development key in `data_dir`, generating that one if absent.
    pub fn load_or_generate(
        configured: Option<&Path>,
        data_dir: &Path,
        ttl: Duration,
    ) -> Result<Self, KeyError> {
        let path = match configured {
            Some(path) => path.to_owned(),
            None => {
                let path = data_dir.join("keys").join("jwt-ed25519.pem");
                if !path.exists() {
                    generate(&path)?;
                }
                path
            }
        };
        let pem = fs::read_to_string(&path).map_err(|source| KeyError::Read {
            path: path.clone(),
            source,
        })?;
        let signing = SigningKey::from_pkcs8_pem(&pem)
            .map_err(|_| KeyError::Format { path: path.clone() })?;
        Self::from_signing_key(&signing, ttl).ok_or(KeyError::Format { path })
    }

    fn from_signing_key(signing: &SigningKey, ttl: Duration) -> Option<Self> {
        let pem = signing.to_pkcs8_pem(LineEnding::LF).ok()?;
        let public = signing.verifying_key();
        let kid = hex::encode(&Sha256::digest(public.as_bytes())[..8]);
        let derivation = Sha256::new()
            .chain_update(b"vanban key derivation\0")
            .chain_update(signing.to_bytes())
            .finalize()
            .into();
        Some(Self {
            derivation,
            encoding: EncodingKey::from_ed_pem(pem.as_bytes()).ok()?,
            decoding: DecodingKey::from_ed_der(public.as_bytes()),
            kid,
            ttl,
            verified: Remembered::new(VERIFIED_CAPACITY),
        })
    }

    /// An HMAC-SHA256 under a server secret of its own for `purpose`: for values that must
    /// match across instances yet reveal nothing of what they were computed from.
    pub fn derived_mac(&self, purpose: &str) -> Hmac<Sha256> {
        let mut secret = hmac_keyed(&self.derivation);
        secret.update(purpose.as_bytes());
        hmac_keyed(&secret.finalize().into_bytes().into())
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    pub fn issue(
        &self,
        user: Uuid,
        session: Uuid,
        now: DateTime<Utc>,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        let iat = now.timestamp();
        let claims = AccessClaims {
            iss: ISSUER.to_owned(),
            sub: user,
            sid: session,
            iat,
            exp: iat + i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX),
        };
        jsonwebtoken::encode(&header, &claims, &self.encoding)
    }

    /// Checks signature, algorithm, key id and issuer (once per token), then expiry against `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<AccessClaims, TokenError> {
        let claims = match self.verified.get(token, now) {
            Some(claims) => claims,
            None => {
                let claims = self.check_signature(token)?;
                if let Some(exp) = DateTime::from_timestamp(claims.exp, 0) {
                    self.verified.insert(token.into(), claims.clone(), exp, now);
                }
                claims
            }
        };
        if claims.exp <= now.timestamp() {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }

    fn check_signature(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        if header.kid.as_deref() != Some(self.kid.as_str()) {
            return Err(TokenError::Invalid);
        }
        let mut validation = Validation::new(Algorithm::EdDSA);
        // Expiry is checked below against the injected clock, not the system time.
        validation.validate_exp = false;
        validation.required_spec_claims = ["exp", "sub", "iss"].map(String::from).into();
        validation.set_issuer(&[ISSUER]);
        jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &validation)
            .map(|data| data.claims)
            .map_err(|_| TokenError::Invalid)
    }
}

/// Writes a new key next to `path` and links it into place, so two instances starting
/// together on one data directory end up sharing whichever key was linked first.
/// HMAC pads a key shorter than its block with zeros, so this is HMAC keyed with `key`.
fn hmac_keyed(key: &[u8; 32]) -> Hmac<Sha256> {
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(key);
    <Hmac<Sha256> as KeyInit>::new(&block.into())
}

fn generate(path: &Path) -> Result<(), KeyError> {
    let write_err = |source| KeyError::Write {
        path: path.to_owned(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(write_err)?;
    let signing = SigningKey::generate(&mut rand::rngs::OsRng);
    let pem = signing
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| write_err(std::io::Error::other(e.to_string())))?;
    let tmp = dir.join(format!(".jwt-{}.tmp", Uuid::new_v4()));
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp).map_err(write_err)?;
    file.write_all(pem.as_bytes()).map_err(write_err)?;
    file.sync_all().map_err(write_err)?;
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(write_err(e)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn keys() -> TokenKeys {
        let signing = SigningKey::generate(&mut rand::rngs::OsRng);
        TokenKeys::from_signing_key(&signing, Duration::from_secs(900)).unwrap()
    }

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn a_derived_secret_is_shared_by_the_same_key_and_by_nothing_else() {
        let signing = SigningKey::generate(&mut rand::rngs::OsRng);
        let one = TokenKeys::from_signing_key(&signing, Duration::from_secs(900)).unwrap();
        let two = TokenKeys::from_signing_key(&signing, Duration::from_secs(60)).unwrap();
        let mac = |keys: &TokenKeys, purpose: &str| {
            let mut mac = keys.derived_mac(purpose);
            mac.update(b"246810");
            mac.finalize().into_bytes()
        };
        assert_eq!(mac(&one, "idempotency"), mac(&two, "idempotency"));
        assert_ne!(mac(&one, "idempotency"), mac(&one, "other"));
        assert_ne!(mac(&one, "idempotency"), mac(&keys(), "idempotency"));
        // Not the plain hash someone could test guesses against.
        assert_ne!(mac(&one, "idempotency")[..], Sha256::digest(b"246810")[..]);
    }

    #[test]
    fn a_token_is_valid_until_its_expiry_and_not_after() {
        let keys = keys();
        let (user, session) = (Uuid::new_v4(), Uuid::new_v4());
        let token = keys.issue(user, session, at(0)).unwrap();
        let claims = keys.verify(&token, at(899)).unwrap();
        assert_eq!((claims.sub, claims.sid), (user, session));
        assert_eq!(keys.verify(&token, at(900)), Err(TokenError::Expired));
    }

    #[test]
    fn another_key_or_a_tampered_token_is_refused() {
        let token = keys().issue(Uuid::new_v4(), Uuid::new_v4(), at(0)).unwrap();
        assert_eq!(keys().verify(&token, at(1)), Err(TokenError::Invalid));
        let keys = keys();
        let mut token = keys.issue(Uuid::new_v4(), Uuid::new_v4(), at(0)).unwrap();
        token.insert(token.len() - 3, 'A');
        token.pop();
        assert_eq!(keys.verify(&token, at(1)), Err(TokenError::Invalid));
    }

    #[test]
    fn a_remembered_token_still_expires_and_its_forgeries_are_still_refused() {
        let keys = keys();
        let token = keys.issue(Uuid::new_v4(), Uuid::new_v4(), at(0)).unwrap();
        keys.verify(&token, at(1)).unwrap();
        let mut forged = token.clone();
        forged.insert(forged.len() - 3, 'A');
        forged.pop();
        assert_eq!(keys.verify(&forged, at(2)), Err(TokenError::Invalid));
        assert_eq!(keys.verify(&token, at(900)), Err(TokenError::Expired));
    }

    #[test]
    fn remembered_tokens_stay_bounded() {
        let mut keys = keys();
        keys.verified = Remembered::new(8);
        let tokens: Vec<String> = (0..20)
            .map(|_| keys.issue(Uuid::new_v4(), Uuid::new_v4(), at(0)).unwrap())
            .collect();
        for token in &tokens {
            keys.verify(token, at(1)).unwrap();
            assert!(keys.verified.len() <= 8);
        }
        // Forgotten ones are checked again, and still pass.
        keys.verify(&tokens[0], at(2)).unwrap();
    }

    #[test]
    fn a_generated_key_is_reused_and_private() {
        let dir = std::env::temp_dir().join(format!("vanban-keys-{}", Uuid::new_v4()));
        let ttl = Duration::from_secs(60);
        let first = TokenKeys::load_or_generate(None, &dir, ttl).unwrap();
        let second = TokenKeys::load_or_generate(None, &dir, ttl).unwrap();
        assert_eq!(first.kid, second.kid);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.join("keys/jwt-ed25519.pem"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "the key must not be readable by others");
        }
        fs::remove_dir_all(dir).unwrap();
    }
}
