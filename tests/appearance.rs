//! What a person sees on a signed document, judged on the pages poppler renders (`pdftoppm` at
//! 72 dpi, so one pixel is one point) and the text it extracts: the leader's signature image
//! (blue) where the app placed it, the organisation's seal (red) over its left third with the
//! organisation's name and the signing time, and the stamp top right of the first page of each
//! attachment (an appendix file, or one bound into the main PDF) with the document's number
//! and the signing time. Every signature stays valid for pyHanko and pdfsig. The pages
//! of the demo document are kept in `<target>/test-output/appearance/`.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use serde_json::{Value, json};

use crate::{
    helpers::{Backend, TestApp, on_both_databases, pdf, spawn_app_with},
    signing::{
        Office, confirm, download, draft_with_files, office, pdfsig, provision, pyhanko, seal,
    },
};

on_both_databases!(
    a_signed_and_issued_document_shows_the_signature_the_seal_and_the_stamp,
    signature_and_seal_images_are_checked_when_uploaded,
);

/// A PNG of `width` x `height` pixels at `dpi`, each pixel `ink(x, y)` (RGBA).
fn png_image(width: u32, height: u32, dpi: u32, ink: impl Fn(u32, u32) -> [u8; 4]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let per_metre = (f64::from(dpi) / 0.0254).round() as u32;
    encoder.set_pixel_dims(Some(png::PixelDimensions {
        xppu: per_metre,
        yppu: per_metre,
        unit: png::Unit::Meter,
    }));
    let data: Vec<u8> = (0..height)
        .flat_map(|y| (0..width).map(move |x| (x, y)))
        .flat_map(|(x, y)| ink(x, y))
        .collect();
    let mut writer = encoder.write_header().unwrap();
    writer.write_image_data(&data).unwrap();
    writer.finish().unwrap();
    out
}

const CLEAR: [u8; 4] = [0, 0, 0, 0];

/// An A4 PDF of one page per text, each showing its text near the top left.
fn pages_pdf(texts: &[&str]) -> Vec<u8> {
    let n = texts.len();
    let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 3 + 2 * i)).collect();
    let mut objects = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        format!("<< /Type /Pages /Kids [{}] /Count {n} >>", kids.join(" ")),
    ];
    for (i, text) in texts.iter().enumerate() {
        let content = format!("BT /F1 12 Tf 72 712 Td ({text}) Tj ET");
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {} 0 R \
             /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Times-Roman \
             >> >> >> >>",
            4 + 2 * i
        ));
        objects.push(format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ));
    }
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        out.extend(format!("{offset:010} 00000 n \n").as_bytes());
    }
    let trailer = format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    );
    out.extend(trailer.as_bytes());
    out
}

/// A handwritten signature: a thick blue wave across a transparent 400 x 160 image.
fn signature_png() -> Vec<u8> {
    png_image(400, 160, 300, |x, y| {
        let wave = 80.0 + 50.0 * (f64::from(x) / 30.0).sin();
        if (f64::from(y) - wave).abs() < 9.0 {
            [20, 40, 200, 255]
        } else {
            CLEAR
        }
    })
}

/// A round red seal 40 mm across (236 pixels at 150 dpi): two rings and a disc.
fn seal_png(dpi: u32) -> Vec<u8> {
    png_image(236, 236, dpi, |x, y| {
        let r = (f64::from(x) - 118.0).hypot(f64::from(y) - 118.0);
        if (100.0..116.0).contains(&r) || (80.0..86.0).contains(&r) || r < 30.0 {
            [220, 20, 30, 255]
        } else {
            CLEAR
        }
    })
}

async fn put_png(app: &TestApp, path: &str, token: &str, png: Vec<u8>) -> crate::helpers::Reply {
    let resp = app
        .http
        .put(format!("{}{path}", app.base))
        .bearer_auth(token)
        .header("content-type", "image/png")
        .body(png)
        .send()
        .await
        .unwrap();
    crate::helpers::reply(resp).await
}

