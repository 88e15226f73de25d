//! The signing module against a real SoftHSM2 token, with the signed PDFs judged by validators
//! nobody here wrote: pyHanko and poppler's pdfsig.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use crate::clock::{Clock, SystemClock};
use der::{EncodePem, pem::LineEnding};
use secrecy::SecretString;
use sha2::{Digest, Sha256};

use super::{
    appearance::{Look, Position, Rect},
    ca::{self, DevCa},
    cms::{self, SignerCredential},
    fonts::Font,
    hsm::{Hsm, KeyAlgorithm},
    images::Png,
    pades::{self, SignatureInfo},
    pkcs11::Pkcs11Hsm,
    sample::{self, minimal_pdf as pdf, seal_png, signature_png},
    verify::{self, ProblemKind},
};

pub const SOFTHSM_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

pub(super) struct Fixture {
    dir: PathBuf,
    hsm: Pkcs11Hsm,
    pub(super) ca: DevCa,
    font: Font,
}

/// The leader's signature as they upload it (or none), where the app put it (or the default).
fn signer(image: bool, position: Option<Position>) -> Look {
    Look::Signer {
        image: image.then(|| Png::parse(&signature_png()).unwrap()),
        name: "Nguyễn Văn An".into(),
        title: "Giám đốc".into(),
        position,
    }
}

fn signer_look() -> Look {
    signer(true, None)
}

fn seal_look() -> Look {
    Look::Seal {
        image: Png::parse(&seal_png()).unwrap(),
        organization: "Sở Nội vụ tỉnh Lâm Đồng".into(),
        signed_at: SystemClock.now(),
    }
}

/// A fresh token in a directory of its own. nextest runs each test in its own process, so
/// pointing SOFTHSM2_CONF at it affects this test only.
pub(super) async fn fixture() -> Fixture {
    let dir = std::env::temp_dir().join(format!("vanban-signing-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("tokens")).unwrap();
    let conf = dir.join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            dir.join("tokens").display()
        ),
    )
    .unwrap();
    // SAFETY: set before any thread reads the environment in this test process.
    unsafe { std::env::set_var("SOFTHSM2_CONF", &conf) };
    let status = Command::new("softhsm2-util")
        .args(["--init-token", "--free", "--label", "vanban-test"])
        .args(["--pin", "1234", "--so-pin", "5678"])
        .env("SOFTHSM2_CONF", &conf)
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
    let hsm = Pkcs11Hsm::connect(
        Path::new(SOFTHSM_MODULE),
        "vanban-test",
        SecretString::from("1234"),
    )
    .await
    .unwrap();
    let ca = DevCa::load_or_create(&dir.join("dev-ca"), SystemClock.now()).unwrap();
    std::fs::write(
        dir.join("ca.pem"),
        ca.certificate.to_pem(LineEnding::LF).unwrap(),
    )
    .unwrap();
    let path = Path::new(crate::config::DEFAULT_SIGNATURE_FONT);
    let font = Font::load(path, std::fs::read(path)).unwrap();
    Fixture { dir, hsm, ca, font }
}

impl Fixture {
    async fn credential(
        &self,
        label: &str,
        algorithm: KeyAlgorithm,
        name: &str,
    ) -> SignerCredential {
        let public = self.hsm.generate(label, algorithm).await.unwrap();
        let subject = ca::subject(name, "Sở Nội vụ tỉnh Lâm Đồng").unwrap();
        let certificate = self.ca.issue(subject, &public, SystemClock.now()).unwrap();
        SignerCredential {
            key_label: label.to_owned(),
            algorithm,
            certificate,
            chain: vec![self.ca.certificate.clone()],
        }
    }

    /// The organisation's seal key.
    async fn organization(&self) -> SignerCredential {
        self.credential("org", KeyAlgorithm::EcdsaP256, "Sở Nội vụ")
            .await
    }

    /// Signed with the leader's signature image at the default place.
    async fn sign(&self, signer: &SignerCredential, pdf: Vec<u8>) -> Vec<u8> {
        self.sign_with(signer, pdf, &signer_look()).await
    }

