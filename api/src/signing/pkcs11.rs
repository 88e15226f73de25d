//! [`Hsm`] over a PKCS#11 module (SoftHSM2 in development and tests; a production HSM is the
//! same code with another module path). A cryptoki `Session` is Send but not Sync, so each call
//! borrows one logged-in session from a small pool and uses it on a blocking thread; the pool
//! keeps sessions open between calls because opening one costs more than a signature.

use std::{
    fmt,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
};

use async_trait::async_trait;
use cryptoki::{
    context::{CInitializeArgs, CInitializeFlags, Pkcs11},
    error::{Error as CkError, RvError},
    mechanism::Mechanism,
    object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle},
    session::{Session, UserType},
    slot::Slot,
    types::AuthPin,
};
use rsa::{BigUint, pkcs8::EncodePublicKey};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

use super::hsm::{Hsm, HsmError, KeyAlgorithm, PublicKeyInfo};

/// DER of the named curve P-256 (1.2.840.10045.3.1.7), as CKA_EC_PARAMS wants it.
const P256_PARAMS: [u8; 10] = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
/// DigestInfo header for SHA-256: CKM_RSA_PKCS signs DigestInfo || digest.
const SHA256_DIGEST_INFO: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];
/// Sessions open at once; more callers wait for one.
const MAX_SESSIONS: usize = 4;

pub struct Pkcs11Hsm {
    inner: Arc<Inner>,
    permits: Arc<Semaphore>,
}

struct Inner {
    context: Pkcs11,
    slot: Slot,
    pin: SecretString,
    idle: Mutex<Vec<Session>>,
}

// The PIN must never be printed.
impl fmt::Debug for Pkcs11Hsm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkcs11Hsm")
            .field("slot", &self.inner.slot)
            .finish_non_exhaustive()
    }
}

impl Pkcs11Hsm {
    /// Loads `module`, finds the token labelled `token_label` and logs in once.
    pub async fn connect(
        module: &Path,
        token_label: &str,
        pin: SecretString,
    ) -> Result<Self, HsmError> {
        let module: PathBuf = module.to_owned();
        let token_label = token_label.to_owned();
        let inner = tokio::task::spawn_blocking(move || -> Result<Inner, HsmError> {
            let context = Pkcs11::new(&module).map_err(|e| {
                HsmError::Unavailable(format!("cannot load {}: {e}", module.display()))
            })?;
            context
                .initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
                .map_err(unavailable)?;
            let slot = context
                .get_slots_with_token()
                .map_err(unavailable)?
                .into_iter()
                .find(|slot| {
                    context
                        .get_token_info(*slot)
                        .is_ok_and(|info| info.label().trim() == token_label)
                })
                .ok_or_else(|| HsmError::Unavailable(format!("no token labelled {token_label}")))?;
            let inner = Inner {
                context,
                slot,
                pin,
                idle: Mutex::new(Vec::new()),
            };
            let session = inner.open()?;
            inner.put_back(session);
            Ok(inner)
        })
        .await
        .map_err(|e| HsmError::Unavailable(e.to_string()))??;
        Ok(Self {
            inner: Arc::new(inner),
            permits: Arc::new(Semaphore::new(MAX_SESSIONS)),
        })
    }

    /// Runs `work` with a logged-in session on a blocking thread.
    async fn with_session<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Session) -> Result<T, HsmError> + Send + 'static,
    ) -> Result<T, HsmError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| HsmError::Unavailable(e.to_string()))?;
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let session = inner.take()?;
            let result = work(&session);
            // A session that failed for a session-level reason is dropped, not reused.
            if !matches!(result, Err(HsmError::Unavailable(_))) {
                inner.put_back(session);
            }
            result
        })
        .await
        .map_err(|e| HsmError::Unavailable(e.to_string()))?
    }
}

impl Inner {
    fn open(&self) -> Result<Session, HsmError> {
        let session = self
            .context
            .open_rw_session(self.slot)
            .map_err(unavailable)?;
        let pin = AuthPin::from(self.pin.expose_secret());
        match session.login(UserType::User, Some(&pin)) {
            // Login is per application, not per session: later sessions are already in.
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(session),
            Err(e) => Err(HsmError::Unavailable(format!("login to the token: {e}"))),
        }
    }

    fn take(&self) -> Result<Session, HsmError> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        match idle {
            Some(session) => Ok(session),
            None => self.open(),
        }
    }

    fn put_back(&self, session: Session) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.push(session);
        }
    }
}

#[async_trait]
impl Hsm for Pkcs11Hsm {
    async fn generate(
        &self,
        label: &str,
        algorithm: KeyAlgorithm,
    ) -> Result<PublicKeyInfo, HsmError> {
        let label = label.to_owned();
        self.with_session(move |session| {
            if find_key(session, &label, ObjectClass::PRIVATE_KEY).is_ok() {
                return Err(HsmError::KeyExists(label));
            }
            let common = |private: bool| {
                vec![
                    Attribute::Token(true),
                    Attribute::Label(label.as_bytes().to_vec()),
                    Attribute::Id(label.as_bytes().to_vec()),
                    Attribute::Private(private),
                ]
            };
            let mut public = common(false);
            public.push(Attribute::Verify(true));
            let mut private = common(true);
            private.extend([
                Attribute::Sign(true),
                Attribute::Sensitive(true),
                Attribute::Extractable(false),
            ]);
            let mechanism = match algorithm {
                KeyAlgorithm::Rsa2048 => {
                    public.extend([
                        Attribute::ModulusBits(2048.into()),
                        Attribute::PublicExponent(vec![0x01, 0x00, 0x01]),
                    ]);
                    Mechanism::RsaPkcsKeyPairGen
                }
                KeyAlgorithm::EcdsaP256 => {
                    public.push(Attribute::EcParams(P256_PARAMS.to_vec()));
                    Mechanism::EccKeyPairGen
                }
            };
            let (public, _) = session
                .generate_key_pair(&mechanism, &public, &private)
                .map_err(failed)?;
            read_public(session, public)
        })
        .await
    }

