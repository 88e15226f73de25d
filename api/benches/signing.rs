//! Signing throughput and memory against SoftHSM2, in one run: complete PAdES signatures per
//! second for a 1 MB PDF (parse, incremental update, digest, CMS, HSM signature, embed) next to
//! raw HSM signatures per second with the same RSA-2048 key, each on one task and on one task
//! per core; then the process's peak memory while signing a 50 MB PDF. Needs `softhsm2-util`.
//! Run with `scripts/bench-sign` (release build).

use std::{
    path::Path,
    process::Command,
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::Utc;
use secrecy::SecretString;
use vanban::signing::{
    Hsm, KeyAlgorithm,
    ca::{self, DevCa},
    cms::{self, SignerCredential},
    pades::{self, SignatureInfo},
    pkcs11::Pkcs11Hsm,
    sample::{minimal_pdf, scan_pdf},
};

const RUN_FOR: Duration = Duration::from_secs(5);
const LABEL: &str = "bench-leader";

type Error = Box<dyn std::error::Error + Send + Sync>;

async fn sign_pdf(
    hsm: &Pkcs11Hsm,
    signer: &SignerCredential,
    pdf: Vec<u8>,
) -> Result<usize, Error> {
    let info = SignatureInfo {
        signer_name: "Nguyễn Văn An".into(),
        reason: Some("Ký ban hành".into()),
        location: None,
        #[allow(clippy::disallowed_methods)]
        signing_time: Utc::now(),
    };
    let (prepared, original) = tokio::task::spawn_blocking(move || {
        Ok::<_, Error>((pades::prepare(&pdf, &info, None)?, pdf.len()))
    })
    .await??;
    let signed = cms::sign_detached(hsm, signer, prepared.digest()).await?;
    // The signed file is the original followed by the update.
    Ok(original + prepared.finish(&signed)?.len())
}

/// Runs `tasks` loops of `work` side by side for `RUN_FOR`; answers the total rate per second.
async fn rate<F, Fut>(tasks: usize, work: F) -> Result<f64, Error>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<(), Error>> + Send,
{
    let work = Arc::new(work);
    let start = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let work = work.clone();
            tokio::spawn(async move {
                let mut n = 0u32;
                while start.elapsed() < RUN_FOR {
                    work().await?;
                    n += 1;
                }
                Ok::<u32, Error>(n)
            })
        })
        .collect();
    let mut total = 0u32;
    for handle in handles {
        total += handle.await??;
    }
    Ok(f64::from(total) / start.elapsed().as_secs_f64())
}

/// `field` of this process's status (`VmRSS`, or `VmHWM`: the peak since the last
/// [`reset_peak`]), in MiB.
fn memory_mib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| {
                    l.strip_prefix(field)
                        .is_some_and(|rest| rest.starts_with(':'))
                })
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// Starts the peak (`VmHWM`) again from the current resident memory.
fn reset_peak() -> std::io::Result<()> {
    std::fs::write("/proc/self/clear_refs", "5")
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let dir = std::env::temp_dir().join(format!("vanban-bench-sign-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("tokens"))?;
    let conf = dir.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            dir.join("tokens").display()
        ),
    )?;
    // SAFETY: set before any other thread reads the environment.
    unsafe { std::env::set_var("SOFTHSM2_CONF", &conf) };
    let ok = Command::new("softhsm2-util")
        .args([
            "--init-token",
            "--free",
            "--label",
            "bench",
            "--pin",
            "1234",
            "--so-pin",
            "5678",
        ])
        .output()?
        .status
        .success();
    if !ok {
        return Err("softhsm2-util --init-token failed".into());
    }
    let hsm = Arc::new(
        Pkcs11Hsm::connect(
            Path::new("/usr/lib/softhsm/libsofthsm2.so"),
            "bench",
            SecretString::from("1234"),
        )
        .await?,
    );
    #[allow(clippy::disallowed_methods)]
    let now = Utc::now();
    let ca = DevCa::load_or_create(&dir.join("ca"), now)?;
    let public = hsm.generate(LABEL, KeyAlgorithm::Rsa2048).await?;
    let certificate = ca.issue(ca::subject("Nguyễn Văn An", "Sở Nội vụ")?, &public, now)?;
    let signer = Arc::new(SignerCredential {
        key_label: LABEL.into(),
        algorithm: KeyAlgorithm::Rsa2048,
        certificate,
        chain: vec![ca.certificate.clone()],
    });
    let cores = std::thread::available_parallelism()?.get();
    let one_mb = Arc::new(minimal_pdf("Quyet dinh", 1024 * 1024));

    let mut results = Vec::new();
    for tasks in [1, cores] {
        let (h, s, pdf) = (hsm.clone(), signer.clone(), one_mb.clone());
        let pades = rate(tasks, move || {
            let (h, s, pdf) = (h.clone(), s.clone(), pdf.to_vec());
            async move { sign_pdf(&h, &s, pdf).await.map(|_| ()) }
        })
        .await?;
        let h = hsm.clone();
        let raw = rate(tasks, move || {
            let h = h.clone();
            async move {
                h.sign_digest(LABEL, [7; 32])
                    .await
                    .map(|_| ())
                    .map_err(Into::into)
            }
        })
        .await?;
        results.push((tasks, pades, raw));
    }
    for (tasks, pades, raw) in &results {
        println!(
            "signatures/s with {tasks} task(s): PAdES 1 MB PDF {pades:.1}, raw SoftHSM RSA-2048 {raw:.1}"
        );
    }

    // A scan as copiers make them, 50 pages of a 1 MB image, already in memory: the peak is
    // what signing adds to it.
    let large = scan_pdf(50, 1024 * 1024);
    reset_peak()?;
    let before = memory_mib("VmRSS");
    let size = sign_pdf(&hsm, &signer, large).await?;
    println!(
        "RSS with the file in memory {before:.1} MiB, peak while signing it {:.1} MiB ({:.1} MB PDF)",
        memory_mib("VmHWM"),
        size as f64 / 1_000_000.0
    );
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