    async fn sign_with(&self, signer: &SignerCredential, pdf: Vec<u8>, look: &Look) -> Vec<u8> {
        let info = SignatureInfo {
            signer_name: "Nguyễn Văn An".into(),
            reason: Some("Ký ban hành".into()),
            location: Some("Đà Lạt".into()),
            signing_time: SystemClock.now(),
        };
        let looks = std::slice::from_ref(look);
        let prepared = pades::prepare(&pdf, &info, Some((looks, &self.font))).unwrap();
        let cms = cms::sign_detached(&self.hsm, signer, prepared.digest())
            .await
            .unwrap();
        [pdf, prepared.finish(&cms).unwrap()].concat()
    }

    /// A PDF showing `text` signed by a leader, then sealed by the organisation.
    pub(super) async fn issued(&self, text: &str) -> Vec<u8> {
        let leader = self
            .credential("leader", KeyAlgorithm::Rsa2048, "Nguyễn Văn An")
            .await;
        let seal = self.organization().await;
        let once = self.sign(&leader, pdf(text, 0)).await;
        self.sign_with(&seal, once, &seal_look()).await
    }

    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// pyHanko's verdict: (exit status 0, its report).
    fn pyhanko(&self, file: &Path) -> (bool, String) {
        let venv = std::env::var("HOME").unwrap_or_default() + "/.cache/vanban/venv/bin/pyhanko";
        let program = if Path::new(&venv).exists() {
            venv
        } else {
            "pyhanko".into()
        };
        let out = Command::new(program)
            .args(["sign", "validate", "--pretty-print", "--trust"])
            .arg(self.dir.join("ca.pem"))
            .args(["--trust-replace", "--no-revocation-check"])
            .arg(file)
            .output()
            .unwrap();
        let report = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.success(), report)
    }

    /// pdfsig's report, trusting the development CA through an NSS database.
    fn pdfsig(&self, file: &Path) -> String {
        let nss = self.dir.join("nss");
        if !nss.exists() {
            std::fs::create_dir_all(&nss).unwrap();
            let db = format!("sql:{}", nss.display());
            let ok = Command::new("certutil")
                .args(["-N", "-d", &db, "--empty-password"])
                .status()
                .unwrap();
            assert!(ok.success());
            let ok = Command::new("certutil")
                .args(["-A", "-d", &db, "-n", "vanban-dev-ca", "-t", "CT,C,C", "-i"])
                .arg(self.dir.join("ca.pem"))
                .status()
                .unwrap();
            assert!(ok.success());
        }
        let out = Command::new("pdfsig")
            .arg("-nssdir")
            .arg(format!("sql:{}", nss.display()))
            .arg(file)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
    }

    /// Both validators say every signature is valid, trusted and the document untouched since.
    fn assert_valid(&self, file: &Path, signatures: usize) {
        let verdicts = self.ours(file);
        assert_eq!(verdicts.len(), signatures);
        for (i, verdict) in verdicts.into_iter().enumerate() {
            assert!(verdict.valid(), "ours: {:?}", verdict.problems);
            assert_eq!(verdict.covers_whole_file, i + 1 == signatures);
        }
        let (ok, report) = self.pyhanko(file);
        assert!(ok, "pyHanko: {report}");
        let report = self.pdfsig(file);
        assert_eq!(
            report
                .matches("Signature Validation: Signature is Valid.")
                .count(),
            signatures,
            "pdfsig: {report}"
        );
        assert_eq!(
            report
                .matches("Certificate Validation: Certificate is Trusted.")
                .count(),
            signatures,
            "pdfsig: {report}"
        );
    }

    /// Our checker's verdicts on `file`, trusting the development CA.
    fn ours(&self, file: &Path) -> Vec<verify::Verdict> {
        let bytes = std::fs::read(file).unwrap();
        verify::verify_pdf(&bytes, std::slice::from_ref(&self.ca.certificate)).unwrap()
    }

    fn assert_broken(&self, file: &Path) {
        for verdict in self.ours(file) {
            assert!(
                verdict
                    .problems
                    .iter()
                    .any(|p| p.kind == ProblemKind::DigestMismatch),
                "ours: {:?}",
                verdict.problems
            );
        }
        let (ok, report) = self.pyhanko(file);
        assert!(!ok, "pyHanko accepted a modified file: {report}");
        let report = self.pdfsig(file);
        assert!(
            report.contains("Signature Validation: Digest Mismatch."),
            "pdfsig: {report}"
        );
    }
}

