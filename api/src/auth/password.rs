//! argon2id hashing (OWASP parameters, the crate's defaults) off the async runtime, bounded.
//!
//! Each hash needs a ~19 MiB work area and tens of milliseconds of CPU, so it runs on a fixed
//! set of long-lived worker threads, one per core. Each worker verifies inside one work area it
//! keeps and reuses while work keeps coming: letting every verification allocate its own left
//! the allocator holding hundreds of MiB after a burst of logins (see the README's benchmark).
//! A worker idle for [`AREA_KEPT_IDLE`] gives its area back, so a server that checked one PIN
//! an hour ago does not hold 19 MiB a core for it.
//!
//! Work waits in two lanes, each holding at most `max_waiting` jobs: a flood of logins fills
//! the normal lane and is answered [`PasswordError::Busy`] (503 with Retry-After) instead of
//! queueing without end, while signing-PIN checks take the priority lane, which workers empty
//! first, so a leader confirming a signature waits for at most the verifications already
//! running.

use std::{
    collections::VecDeque,
    sync::{Arc, Condvar, Mutex},
    time::{Duration, Instant},
};

use argon2::{
    Algorithm, Argon2, Block, Params, PasswordHash, PasswordHasher, Version,
    password_hash::phc::Output,
};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::oneshot;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("the password workers have stopped")]
    WorkersGone,
    #[error("too many password checks are waiting; try again in a moment")]
    Busy,
}

/// Seconds a caller refused with [`PasswordError::Busy`] is asked to wait.
pub const BUSY_RETRY_AFTER_SECS: u64 = 1;

/// How long a worker keeps its work area without work: past a burst, not between its requests.
const AREA_KEPT_IDLE: Duration = Duration::from_secs(2);

/// A unit of work for a worker, given the worker's own reusable work area.
type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// Which lane a job waits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lane {
    Normal,
    /// Signing-PIN checks: taken before anything in the normal lane.
    Priority,
}

impl Lane {
    fn name(self) -> &'static str {
        match self {
            Lane::Normal => "normal",
            Lane::Priority => "pin",
        }
    }
}

#[derive(Default)]
struct Lanes {
    priority: VecDeque<Job>,
    normal: VecDeque<Job>,
}

struct Queue {
    lanes: Mutex<Lanes>,
    ready: Condvar,
    max_waiting: usize,
    area_kept_idle: Duration,
}

/// What a worker waiting with a work area in hand gets.
enum Next {
    Job(Job),
    /// Nothing came for `area_kept_idle`.
    Idle,
}

impl Queue {
    fn push(&self, lane: Lane, job: Job) -> Result<(), PasswordError> {
        let mut lanes = self.lanes.lock().map_err(|_| PasswordError::WorkersGone)?;
        let waiting = match lane {
            Lane::Normal => &mut lanes.normal,
            Lane::Priority => &mut lanes.priority,
        };
        if waiting.len() >= self.max_waiting {
            return Err(PasswordError::Busy);
        }
        waiting.push_back(job);
        drop(lanes);
        self.ready.notify_one();
        Ok(())
    }

    /// Blocks until a job waits, or, when `holding` a work area, at most `area_kept_idle`;
    /// `None` if the queue is unusable (a worker panicked holding it).
    fn next(&self, holding: bool) -> Option<Next> {
        let mut lanes = self.lanes.lock().ok()?;
        let give_up = Instant::now() + self.area_kept_idle;
        loop {
            if let Some(job) = lanes
                .priority
                .pop_front()
                .or_else(|| lanes.normal.pop_front())
            {
                return Some(Next::Job(job));
            }
            if !holding {
                lanes = self.ready.wait(lanes).ok()?;
                continue;
            }
            let left = give_up.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Some(Next::Idle);
            }
            lanes = self.ready.wait_timeout(lanes, left).ok()?.0;
        }
    }
}

#[derive(Clone)]
pub struct Passwords {
    queue: Arc<Queue>,
    /// Verified against when the username is unknown, so an unknown name costs as much time as
    /// a wrong password and timing does not reveal which names exist.
    dummy_hash: Arc<str>,
}

impl Passwords {
    /// `workers` threads; each lane holds at most `max_waiting` jobs beyond those running.
    pub async fn new(workers: usize, max_waiting: usize) -> Result<Self, PasswordError> {
        Self::start(workers, max_waiting, AREA_KEPT_IDLE).await
    }

