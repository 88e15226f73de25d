//! Whether a stored file is a PDF, decided by parsing it, never by its name or declared type: a
//! `%PDF-` header in the first 1024 bytes, a `startxref` and `%%EOF` at the end (a truncated
//! upload fails here), then lopdf reads the cross-reference data (tables or streams, following
//! `/Prev`), the trailer, the catalog and the root of the page tree; finally every object is
//! read once, without keeping it, under the caps of [`pdf_limits`].
//!
//! The file is memory-mapped rather than read: lopdf wants the whole file as one slice, and the
//! mapping lets the kernel page it in while the scan hands pages back as it goes. lopdf's
//! metadata loader answers the structural questions; the scan that follows drops each object
//! as soon as it is counted, so checking a 100 MB scan never holds its objects in memory.

use std::{fs::File, io, path::PathBuf};

use lopdf::xref::XrefRecovery;

use super::pdf_limits::{self, Exceeded, LoadError};

/// What the check learnt about a PDF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfInfo {
    /// The version in the header, e.g. `1.7`.
    pub version: String,
    pub page_count: u32,
    /// Encrypted with an empty user password (readable by anyone, perhaps restricted).
    pub encrypted: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("the file is not a PDF: {0}")]
    NotPdf(String),
    /// Neither the approvers' phones nor the signer could open it.
    #[error("the PDF is locked with a password: upload it without one")]
    PasswordProtected,
    #[error("the PDF is too complex to process safely: {0}")]
    TooComplex(Exceeded),
    #[error("reading the stored file failed: {0}")]
    Io(#[from] io::Error),
}

/// Readers accept the header this far into the file (ISO 32000-2, annex H).
const HEADER_WINDOW: usize = 1024;
/// `%%EOF` must lie within the last 1024 bytes; `startxref` and its offset just before it.
const EOF_WINDOW: usize = 1024;
const TAIL_WINDOW: usize = 2048;

/// Checks the file at `path`. The file must not be modified while this runs: stored files never
/// are (they are written once, under a new name, and renamed into place).
pub async fn check_pdf(path: impl Into<PathBuf>) -> Result<PdfInfo, PdfError> {
    let path = path.into();
    // Parsing is CPU work, and touching a mapped page may wait on the disk.
    tokio::task::spawn_blocking(move || check_file(&File::open(path)?))
        .await
        .map_err(io::Error::other)?
}

fn not_pdf(reason: impl Into<String>) -> PdfError {
    PdfError::NotPdf(reason.into())
}

pub(crate) fn check_file(file: &File) -> Result<PdfInfo, PdfError> {
    let len = usize::try_from(file.metadata()?.len()).map_err(io::Error::other)?;
    if len == 0 {
        return Err(not_pdf("it is empty"));
    }
    // SAFETY: a mapping is undefined behaviour if the file changes underneath it. Stored files
    // are content-addressed: written to a temporary name, synced, renamed into place and never
    // written again; deleting one while it is mapped keeps its pages alive.
    let map = unsafe { memmap2::Mmap::map(file)? };
    let bytes: &[u8] = &map;

    let header = &bytes[..len.min(HEADER_WINDOW)];
    let version = find(header, b"%PDF-")
        .map(|at| &header[at + 5..])
        .filter(|v| v.len() >= 3 && v[0].is_ascii_digit() && v[1] == b'.' && v[2].is_ascii_digit())
        .ok_or_else(|| not_pdf("it has no `%PDF-` header"))?;
    let version = String::from_utf8_lossy(&version[..3]).into_owned();

    check_tail(&bytes[len.saturating_sub(TAIL_WINDOW)..], len)?;

    let meta = lopdf::Document::load_metadata_mem(bytes)
        .map_err(|e| not_pdf(format!("its cross-reference data does not parse ({e})")))?;
    // lopdf rebuilds a table it cannot read by scanning for objects, as viewers do; such a file
    // did not parse as a PDF, and signing it would build on objects that were guessed.
    if meta.xref_recovery == Some(XrefRecovery::Reconstructed) {
        return Err(not_pdf("its cross-reference data is damaged"));
    }
    if meta.page_count == 0 {
        return Err(if meta.encrypted {
            PdfError::PasswordProtected
        } else {
            not_pdf("it has no pages")
        });
    }
    // Every object once, within the caps signing and verification will parse it under. lopdf
    // decrypts on a path that skips the caps, so an encrypted file is refused there instead.
    if !meta.encrypted {
        pdf_limits::scan(pdf_limits::Source::stored_file(&map)).map_err(|e| match e {
            LoadError::TooComplex(exceeded) => PdfError::TooComplex(exceeded),
            other => not_pdf(format!("its objects do not parse ({other})")),
        })?;
    }
    Ok(PdfInfo {
        version,
        page_count: meta.page_count,
        encrypted: meta.encrypted,
    })
}