#[tokio::test]
async fn an_rsa_signature_is_valid_for_pyhanko_and_pdfsig_and_a_flipped_byte_breaks_it() {
    let fx = fixture().await;
    let signer = fx
        .credential(
            "leader-rsa",
            KeyAlgorithm::Rsa2048,
            "Nguyễn Văn An, Giám đốc",
        )
        .await;
    let signed = fx.sign(&signer, pdf("Quyet dinh so 1", 0)).await;
    let file = fx.write("signed.pdf", &signed);
    fx.assert_valid(&file, 1);

    let mut tampered = signed.clone();
    let inside = tampered
        .windows(15)
        .position(|w| w == b"Quyet dinh so 1")
        .unwrap();
    tampered[inside] = b'X';
    fx.assert_broken(&fx.write("tampered.pdf", &tampered));
}

#[tokio::test]
async fn an_ecdsa_signature_is_valid() {
    let fx = fixture().await;
    let signer = fx
        .credential("leader-ec", KeyAlgorithm::EcdsaP256, "Trần Thị Bình")
        .await;
    let signed = fx.sign(&signer, pdf("Cong van", 0)).await;
    fx.assert_valid(&fx.write("signed.pdf", &signed), 1);
}

#[tokio::test]
async fn a_second_signature_leaves_the_first_valid() {
    let fx = fixture().await;
    let twice = fx.issued("To trinh").await;
    fx.assert_valid(&fx.write("twice.pdf", &twice), 2);
}

#[tokio::test]
async fn a_pdf_with_an_earlier_incremental_update_signs_validly() {
    let fx = fixture().await;
    let signer = fx
        .credential("leader", KeyAlgorithm::Rsa2048, "Nguyễn Văn An")
        .await;
    let original = pdf("Ban dau", 0);
    let previous = lopdf::Document::load_mem(&original).unwrap();
    let mut update = lopdf::IncrementalDocument::create_from(original, previous);
    let mut info = lopdf::Dictionary::new();
    info.set("Title", lopdf::Object::string_literal("Bản sửa"));
    let info_id = update.new_document.add_object(info);
    update
        .new_document
        .trailer
        .set("Info", lopdf::Object::Reference(info_id));
    let mut updated = Vec::new();
    update.save_to(&mut updated).unwrap();

    let signed = fx.sign(&signer, updated).await;
    fx.assert_valid(&fx.write("signed.pdf", &signed), 1);
}

#[tokio::test]
async fn a_pdf_with_object_and_cross_reference_streams_signs_validly() {
    let fx = fixture().await;
    let signer = fx
        .credential("leader", KeyAlgorithm::Rsa2048, "Nguyễn Văn An")
        .await;
    let plain = fx.write("plain.pdf", &pdf("Nen", 0));
    let packed = fx.dir.join("packed.pdf");
    let ok = Command::new("qpdf")
        .args(["--object-streams=generate"])
        .arg(&plain)
        .arg(&packed)
        .status()
        .unwrap();
    assert!(ok.success());
    let packed = std::fs::read(packed).unwrap();
    assert!(
        packed.windows(5).any(|w| w == b"/XRef"),
        "qpdf made no xref stream"
    );

    let signed = fx.sign(&signer, packed).await;
    let file = fx.write("signed.pdf", &signed);
    fx.assert_valid(&file, 1);
    // A different signer: pdfsig (NSS) reports "Unknown issue with Certificate" for the second
    // of two signatures by one certificate in one file, whatever the file's structure.
    let seal = fx.organization().await;
    let twice = fx.sign_with(&seal, signed, &seal_look()).await;
    fx.assert_valid(&fx.write("twice.pdf", &twice), 2);
}