    async fn start(
        workers: usize,
        max_waiting: usize,
        area_kept_idle: Duration,
    ) -> Result<Self, PasswordError> {
        let queue = Arc::new(Queue {
            lanes: Mutex::new(Lanes::default()),
            ready: Condvar::new(),
            max_waiting: max_waiting.max(1),
            area_kept_idle,
        });
        for i in 0..workers.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    yield_to_requests();
                    let mut area = Vec::new();
                    while let Some(next) = queue.next(area.capacity() > 0) {
                        match next {
                            Next::Job(job) => job(&mut area),
                            Next::Idle => area = Vec::new(),
                        }
                    }
                })
                .map_err(|e| PasswordError::Hash(format!("cannot start a worker: {e}")))?;
        }
        let mut passwords = Self {
            queue,
            dummy_hash: Arc::from(""),
        };
        let dummy = SecretString::from(uuid::Uuid::new_v4().to_string());
        passwords.dummy_hash = passwords.hash(dummy).await?.into();
        Ok(passwords)
    }

    pub async fn hash(&self, password: SecretString) -> Result<String, PasswordError> {
        self.run(Lane::Normal, move |_| {
            Argon2::default()
                .hash_password(password.expose_secret().as_bytes())
                .map(|h| h.to_string())
                .map_err(|e| PasswordError::Hash(e.to_string()))
        })
        .await?
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
        let matches = self
            .run(Lane::Normal, move |area| {
                verify_in(area, password.expose_secret().as_bytes(), &hash)
            })
            .await?;
        Ok(known && matches)
    }

    /// Checks a signing PIN in the priority lane: no flood of logins delays a signature.
    pub async fn verify_pin(&self, pin: SecretString, hash: String) -> Result<bool, PasswordError> {
        self.run(Lane::Priority, move |area| {
            verify_in(area, pin.expose_secret().as_bytes(), &hash)
        })
        .await
    }

    async fn run<T: Send + 'static>(
        &self,
        lane: Lane,
        work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, PasswordError> {
        let (reply, answer) = oneshot::channel();
        let queued = Instant::now();
        let job: Job = Box::new(move |area| {
            metrics::histogram!("password_queue_wait_seconds", "lane" => lane.name())
                .record(queued.elapsed().as_secs_f64());
            // The caller may have gone (request cancelled); nothing to tell then.
            let _ = reply.send(work(area));
        });
        let pushed = self.queue.push(lane, job);
        if pushed.is_err() {
            metrics::counter!("password_busy_total", "lane" => lane.name()).increment(1);
        }
        pushed?;
        answer.await.map_err(|_| PasswordError::WorkersGone)
    }
}

/// Lowers the calling worker thread's scheduling priority (nice 10): when the cores are
/// saturated by hashing, serving requests (a signature's HSM call, a 503 to a flood) comes
/// first. On Linux the nice value belongs to the thread. Best effort: a refusal changes nothing.
fn yield_to_requests() {
    #[cfg(target_os = "linux")]
    // SAFETY: plain system calls on the calling thread's own id; no memory is shared.
    unsafe {
        let tid = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, 10);
    }
}

/// Checks `password` against a PHC string, computing in `area` (grown once to the size the
/// hash's parameters need) instead of a fresh allocation. The comparison is constant-time.
fn verify_in(area: &mut Vec<Block>, password: &[u8], phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm.as_str()),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    let Ok(version) = Version::try_from(parsed.version.unwrap_or(0x13)) else {
        return false;
    };
    area.resize(params.block_count(), Block::default());
    let mut out = vec![0u8; expected.as_bytes().len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password, salt, &mut out, &mut area[..])
        .is_ok()
        && Output::new(&out).is_ok_and(|computed| computed == *expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn verify_accepts_only_the_right_password_and_never_an_unknown_user() {
        let passwords = Passwords::new(2, 8).await.unwrap();
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

    #[tokio::test]
    async fn a_full_normal_lane_is_busy_and_pin_checks_go_first() {
        let passwords = Passwords::new(1, 1).await.unwrap();
        let (release, blocked) = std::sync::mpsc::channel::<()>();
        let order = Arc::new(Mutex::new(Vec::new()));
        let job = |name: &'static str| -> Job {
            let order = order.clone();
            Box::new(move |_| order.lock().unwrap().push(name))
        };
        let (started, running) = std::sync::mpsc::channel();
        let queue = &passwords.queue;
        queue
            .push(
                Lane::Normal,
                Box::new(move |_| {
                    started.send(()).unwrap();
                    blocked.recv().unwrap();
                }),
            )
            .unwrap();
        running.recv().unwrap();
        queue.push(Lane::Normal, job("login")).unwrap();
        assert!(matches!(
            queue.push(Lane::Normal, job("flood")),
            Err(PasswordError::Busy)
        ));
        queue.push(Lane::Priority, job("pin")).unwrap();
        release.send(()).unwrap();
        for _ in 0..500 {
            if order.lock().unwrap().len() == 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(*order.lock().unwrap(), ["pin", "login"]);
    }

    #[tokio::test]
    async fn an_idle_worker_gives_its_work_area_back() {
        let passwords = Passwords::start(1, 8, Duration::from_millis(200))
            .await
            .unwrap();
        let hash = passwords
            .hash(SecretString::from("pin 246810"))
            .await
            .unwrap();
        let area_now = || passwords.run(Lane::Normal, |area| area.capacity());
        assert!(
            passwords
                .verify_pin(SecretString::from("pin 246810"), hash)
                .await
                .unwrap()
        );
        let kept = area_now().await.unwrap();
        assert!(kept >= 19 * 1024, "kept between jobs: {kept} blocks");
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(area_now().await.unwrap(), 0, "given back once idle");
    }

    #[test]
    fn verification_follows_the_parameters_stored_in_the_hash() {
        let params = Params::new(8 * 1024, 1, 1, None).unwrap();
        let old = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(b"stored under older settings")
            .unwrap()
            .to_string();
        let mut area = Vec::new();
        assert!(verify_in(&mut area, b"stored under older settings", &old));
        assert_eq!(area.len(), 8 * 1024, "one 1 KiB block per KiB of m_cost");
        assert!(!verify_in(&mut area, b"stored under other settings", &old));
        assert!(!verify_in(&mut area, b"anything", "not a PHC string"));
    }
}