    async fn public_key(&self, label: &str) -> Result<PublicKeyInfo, HsmError> {
        let label = label.to_owned();
        self.with_session(move |session| {
            let key = find_key(session, &label, ObjectClass::PUBLIC_KEY)?;
            read_public(session, key)
        })
        .await
    }

    async fn sign_digest(&self, label: &str, digest: [u8; 32]) -> Result<Vec<u8>, HsmError> {
        let label = label.to_owned();
        self.with_session(move |session| {
            let key = find_key(session, &label, ObjectClass::PRIVATE_KEY)?;
            match key_type(session, key)? {
                KeyAlgorithm::Rsa2048 => {
                    let mut info = SHA256_DIGEST_INFO.to_vec();
                    info.extend_from_slice(&digest);
                    session
                        .sign(&Mechanism::RsaPkcs, key, &info)
                        .map_err(failed)
                }
                KeyAlgorithm::EcdsaP256 => {
                    // CKM_ECDSA answers raw r || s; CMS and X.509 want the DER form.
                    let raw = session
                        .sign(&Mechanism::Ecdsa, key, &digest)
                        .map_err(failed)?;
                    let signature = p256::ecdsa::Signature::from_slice(&raw)
                        .map_err(|e| HsmError::Failed(format!("ECDSA signature: {e}")))?;
                    Ok(signature.to_der().as_bytes().to_vec())
                }
            }
        })
        .await
    }

    async fn ready(&self) -> Result<(), HsmError> {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            inner
                .context
                .get_token_info(inner.slot)
                .map(|_| ())
                .map_err(unavailable)
        })
        .await
        .map_err(|e| HsmError::Unavailable(e.to_string()))?
    }
}

fn find_key(session: &Session, label: &str, class: ObjectClass) -> Result<ObjectHandle, HsmError> {
    session
        .find_objects(&[
            Attribute::Class(class),
            Attribute::Label(label.as_bytes().to_vec()),
        ])
        .map_err(failed)?
        .into_iter()
        .next()
        .ok_or_else(|| HsmError::KeyNotFound(label.to_owned()))
}

fn key_type(session: &Session, key: ObjectHandle) -> Result<KeyAlgorithm, HsmError> {
    let attributes = session
        .get_attributes(key, &[AttributeType::KeyType])
        .map_err(failed)?;
    match attributes.first() {
        Some(Attribute::KeyType(t)) if *t == KeyType::RSA => Ok(KeyAlgorithm::Rsa2048),
        Some(Attribute::KeyType(t)) if *t == KeyType::EC => Ok(KeyAlgorithm::EcdsaP256),
        _ => Err(HsmError::Failed("unsupported key type".into())),
    }
}

fn read_public(session: &Session, key: ObjectHandle) -> Result<PublicKeyInfo, HsmError> {
    let algorithm = key_type(session, key)?;
    let attributes = session
        .get_attributes(
            key,
            &[
                AttributeType::Modulus,
                AttributeType::PublicExponent,
                AttributeType::EcPoint,
            ],
        )
        .map_err(failed)?;
    let (mut modulus, mut exponent, mut point) = (None, None, None);
    for attribute in attributes {
        match attribute {
            Attribute::Modulus(m) => modulus = Some(m),
            Attribute::PublicExponent(e) => exponent = Some(e),
            Attribute::EcPoint(p) => point = Some(p),
            _ => {}
        }
    }
    let bad = |what: &str| HsmError::Failed(format!("reading the public key: {what}"));
    let spki = match (algorithm, modulus, exponent, point) {
        (KeyAlgorithm::Rsa2048, Some(n), Some(e), _) => {
            rsa::RsaPublicKey::new(BigUint::from_bytes_be(&n), BigUint::from_bytes_be(&e))
                .map_err(|e| bad(&e.to_string()))?
                .to_public_key_der()
                .map_err(|e| bad(&e.to_string()))?
        }
        (KeyAlgorithm::EcdsaP256, _, _, Some(point)) => {
            // CKA_EC_POINT is the point wrapped in a DER OCTET STRING.
            let point: der::asn1::OctetString =
                der::Decode::from_der(&point).map_err(|e| bad(&e.to_string()))?;
            p256::PublicKey::from_sec1_bytes(point.as_bytes())
                .map_err(|e| bad(&e.to_string()))?
                .to_public_key_der()
                .map_err(|e| bad(&e.to_string()))?
        }
        _ => return Err(bad("missing attributes")),
    };
    Ok(PublicKeyInfo {
        algorithm,
        spki_der: spki.as_bytes().to_vec(),
    })
}

fn unavailable(e: CkError) -> HsmError {
    HsmError::Unavailable(e.to_string())
}

fn failed(e: CkError) -> HsmError {
    HsmError::Failed(e.to_string())
}