#[tokio::test]
async fn a_50_mb_pdf_signs_validly() {
    let fx = fixture().await;
    let signer = fx
        .credential("leader", KeyAlgorithm::Rsa2048, "Nguyễn Văn An")
        .await;
    let signed = fx.sign(&signer, pdf("Lon", 50 * 1024 * 1024)).await;
    let report = fx.pdfsig(&fx.write("large.pdf", &signed));
    assert!(
        report.contains("Signature Validation: Signature is Valid."),
        "pdfsig: {report}"
    );
    assert!(report.contains("Total document signed"), "pdfsig: {report}");
}

/// `signed` with a forged second page appended as an ordinary incremental update, as anyone
/// with a PDF library can write it.
fn append_forged_page(signed: Vec<u8>) -> Vec<u8> {
    use lopdf::{Object, Stream, dictionary};
    let previous = lopdf::Document::load_mem(&signed).unwrap();
    let pages_id = previous
        .catalog()
        .unwrap()
        .get(b"Pages")
        .unwrap()
        .as_reference()
        .unwrap();
    let mut update = lopdf::IncrementalDocument::create_from(signed, previous);
    update.opt_clone_object_to_new_document(pages_id).unwrap();
    let new = &mut update.new_document;
    let content = new.add_object(Stream::new(
        dictionary! {},
        b"BT /F1 24 Tf 72 720 Td (Dong y chi 5 ty dong) Tj ET".to_vec(),
    ));
    let page = new.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        "Contents" => content,
    });
    let pages = new.get_dictionary_mut(pages_id).unwrap();
    pages
        .get_mut(b"Kids")
        .unwrap()
        .as_array_mut()
        .unwrap()
        .push(Object::Reference(page));
    pages.set("Count", 2);
    let mut out = Vec::new();
    update.save_to(&mut out).unwrap();
    out
}

#[tokio::test]
async fn a_page_appended_after_the_signature_and_the_seal_is_a_change_after_signing() {
    let fx = fixture().await;
    let issued = fx.issued("Quyet dinh so 12").await;
    fx.assert_valid(&fx.write("issued.pdf", &issued), 2);

    let forged = fx.write("forged.pdf", &append_forged_page(issued));
    let verdicts = fx.ours(&forged);
    assert_eq!(verdicts.len(), 2);
    for verdict in &verdicts {
        assert!(!verdict.valid());
        assert!(verdict.modified_after_signing(), "{:?}", verdict.problems);
        let problem = &verdict.problems[0];
        assert!(
            problem.message.contains("changed after this signature")
                && problem.message.contains("/Kids"),
            "{problem:?}"
        );
    }
    let (ok, report) = fx.pyhanko(&forged);
    assert!(!ok, "pyHanko accepted a forged page: {report}");
    let report = fx.pdfsig(&forged);
    assert_eq!(
        report.matches("Total document signed").count(),
        0,
        "pdfsig: {report}"
    );
}

