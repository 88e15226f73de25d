//! argon2id hashing (OWASP parameters, the crate's defaults) off the async runtime.
//!
//! Each hash costs ~19 MiB and tens of milliseconds of CPU, so the number running at once is
//! bounded: a login flood queues instead of exhausting memory or starving other requests.

use std::sync::Arc;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("password hashing task failed")]
    Join(#[from] tokio::task::JoinError),
    #[error("password hashing pool closed")]
    Closed(#[from] tokio::sync::AcquireError),
}

#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// Verified against when the username is unknown, so an unknown name costs as much time as
    /// a wrong password and timing does not reveal which names exist.
    dummy_hash: Arc<str>,
}

impl Passwords {
    pub async fn new(parallelism: usize) -> Result<Self, PasswordError> {
        let permits = Arc::new(Semaphore::new(parallelism.max(1)));
        let dummy = SecretString::from(uuid::Uuid::new_v4().to_string());
        let dummy_hash = run_bounded(&permits, move || hash_blocking(&dummy)).await??;
        Ok(Self {
            permits,
            dummy_hash: dummy_hash.into(),
        })
    }

    pub async fn hash(&self, password: SecretString) -> Result<String, PasswordError> {
        run_bounded(&self.permits, move || hash_blocking(&password)).await?
    }

    /// `Ok(false)` for a wrong password, and always for `hash: None` (unknown user), after
    /// spending the same effort.
    pub async fn verify(
        &self,
        password: SecretString,
        hash: Option<String>,
    ) -> Result<bool, PasswordError> {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.to_string());
        let matches = run_bounded(&self.permits, move || {
            Argon2::default()
                .verify_password(password.expose_secret().as_bytes(), hash.as_str())
                .is_ok()
        })
        .await?;
        Ok(known && matches)
    }
}

fn hash_blocking(password: &SecretString) -> Result<String, PasswordError> {
    Argon2::default()
        .hash_password(password.expose_secret().as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

async fn run_bounded<T: Send + 'static>(
    permits: &Semaphore,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, PasswordError> {
    let _permit = permits.acquire().await?;
    Ok(tokio::task::spawn_blocking(work).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn verify_accepts_only_the_right_password_and_never_an_unknown_user() {
        let passwords = Passwords::new(2).await.unwrap();
        let hash = passwords
            .hash(SecretString::from("correct horse battery"))
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$"));
        let verify = |pw: &str, h: Option<String>| passwords.verify(SecretString::from(pw), h);
        assert!(
            verify("correct horse battery", Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(!verify("wrong horse battery", Some(hash)).await.unwrap());
        assert!(!verify("correct horse battery", None).await.unwrap());
    }
}