/// `startxref`, the offset of the last cross-reference section, then `%%EOF` near the end.
fn check_tail(tail: &[u8], len: usize) -> Result<(), PdfError> {
    let truncated = || not_pdf("it does not end with `startxref` and `%%EOF` (truncated?)");
    let eof = rfind(tail, b"%%EOF").ok_or_else(truncated)?;
    if tail.len() - eof > EOF_WINDOW {
        return Err(truncated());
    }
    let start = rfind(&tail[..eof], b"startxref").ok_or_else(truncated)?;
    let offset = std::str::from_utf8(&tail[start + b"startxref".len()..eof])
        .ok()
        .and_then(|digits| digits.trim().parse::<usize>().ok())
        .ok_or_else(truncated)?;
    if offset >= len {
        return Err(not_pdf("its `startxref` points past its end"));
    }
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

#[cfg(test)]
pub(crate) mod tests {
    use lopdf::{
        Document, EncryptionState, EncryptionVersion, Object, Permissions, SaveOptions, Stream,
        dictionary, xref::XrefType,
    };

    use super::*;

    /// A real PDF with `pages` pages of text, written by lopdf; `modern` uses a cross-reference
    /// stream and object streams (PDF 1.5+) instead of a classic table.
    pub(crate) fn sample_pdf(pages: u32, modern: bool) -> Vec<u8> {
        build(pages, modern, |_| {})
    }

    fn build(pages: u32, modern: bool, finish: impl FnOnce(&mut Document)) -> Vec<u8> {
        let mut doc = Document::with_version("1.7");
        let pages_id = doc.new_object_id();
        let font = doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
        });
        let kids: Vec<Object> = (1..=pages)
            .map(|n| {
                let text = format!("BT /F1 24 Tf 72 720 Td (Trang {n}) Tj ET");
                let content = doc.add_object(Stream::new(dictionary! {}, text.into_bytes()));
                doc.add_object(dictionary! {
                    "Type" => "Page",
                    "Parent" => pages_id,
                    "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
                    "Contents" => content,
                    "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
                })
                .into()
            })
            .collect();
        doc.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! {
                "Type" => "Pages", "Kids" => kids, "Count" => i64::from(pages),
            }),
        );
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog);
        if !modern {
            doc.reference_table.cross_reference_type = XrefType::CrossReferenceTable;
        }
        finish(&mut doc);
        let mut out = Vec::new();
        let options = SaveOptions::builder()
            .use_xref_streams(modern)
            .use_object_streams(modern)
            .build();
        doc.save_with_options(&mut out, options).unwrap();
        out
    }

    async fn check(bytes: &[u8]) -> Result<PdfInfo, PdfError> {
        let path = std::env::temp_dir().join(format!("vanban-pdf-{}", uuid::Uuid::new_v4()));
        tokio::fs::write(&path, bytes).await.unwrap();
        let checked = check_pdf(&path).await;
        tokio::fs::remove_file(&path).await.unwrap();
        checked
    }

    fn refused(checked: Result<PdfInfo, PdfError>) -> String {
        match checked {
            Err(PdfError::NotPdf(reason)) => reason,
            other => panic!("expected NotPdf, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn pdfs_with_a_table_or_a_stream_of_cross_references_are_accepted() {
        for modern in [false, true] {
            let info = check(&sample_pdf(3, modern)).await.unwrap();
            assert_eq!(
                info,
                PdfInfo {
                    version: "1.7".to_owned(),
                    page_count: 3,
                    encrypted: false
                },
                "modern: {modern}"
            );
        }
    }

    #[tokio::test]
    async fn leading_junk_before_the_header_is_tolerated_as_readers_do() {
        let mut bytes = b"\xef\xbb\xbf".to_vec();
        bytes.extend(sample_pdf(1, false));
        assert_eq!(check(&bytes).await.unwrap().page_count, 1);
    }

    #[tokio::test]
    async fn other_files_named_pdf_are_refused() {
        let mut jpeg = vec![
            0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0,
        ];
        jpeg.extend(std::iter::repeat_n(0x55, 4096));
        jpeg.extend([0xFF, 0xD9]);
        assert!(refused(check(&jpeg).await).contains("header"));
        let text = "Kính gửi: Ủy ban nhân dân tỉnh\n".repeat(50);
        assert!(refused(check(text.as_bytes()).await).contains("header"));
        assert!(refused(check(b"").await).contains("empty"));
    }

    #[tokio::test]
    async fn a_truncated_pdf_is_refused() {
        let whole = sample_pdf(3, false);
        for keep in [whole.len() / 2, whole.len() - 8, 9] {
            let reason = refused(check(&whole[..keep]).await);
            assert!(reason.contains("truncated"), "{keep}: {reason}");
        }
    }

    #[tokio::test]
    async fn a_header_and_tail_around_garbage_are_refused() {
        let fake = b"%PDF-1.7\nnot really a pdf at all\nstartxref\n9\n%%EOF\n";
        assert!(refused(check(fake).await).contains("cross-reference"));
        let past_end = b"%PDF-1.7\nstartxref\n999999\n%%EOF\n";
        assert!(refused(check(past_end).await).contains("past its end"));
    }

    #[tokio::test]
    async fn a_damaged_cross_reference_table_is_refused() {
        let mut bytes = sample_pdf(2, false);
        let table = bytes
            .windows(4)
            .enumerate()
            .position(|(at, w)| w == b"xref" && !bytes[..at].ends_with(b"start"))
            .unwrap();
        bytes[table..table + 4].copy_from_slice(b"xrex");
        let reason = refused(check(&bytes).await);
        assert!(reason.contains("cross-reference"), "{reason}");
    }

    #[tokio::test]
    async fn a_pdf_locked_with_a_user_password_is_refused_as_such() {
        let locked = build(1, false, |doc| {
            let id = Object::string_literal(b"0123456789abcdef".to_vec());
            doc.trailer.set("ID", vec![id.clone(), id]);
            let state = EncryptionState::try_from(EncryptionVersion::V2 {
                document: doc,
                owner_password: "chủ sở hữu",
                user_password: "mật khẩu",
                key_length: 128,
                permissions: Permissions::all(),
            })
            .unwrap();
            doc.encrypt(&state).unwrap();
        });
        assert!(matches!(
            check(&locked).await,
            Err(PdfError::PasswordProtected)
        ));
    }
}