#[tokio::test]
async fn a_leaf_certificate_posing_as_an_issuer_is_not_trusted() {
    use der::Encode;
    use x509_cert::{
        builder::{Builder, CertificateBuilder, Profile},
        serial_number::SerialNumber,
        time::Validity,
    };
    let fx = fixture().await;
    // A leader's certificate, genuinely issued by the CA, whose key signs a certificate.
    let leaf_key = p256::ecdsa::SigningKey::random(&mut rand::rngs::OsRng);
    let leaf_spki = spki::SubjectPublicKeyInfoOwned::from_key(*leaf_key.verifying_key()).unwrap();
    let leaf = fx
        .ca
        .issue(
            ca::subject("Trần Văn Giả", "Sở Nội vụ tỉnh Lâm Đồng").unwrap(),
            &super::PublicKeyInfo {
                algorithm: KeyAlgorithm::EcdsaP256,
                spki_der: leaf_spki.to_der().unwrap(),
            },
            SystemClock.now(),
        )
        .unwrap();
    let public = fx
        .hsm
        .generate("impostor", KeyAlgorithm::EcdsaP256)
        .await
        .unwrap();
    let impostor = CertificateBuilder::new(
        Profile::Leaf {
            issuer: leaf.tbs_certificate.subject.clone(),
            enable_key_agreement: false,
            enable_key_encipherment: false,
        },
        SerialNumber::new(&[0x42; 16]).unwrap(),
        Validity::from_now(std::time::Duration::from_secs(3600)).unwrap(),
        ca::subject("Nguyễn Văn An, Giám đốc", "Sở Nội vụ tỉnh Lâm Đồng").unwrap(),
        der::Decode::from_der(&public.spki_der).unwrap(),
        &leaf_key,
    )
    .unwrap()
    .build::<p256::ecdsa::DerSignature>()
    .unwrap();
    let signer = SignerCredential {
        key_label: "impostor".into(),
        algorithm: KeyAlgorithm::EcdsaP256,
        certificate: impostor,
        chain: vec![leaf, fx.ca.certificate.clone()],
    };
    let signed = fx.write("impostor.pdf", &fx.sign(&signer, pdf("Cong van", 0)).await);

    let verdicts = fx.ours(&signed);
    let problems = &verdicts[0].problems;
    assert!(
        problems.iter().any(|p| p.kind == ProblemKind::Untrusted
            && p.message.contains("not a certification authority")),
        "{problems:?}"
    );
    let (ok, report) = fx.pyhanko(&signed);
    assert!(!ok, "pyHanko trusted a leaf as issuer: {report}");
    let report = fx.pdfsig(&signed);
    assert!(
        !report.contains("Certificate is Trusted"),
        "pdfsig: {report}"
    );
}

/// `signed` signed again by `signer` over a /ByteRange whose gap runs from /Contents on over
/// the signature's /Reason: the signature wrapping a validator must refuse.
async fn resign_with_wide_gap(fx: &Fixture, signer: &SignerCredential, signed: &[u8]) -> Vec<u8> {
    let find = |needle: &[u8], from: usize| {
        memchr::memmem::find(&signed[from..], needle)
            .map(|at| at + from)
            .unwrap()
    };
    let range_at = find(b"/ByteRange", 0);
    let (open, close) = (find(b"[", range_at), find(b"]", range_at));
    let contents = find(b"/Contents", range_at) + b"/Contents".len();
    let gap_start = find(b"<", contents);
    let contents_end = find(b">", gap_start) + 1;
    let reason = find(b"/Reason", contents_end);
    let gap_end = find(b">", reason) + 1;
    let mut bytes = signed.to_vec();
    let range = format!("[0 {gap_start} {gap_end} {}]", bytes.len() - gap_end);
    let width = close + 1 - open;
    bytes[open..=close].copy_from_slice(format!("{range:<width$}").as_bytes());
    let mut hasher = Sha256::new();
    hasher.update(&bytes[..gap_start]);
    hasher.update(&bytes[gap_end..]);
    let cms = cms::sign_detached(&fx.hsm, signer, hasher.finalize().into())
        .await
        .unwrap();
    let hex = hex::encode_upper(cms);
    let room = &mut bytes[gap_start + 1..contents_end - 1];
    room.fill(b'0');
    room[..hex.len()].copy_from_slice(hex.as_bytes());
    bytes
}

#[tokio::test]
async fn a_byte_range_that_leaves_out_more_than_the_contents_is_refused() {
    let fx = fixture().await;
    let signer = fx
        .credential("leader", KeyAlgorithm::Rsa2048, "Nguyễn Văn An")
        .await;
    let signed = fx.sign(&signer, pdf("To trinh", 0)).await;
    let mut wrapped = resign_with_wide_gap(&fx, &signer, &signed).await;
    // What the gap holds is no longer signed: the reason can be rewritten at will.
    let reason = memchr::memmem::find(&wrapped, b"/Reason<FEFF").unwrap() + 12;
    wrapped[reason..reason + 4].copy_from_slice(b"0054");
    let file = fx.write("wrapped.pdf", &wrapped);

    let verdicts = fx.ours(&file);
    let problems = &verdicts[0].problems;
    assert_eq!(
        problems.iter().map(|p| p.kind).collect::<Vec<_>>(),
        [ProblemKind::ByteRange],
        "{problems:?}"
    );
    let (ok, report) = fx.pyhanko(&file);
    assert!(!ok, "pyHanko accepted a wrapped signature: {report}");
}

