//! Raw argon2id verification rate with the parameters the server uses (the crate's defaults,
//! OWASP: m=19456 KiB, t=2, p=1), on one thread and on one thread per core. This is the upper
//! bound for the login rate. Run with `cargo bench -p vanban-api --bench argon2`.

use std::thread;
use std::time::{Duration, Instant};

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

const PASSWORD: &[u8] = b"correct horse battery staple";
const RUN_FOR: Duration = Duration::from_secs(3);

/// Verifies `hash` in a loop until `RUN_FOR` has passed; returns the verifications per second.
fn verify_rate(hash: &str) -> Result<f64, String> {
    let argon2 = Argon2::default();
    let start = Instant::now();
    let mut count = 0u32;
    while start.elapsed() < RUN_FOR {
        argon2
            .verify_password(PASSWORD, hash)
            .map_err(|e| format!("verification failed: {e}"))?;
        count += 1;
    }
    Ok(f64::from(count) / start.elapsed().as_secs_f64())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let hash = Argon2::default()
        .hash_password(PASSWORD)
        .map_err(|e| e.to_string())?
        .to_string();

    let single = verify_rate(&hash)?;

    // One thread per core, side by side for the same span: the total rate is the sum.
    let threads = thread::available_parallelism()?.get();
    let rates: Vec<Result<f64, String>> = thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| s.spawn(|| verify_rate(&hash)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .map_err(|_| "a bench thread panicked".to_string())?
            })
            .collect()
    });
    let mut multi = 0.0;
    for rate in rates {
        multi += rate?;
    }

    println!("argon2id verify: 1 thread {single:.1}/s, {threads} threads {multi:.1}/s");
    Ok(())
}