/// Where a person can look at the rendered pages after the run.
fn output_dir(backend: Backend) -> PathBuf {
    // target/<profile>/deps/e2e-… → target/test-output
    let exe = std::env::current_exe().unwrap();
    let target = exe.ancestors().nth(3).unwrap();
    let dir = target
        .join("test-output")
        .join("appearance")
        .join(format!("{backend:?}").to_lowercase());
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A page rendered at 72 dpi: one pixel per point, RGB.
struct Page {
    width: usize,
    height: usize,
    rgb: Vec<u8>,
}

impl Page {
    /// Page `page` of `pdf`, also kept as `<png>.png`.
    fn render(pdf: &Path, page: u32, png: &Path) -> Page {
        let status = Command::new("pdftoppm")
            .args(["-r", "72", "-png", "-singlefile"])
            .args(["-f", &page.to_string(), "-l", &page.to_string()])
            .arg(pdf)
            .arg(png)
            .status()
            .unwrap();
        assert!(status.success(), "pdftoppm failed on {}", pdf.display());
        let bytes = std::fs::read(png.with_extension("png")).unwrap();
        let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        decoder.set_transformations(png::Transformations::normalize_to_color8());
        let mut reader = decoder.read_info().unwrap();
        let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
        let frame = reader.next_frame(&mut buffer).unwrap();
        let channels = frame.color_type.samples();
        let rgb = buffer[..frame.buffer_size()]
            .chunks_exact(channels)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect();
        Page {
            width: frame.width as usize,
            height: frame.height as usize,
            rgb,
        }
    }

    /// How many pixels of the rectangle (PDF points, origin bottom left) are `ink`.
    fn count(
        &self,
        (x, y, width, height): (f32, f32, f32, f32),
        ink: fn([u8; 3]) -> bool,
    ) -> usize {
        let top = self.height.saturating_sub((y + height) as usize);
        let bottom = self.height.saturating_sub(y as usize).min(self.height);
        let right = ((x + width) as usize).min(self.width);
        (top..bottom)
            .flat_map(|row| (x as usize..right).map(move |column| (row, column)))
            .filter(|(row, column)| {
                let at = (row * self.width + column) * 3;
                ink([self.rgb[at], self.rgb[at + 1], self.rgb[at + 2]])
            })
            .count()
    }
}

fn blue([r, g, b]: [u8; 3]) -> bool {
    b > 120 && r < 110 && g < 130 && b > r + 60
}

fn red([r, g, b]: [u8; 3]) -> bool {
    r > 150 && g < 90 && b < 90
}

/// The text `pdftotext -layout` finds on page `page` of `pdf` inside the rectangle (points,
/// origin top left, as pdftotext crops).
pub(crate) fn text_in(
    pdf: &Path,
    page: u32,
    (x, y, width, height): (u32, u32, u32, u32),
) -> String {
    let out = Command::new("pdftotext")
        .args(["-layout", "-r", "72"])
        .args(["-f", &page.to_string(), "-l", &page.to_string()])
        .args(["-x", &x.to_string(), "-y", &y.to_string()])
        .args(["-W", &width.to_string(), "-H", &height.to_string()])
        .arg(pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "pdftotext failed on {}",
        pdf.display()
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Both validators accept every signature of `file` and see nothing changed after the last.
fn validators_accept(dir: &Path, ca: &Path, file: &Path, signatures: usize) {
    let (ok, report) = pyhanko(dir, ca, file);
    assert!(ok, "pyHanko on {}: {report}", file.display());
    let report = pdfsig(dir, ca, file);
    assert_eq!(
        report
            .matches("Signature Validation: Signature is Valid.")
            .count(),
        signatures,
        "pdfsig on {}: {report}",
        file.display()
    );
    assert_eq!(
        report
            .matches("Certificate Validation: Certificate is Trusted.")
            .count(),
        signatures,
        "pdfsig on {}: {report}",
        file.display()
    );
    assert!(
        report.contains("Total document signed"),
        "pdfsig on {}: {report}",
        file.display()
    );
}

async fn ask_to_sign(app: &TestApp, o: &Office, task: &str, body: Value) -> crate::helpers::Reply {
    app.post(
        &format!("/api/v1/tasks/{task}/signing-requests"),
        Some(&o.leader.1.access),
        body,
    )
    .await
}

async fn signature_and_seal_images_are_checked_when_uploaded(db: Backend) {
    let app = spawn_app_with(db, &[("DEV_CA", "true")]).await;
    let o = office(&app).await;
    let own = "/api/v1/me/signature-image";
    // Kept with the signing key: none yet.
    put_png(&app, own, &o.leader.1.access, signature_png())
        .await
        .problem(409, "signing_credential_missing");
    provision(&app, &o).await;
    put_png(&app, own, &o.leader.1.access, b"GIF89a not a png".to_vec())
        .await
        .problem(415, "image_not_png");
    let opaque = png_image(64, 32, 300, |_, _| [255, 255, 255, 255]);
    put_png(&app, own, &o.leader.1.access, opaque)
        .await
        .problem(422, "image_opaque");
    // A detailed scan of a third of a megabyte is taken (far more than a JSON body may be)...
    let scan = png_image(400, 400, 300, |x, y| {
        let n = x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503).rotate_left(7);
        [
            n as u8,
            (n >> 8) as u8,
            (n >> 16) as u8,
            (n >> 24) as u8 | 1,
        ]
    });
    assert!(scan.len() > 256 * 1024, "{}", scan.len());
    assert_eq!(
        put_png(&app, own, &o.leader.1.access, scan).await.status,
        204
    );
    // ... more than 1 MB announced is refused from the headers, before the body is read.
    let head = format!(
        "PUT {own} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\n\
         content-type: image/png\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        o.leader.1.access,
        1024 * 1024 + 1
    );
    let answer = crate::bad_input::raw_exchange(&app, head.as_bytes()).await;
    assert!(
        answer.starts_with("HTTP/1.1 413") && answer.contains("payload_too_large"),
        "{answer}"
    );
    // Only an admin sets someone else's, or a seal.
    let org = app.admin_org(&o.admin).await;
    let seal_path = format!("/api/v1/admin/organizations/{org}/signing-credential/image");
    put_png(&app, &seal_path, &o.leader.1.access, seal_png(150))
        .await
        .problem(403, "forbidden");
    put_png(&app, &seal_path, &o.admin.access, seal_png(150))
        .await
        .problem(409, "organization_seal_missing");
    seal(&app, &o).await;
    // At 30 dpi the seal would print 200 mm wide.
    put_png(&app, &seal_path, &o.admin.access, seal_png(30))
        .await
        .problem(422, "image_wrong_size");
    put_png(&app, &seal_path, &o.admin.access, seal_png(150)).await;
    assert_eq!(
        put_png(&app, &seal_path, &o.admin.access, seal_png(150))
            .await
            .status,
        204
    );
    let leaders = format!(
        "/api/v1/admin/users/{}/signing-credential/image",
        o.leader.0
    );
    assert_eq!(
        put_png(&app, &leaders, &o.admin.access, signature_png())
            .await
            .status,
        204
    );
    assert_eq!(
        put_png(&app, own, &o.leader.1.access, signature_png())
            .await
            .status,
        204
    );
}

async fn a_signed_and_issued_document_shows_the_signature_the_seal_and_the_stamp(db: Backend) {
    let out = output_dir(db);
    let app = spawn_app_with(db, &[("DEV_CA", "true")]).await;
    let o = office(&app).await;
    provision(&app, &o).await;
    seal(&app, &o).await;
    let org = app.admin_org(&o.admin).await;
    let seal_image = format!("/api/v1/admin/organizations/{org}/signing-credential/image");
    assert_eq!(
        put_png(&app, &seal_image, &o.admin.access, seal_png(150))
            .await
            .status,
        204
    );
    assert_eq!(
        put_png(
            &app,
            "/api/v1/me/signature-image",
            &o.leader.1.access,
            signature_png()
        )
        .await
        .status,
        204
    );
    let metadata = json!({
        "direction": "outgoing", "doc_type": "QĐ", "urgency": "normal", "confidentiality": "none",
        "summary": "Quyết định ban hành quy chế làm việc",
    });
    // The decision on page 1, with the rules it issues bound in from page 2 (a văn bản kèm
    // theo in the same file), and an appendix uploaded as a file of its own.
    let main = pages_pdf(&["Quyet dinh", "Quy che lam viec", "Quy che, trang 2"]);
    let files = vec![("quyet-dinh.pdf", main), ("phu-luc.pdf", pdf("Phu luc I"))];
    let (doc, task, file) = draft_with_files(&app, &o, metadata, files).await;

    // A rectangle off the page, or on a page the file does not have, is refused before the PIN.
    for (page, x) in [(1, 500.0), (4, 60.0)] {
        let position = json!({"page": page, "x": x, "y": 60.0, "width": 170.0, "height": 70.0});
        ask_to_sign(
            &app,
            &o,
            &task,
            json!({"file_id": file, "position": position}),
        )
        .await
        .problem(422, "validation_failed");
    }
    // The leader drags the signature to the upper left of the page.
    let position = json!({"page": 1, "x": 60.0, "y": 600.0, "width": 200.0, "height": 80.0});
    let req = ask_to_sign(
        &app,
        &o,
        &task,
        json!({"file_id": file, "position": position}),
    )
    .await;
    assert_eq!(req.ok()["position"], position);
    let signed = confirm(&app, &o, &req.body, "246810").await;
    let signed_file = signed.ok()["file_id"].as_str().unwrap().to_owned();
    let signed_path = out.join("signed.pdf");
    std::fs::write(
        &signed_path,
        download(&app, &o.leader.1.access, &doc, &signed_file).await,
    )
    .unwrap();

    // The signature image fills the rectangle (its proportions are the rectangle's), in blue;
    // nothing is drawn at the default place.
    let page = Page::render(&signed_path, 1, &out.join("signed-page-1"));
    assert!(
        page.count((60.0, 600.0, 200.0, 80.0), blue) > 1000,
        "no blue in the signature's rectangle"
    );
    assert_eq!(page.count((0.0, 0.0, 595.0, 590.0), blue), 0);
    assert_eq!(page.count((0.0, 0.0, 595.0, 842.0), red), 0);

    // The clerk issues, saying the rules bound into the decision begin on page 2: that page
    // and the appendix (a file of its own) get the stamp top right, with the number and
    // symbol and the signing time in Vietnam time. A page the file does not have, or page 1
    // (the decision itself), is refused, and nothing is numbered.
    let (_, clerk_password) = app.active_user(&o.admin, "vanthu.hoa", &["clerk"]).await;
    let clerk = app.login_ok("vanthu.hoa", &clerk_password, "desk").await;
    let issue = |pages: Value| {
        let (app, clerk) = (&app, &clerk);
        let path = format!("/api/v1/documents/{doc}/issue");
        async move {
            app.post(
                &path,
                Some(&clerk.access),
                json!({"attachment_pages": pages}),
            )
            .await
        }
    };
    for pages in [json!([4]), json!([2, 9]), json!([1]), json!([0])] {
        let refused = issue(pages).await;
        refused.problem(422, "validation_failed");
        assert!(
            refused.body["detail"]
                .as_str()
                .unwrap()
                .contains("attachment_pages"),
            "{}",
            refused.body
        );
    }
    let issued = issue(json!([2])).await;
    let symbol = issued.ok()["symbol"].as_str().unwrap().to_owned();
    assert!(symbol.contains("QĐ"), "{symbol}");
    assert_eq!(issued.body["number"], 1, "a refused issuance took a number");
    let document = app
        .get(&format!("/api/v1/documents/{doc}"), &o.leader.1.access)
        .await;
    let current = |slot: i64| {
        document.ok()["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["slot"] == slot && f["current"] == true)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let sealed_path = out.join("issued.pdf");
    let appendix_path = out.join("issued-appendix.pdf");
    std::fs::write(
        &sealed_path,
        download(&app, &o.leader.1.access, &doc, &current(0)).await,
    )
    .unwrap();
    std::fs::write(
        &appendix_path,
        download(&app, &o.leader.1.access, &doc, &current(1)).await,
    )
    .unwrap();
    // The seal, 40 mm (113 points) across, overlaps the left third of the signature: red
    // left of the signature and over its left third, none over its right two thirds; below
    // it, the organisation's name and the signing time.
    let page = Page::render(&sealed_path, 1, &out.join("issued-page-1"));
    let seal_left = 60.0 + 200.0 / 3.0 - 113.4;
    assert!(page.count((seal_left, 600.0, 60.0 - seal_left, 80.0), red) > 500);
    assert!(page.count((60.0, 600.0, 200.0 / 3.0, 80.0), red) > 300);
    assert_eq!(page.count((130.0, 560.0, 130.0, 160.0), red), 0);
    assert!(page.count((130.0, 600.0, 130.0, 80.0), blue) > 500);
    let organization = app.get("/api/v1/me", &o.admin.access).await.ok()["organization"]["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let under_seal = text_in(&sealed_path, 1, (0, 842 - 583, 300, 40));
    assert!(
        under_seal.contains(&organization) && under_seal.contains("+07:00"),
        "{under_seal}"
    );
    Page::render(&appendix_path, 1, &out.join("issued-appendix-page-1"));
    Page::render(&sealed_path, 2, &out.join("issued-page-2"));
    let mut times = Vec::new();
    for (file, page) in [(&appendix_path, 1), (&sealed_path, 2)] {
        let stamp = text_in(file, page, (395, 0, 200, 80));
        assert!(stamp.contains(&symbol), "page {page}: {stamp}");
        let time = stamp
            .split_whitespace()
            .find(|w| w.ends_with("+07:00"))
            .unwrap_or_else(|| panic!("no signing time in the stamp: {stamp}"))
            .to_owned();
        assert!(
            chrono::DateTime::parse_from_rfc3339(&time).is_ok(),
            "{time} is not ISO 8601"
        );
        times.push(time);
    }
    assert_eq!(
        times[0], times[1],
        "one signing time for the whole issuance"
    );
    for page in [1, 3] {
        assert!(
            !text_in(&sealed_path, page, (395, 0, 200, 80)).contains(&symbol),
            "the stamp is only on the first page of an attachment, not on page {page}"
        );
    }
    // The page's own content is untouched: the stamp lives in the signature's widget.
    assert!(text_in(&sealed_path, 2, (0, 0, 595, 842)).contains("Quy che lam viec"));

    let anchors = app
        .get("/api/v1/signing/trust-anchors", &o.leader.1.access)
        .await;
    // The validators' own state (pdfsig's NSS database) lives with this run's server.
    let validation = app.world.data_dir.join("validation");
    std::fs::create_dir_all(&validation).unwrap();
    let ca = validation.join("ca.pem");
    std::fs::write(&ca, anchors.ok()["certificates"][0].as_str().unwrap()).unwrap();
    validators_accept(&validation, &ca, &signed_path, 1);
    validators_accept(&validation, &ca, &sealed_path, 2);
    validators_accept(&validation, &ca, &appendix_path, 1);
}