/// A page as pdftoppm renders it at 72 dpi (one pixel per point): RGB rows from the top.
fn render(file: &Path, page: u32) -> (usize, usize, Vec<u8>) {
    let out = Command::new("pdftoppm")
        .args(["-r", "72", "-f", &page.to_string(), "-l", &page.to_string()])
        .arg(file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    // P6 <width> <height> 255, then the pixels.
    let mut fields = out.stdout.splitn(5, |b| b.is_ascii_whitespace());
    let _magic = fields.next();
    let number =
        |f: Option<&[u8]>| -> usize { std::str::from_utf8(f.unwrap()).unwrap().parse().unwrap() };
    let width = number(fields.next());
    let height = number(fields.next());
    let _max = fields.next();
    (width, height, fields.next().unwrap().to_vec())
}

/// Pixels of the colour `is` inside a rectangle in PDF points (origin bottom-left).
fn count(image: &(usize, usize, Vec<u8>), rect: Rect, is: impl Fn(u8, u8, u8) -> bool) -> usize {
    let (width, height, pixels) = image;
    let mut n = 0;
    for y in (rect.y as usize)..((rect.y + rect.height) as usize) {
        for x in (rect.x as usize)..((rect.x + rect.width) as usize) {
            let row = height - 1 - y.min(height - 1);
            let at = (row * width + x.min(width - 1)) * 3;
            if is(pixels[at], pixels[at + 1], pixels[at + 2]) {
                n += 1;
            }
        }
    }
    n
}

fn blue(r: u8, g: u8, b: u8) -> bool {
    b > 120 && r < 100 && g < 120
}

fn red(r: u8, g: u8, b: u8) -> bool {
    r > 150 && g < 90 && b < 90
}

#[tokio::test]
async fn the_signers_image_and_the_seal_show_where_the_rules_put_them() {
    let fx = fixture().await;
    let leader = fx
        .credential("leader", KeyAlgorithm::Rsa2048, "Nguyễn Văn An")
        .await;
    let org = fx.organization().await;
    let at = Rect {
        x: 330.0,
        y: 150.0,
        width: 200.0,
        height: 80.0,
    };
    let look = signer(true, Some(Position { page: 1, rect: at }));
    let signed = fx.sign_with(&leader, pdf("Quyet dinh", 0), &look).await;
    let sealed = fx.sign_with(&org, signed, &seal_look()).await;
    let file = fx.write("sealed.pdf", &sealed);
    fx.assert_valid(&file, 2);

    let page = render(&file, 1);
    // The image fills the chosen box's height (its proportions are 5:2): 200 x 80.
    let right_two_thirds = Rect {
        x: at.x + at.width / 3.0 + 5.0,
        width: at.width * 2.0 / 3.0 - 10.0,
        ..at
    };
    assert!(
        count(&page, right_two_thirds, blue) > 300,
        "no blue ink where the signature is"
    );
    assert_eq!(
        count(&page, right_two_thirds, red),
        0,
        "the seal reaches past a third"
    );
    // The 40 mm seal (113 points) ends a third of the way into the signature, centred on it.
    let seal = Rect {
        x: at.x + at.width / 3.0 - 113.0,
        y: at.y + at.height / 2.0 - 56.0,
        width: 113.0,
        height: 113.0,
    };
    assert!(count(&page, seal, red) > 2000, "no red seal at its place");
    let outside = Rect {
        x: 20.0,
        y: 400.0,
        width: 300.0,
        height: 300.0,
    };
    assert_eq!(
        count(&page, outside, |r, g, b| r < 250 || g < 250 || b < 250),
        0
    );

    // The seal's text extracts as written, Vietnamese included.
    let text = Command::new("pdftotext")
        .args(["-layout"])
        .arg(&file)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Sở Nội vụ tỉnh Lâm Đồng"), "{text}");
    assert!(text.contains("+07:00"), "{text}");
}

#[tokio::test]
async fn without_an_image_the_signer_shows_as_name_and_title_and_a_stamp_tops_an_attachment() {
    let fx = fixture().await;
    let leader = fx
        .credential("leader", KeyAlgorithm::Rsa2048, "Nguyễn Văn An")
        .await;
    let look = signer(false, None);
    let signed = fx.sign_with(&leader, pdf("To trinh", 0), &look).await;
    let file = fx.write("text.pdf", &signed);
    fx.assert_valid(&file, 1);
    let text = Command::new("pdftotext")
        .arg(&file)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("Nguyễn Văn An") && text.contains("Giám đốc"),
        "{text}"
    );

    let org = fx.organization().await;
    let stamp = Look::Stamp {
        reference: "1945-QĐ/TU".into(),
        signed_at: SystemClock.now(),
        page: 1,
    };
    let stamped = fx.sign_with(&org, pdf("Phu luc", 0), &stamp).await;
    let file = fx.write("stamped.pdf", &stamped);
    fx.assert_valid(&file, 1);
    // Top right of the A4 page.
    let corner = Command::new("pdftotext")
        .args(["-layout", "-x", "380", "-y", "0", "-W", "215", "-H", "60"])
        .arg(&file)
        .arg("-")
        .output()
        .unwrap();
    let corner = String::from_utf8_lossy(&corner.stdout);
    assert!(
        corner.contains("1945-QĐ/TU") && corner.contains("+07:00"),
        "{corner}"
    );
}

