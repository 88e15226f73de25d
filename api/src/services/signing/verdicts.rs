//! Signature verdicts, computed once per file content and kept.
//!
//! Checking a PDF's signatures parses the whole file and runs public-key checks: opening a
//! document screen must not do that again each time, nor fifty times when fifty people open
//! it at once. A verdict depends only on the bytes and the trust anchors (signatures are judged
//! at their signing time, not now), so it is kept in Redis under the file's SHA-256 and a
//! fingerprint of the anchors, shared by every instance. Within an instance, concurrent requests
//! for the same file wait for one computation; computations run off the async runtime, a few at
//! a time, and beyond a bounded queue the caller is told to come back (503 `busy`).

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicUsize, Ordering},
    },
};

use anyhow::Context;
use der::Encode;
use redis::AsyncCommands;
use sha2::{Digest, Sha256};
use tokio::sync::{OnceCell, Semaphore, SemaphorePermit};

use super::{SigningError, read_file};
use crate::{
    domain::document::DocumentFile,
    signing::verify::{self, Verdict},
    state::AppState,
};

/// Kept for a month: long enough that an archive's verdicts are rarely recomputed.
const KEEP_SECS: u64 = 30 * 24 * 3600;

type Shared = Arc<Vec<Verdict>>;

pub struct Verdicts {
    /// Which trust anchors the kept verdicts were judged against.
    anchors: String,
    permits: Semaphore,
    waiting: AtomicUsize,
    max_waiting: usize,
    in_flight: Mutex<HashMap<String, Arc<OnceCell<Shared>>>>,
}

impl Verdicts {
    /// `workers` checks at once, at most `max_waiting` more waiting for one.
    pub fn new(anchors: &[x509_cert::Certificate], workers: usize, max_waiting: usize) -> Self {
        let mut fingerprint = Sha256::new();
        for anchor in anchors {
            // An anchor that cannot be encoded only makes the fingerprint differ.
            fingerprint.update(anchor.to_der().unwrap_or_default());
        }
        Self {
            anchors: hex::encode(&fingerprint.finalize()[..8]),
            permits: Semaphore::new(workers.max(1)),
            waiting: AtomicUsize::new(0),
            max_waiting,
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    /// The verdicts on `file`'s signatures: kept ones, or computed once now.
    pub async fn of(&self, state: &AppState, file: &DocumentFile) -> Result<Shared, SigningError> {
        let key = format!(
            "{}verdicts:{}:{}",
            state.redis_key_prefix, self.anchors, file.sha256
        );
        if let Some(kept) = kept(state, &key).await? {
            return Ok(kept);
        }
        let cell = self.in_flight().entry(key.clone()).or_default().clone();
        let computed = cell
            .get_or_try_init(|| self.compute(state, file, &key))
            .await
            .cloned();
        let mut in_flight = self.in_flight();
        if in_flight.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
            in_flight.remove(&key);
        }
        computed
    }

    fn in_flight(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<OnceCell<Shared>>>> {
        // The map is consistent whatever a panicking holder was doing: entries are whole.
        self.in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    async fn compute(
        &self,
        state: &AppState,
        file: &DocumentFile,
        key: &str,
    ) -> Result<Shared, SigningError> {
        // Kept by a computation that finished between our first look and this one.
        if let Some(kept) = kept(state, key).await? {
            return Ok(kept);
        }
        let _permit = self.permit().await?;
        let bytes = read_file(state, file).await?;
        let anchors = state.signing.trust_anchors();
        let verdicts = tokio::task::spawn_blocking(move || verify::verify_pdf(&bytes, &anchors))
            .await
            .context("checking signatures")??;
        metrics::counter!("signature_checks_total").increment(1);
        match serde_json::to_string(&verdicts) {
            Ok(json) => {
                let kept: Result<(), _> = state.redis.clone().set_ex(key, json, KEEP_SECS).await;
                if let Err(e) = kept {
                    tracing::warn!(error = %e, "could not keep signature verdicts");
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not serialise signature verdicts"),
        }
        Ok(Arc::new(verdicts))
    }

    async fn permit(&self) -> Result<SemaphorePermit<'_>, SigningError> {
        if let Ok(permit) = self.permits.try_acquire() {
            return Ok(permit);
        }
        let waiting = Waiting::join(&self.waiting, self.max_waiting)?;
        let permit = self
            .permits
            .acquire()
            .await
            .context("the signature checks have stopped")?;
        drop(waiting);
        Ok(permit)
    }
}

async fn kept(state: &AppState, key: &str) -> Result<Option<Shared>, SigningError> {
    let kept: Option<String> = state
        .redis
        .clone()
        .get(key)
        .await
        .context("reading kept verdicts")?;
    // Verdicts kept by an older version that no longer parse are computed again.
    Ok(kept
        .and_then(|k| serde_json::from_str::<Vec<Verdict>>(&k).ok())
        .map(Arc::new))
}

/// A place in the queue for a check, given back however the wait ends.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn join(count: &'a AtomicUsize, max: usize) -> Result<Self, SigningError> {
        if count.fetch_add(1, Ordering::AcqRel) >= max {
            count.fetch_sub(1, Ordering::AcqRel);
            return Err(SigningError::Busy);
        }
        Ok(Self(count))
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn beyond_the_queue_a_check_is_refused_not_queued() {
        let verdicts = Arc::new(Verdicts::new(&[], 1, 1));
        let running = verdicts.permit().await.unwrap();
        let first = tokio::spawn({
            let v = verdicts.clone();
            async move { v.permit().await.map(drop) }
        });
        while verdicts.waiting.load(Ordering::Acquire) == 0 {
            tokio::task::yield_now().await;
        }
        assert!(matches!(verdicts.permit().await, Err(SigningError::Busy)));
        drop(running);
        first.await.unwrap().unwrap();
        assert_eq!(verdicts.waiting.load(Ordering::Acquire), 0);
        drop(verdicts.permit().await.unwrap());
    }
}
