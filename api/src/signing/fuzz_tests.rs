//! Mutated real PDFs through every parse of an untrusted file: the upload check, the signature
//! verification and the signing preparation. Whatever the bytes, each answers or refuses and
//! none panics, and the process stays within a bounded memory. The seed and the number of
//! mutants per sample come from `FUZZ_SEED` and `FUZZ_MUTANTS`, so a longer run, or a failure's
//! replay, is one command away.

use std::panic::{AssertUnwindSafe, catch_unwind};

use rand::{Rng, SeedableRng, rngs::StdRng, seq::SliceRandom};

use super::{
    pades::{self, SignatureInfo},
    sample::{minimal_pdf, nested_array, object_stream, scan_pdf},
    tests::fixture,
    verify,
};
use crate::{
    clock::{Clock, SystemClock},
    files::pdf::{check_file, tests::sample_pdf},
};

/// The bytes a PDF is built from: mutations that swap them reach deeper than random noise.
const TOKENS: &[&[u8]] = &[
    b"obj",
    b"endobj",
    b"stream",
    b"endstream",
    b"/Length",
    b" R",
    b"<<",
    b">>",
    b"[",
    b"]",
    b"xref",
    b"startxref",
    b"trailer",
    b"/Prev",
    b"/ByteRange",
    b"/Contents",
    b"/ObjStm",
    b"/FlateDecode",
    b"/Type",
    b"%%EOF",
    b"99999999999",
    b"-1",
    b"0 0 R",
];

fn env_or(key: &str, default: u64) -> u64 {
    std::env::var(key)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn mutate(rng: &mut StdRng, original: &[u8], corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut bytes = original.to_vec();
    for _ in 0..rng.gen_range(1..=3) {
        let len = bytes.len().max(1);
        let at = rng.gen_range(0..len);
        match rng.gen_range(0..6) {
            0 => {
                for _ in 0..rng.gen_range(1..=16) {
                    let i = rng.gen_range(0..len);
                    if let Some(b) = bytes.get_mut(i) {
                        *b = rng.r#gen();
                    }
                }
            }
            1 => bytes.truncate(at),
            2 => {
                let end = (at + rng.gen_range(1..=512)).min(bytes.len());
                bytes.drain(at.min(end)..end);
            }
            3 => {
                let token = TOKENS.choose(rng).copied().unwrap_or(b"obj");
                let at = at.min(bytes.len());
                bytes.splice(at..at, token.iter().copied());
            }
            4 => {
                // Another sample's bytes spliced in: objects and cross-references that lie.
                let Some(other) = corpus.choose(rng) else {
                    continue;
                };
                let from = rng.gen_range(0..other.len());
                let piece = &other[from..(from + rng.gen_range(1..=2048)).min(other.len())];
                let at = at.min(bytes.len());
                bytes.splice(at..at, piece.iter().copied());
            }
            _ => {
                // A number made huge: lengths, offsets, counts, object numbers.
                if let Some(i) = bytes[at.min(bytes.len())..]
                    .iter()
                    .position(u8::is_ascii_digit)
                {
                    let i = at + i;
                    bytes.splice(i..i, b"4294967".iter().copied());
                }
            }
        }
    }
    bytes
}

#[tokio::test]
async fn mutated_pdfs_are_answered_or_refused_never_a_panic() {
    let fx = fixture().await;
    let corpus = vec![
        fx.issued("Quyết định mẫu").await,
        minimal_pdf("To trinh", 0),
        sample_pdf(3, true),
        scan_pdf(2, 4096),
        object_stream(5, &["<< /A 1 >>", "[1 2 3]"], 0),
        nested_array(20),
    ];
    let seed = env_or("FUZZ_SEED", 20261201);
    let per_sample = env_or("FUZZ_MUTANTS", 400);
    let mut rng = StdRng::seed_from_u64(seed);
    let anchors = vec![fx.ca.certificate.clone()];
    let info = SignatureInfo {
        signer_name: "Nguyễn Văn An".into(),
        reason: None,
        location: None,
        signing_time: SystemClock.now(),
    };
    let scratch = std::env::temp_dir().join(format!("vanban-fuzz-{}", uuid::Uuid::new_v4()));
    let mut verified = 0;
    for (sample, original) in corpus.iter().enumerate() {
        for n in 0..per_sample {
            let mutant = mutate(&mut rng, original, &corpus);
            let replay = format!("FUZZ_SEED={seed}: sample {sample}, mutant {n}");
            std::fs::write(&scratch, &mutant).unwrap();
            let parsed = catch_unwind(AssertUnwindSafe(|| {
                let uploaded = std::fs::File::open(&scratch).map(|f| check_file(&f).is_ok());
                let verdicts = verify::verify_pdf(&mutant, &anchors);
                let prepared = pades::prepare(&mutant, &info, None);
                (uploaded.is_ok(), verdicts.is_ok(), prepared.is_ok())
            }));
            let (_, ok, _) = parsed.unwrap_or_else(|_| panic!("a parse panicked: {replay}"));
            verified += usize::from(ok);
        }
    }
    let _ = std::fs::remove_file(&scratch);
    // Some mutants must still parse, or the mutations only test the first bytes' check.
    assert!(verified > 0);
    // nextest runs each test in its own process: its peak is this test's own.
    // SAFETY: rusage is plain integers, for which all zeroes is a value; getrusage only
    // writes into the struct it is given.
    let mut usage = unsafe { std::mem::zeroed::<libc::rusage>() };
    assert_eq!(unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) }, 0);
    let peak_mib = usage.ru_maxrss / 1024;
    assert!(peak_mib < 512, "peak memory {peak_mib} MiB");
}