#[tokio::test]
async fn a_seal_stamps_the_attachments_bound_into_the_file_as_widgets_of_its_one_signature() {
    let fx = fixture().await;
    let leader = fx
        .credential("leader", KeyAlgorithm::Rsa2048, "Nguyễn Văn An")
        .await;
    let org = fx.organization().await;
    let signed = fx.sign(&leader, sample::scan_pdf(3, 64)).await;
    let stamp = |page| Look::Stamp {
        reference: "1945-QĐ/TU".into(),
        signed_at: SystemClock.now(),
        page,
    };
    let info = SignatureInfo {
        signer_name: "Sở Nội vụ".into(),
        reason: None,
        location: None,
        signing_time: SystemClock.now(),
    };
    // A page the file does not have is refused before anything is signed.
    let beyond = [seal_look(), stamp(4)];
    assert!(matches!(
        pades::prepare(&signed, &info, Some((&beyond, &fx.font))),
        Err(pades::PadesError::Appearance(
            super::appearance::AppearanceError::NoSuchPage(4, 3)
        ))
    ));
    let looks = [seal_look(), stamp(2), stamp(3)];
    let prepared = pades::prepare(&signed, &info, Some((&looks, &fx.font))).unwrap();
    let cms = cms::sign_detached(&fx.hsm, &org, prepared.digest())
        .await
        .unwrap();
    let sealed = [signed, prepared.finish(&cms).unwrap()].concat();
    let file = fx.write("bound-attachments.pdf", &sealed);
    // Two signatures, the leader's and the seal: the stamps are the seal's, not signatures.
    fx.assert_valid(&file, 2);
    let corner = |page: u32| {
        let out = Command::new("pdftotext")
            .args(["-layout", "-x", "380", "-y", "0", "-W", "215", "-H", "60"])
            .args(["-f", &page.to_string(), "-l", &page.to_string()])
            .arg(&file)
            .arg("-")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    for page in [2, 3] {
        let text = corner(page);
        assert!(
            text.contains("1945-QĐ/TU") && text.contains("+07:00"),
            "page {page}: {text}"
        );
    }
    assert!(!corner(1).contains("1945"), "{}", corner(1));
}
