//! Document uploads: a `multipart/form-data` body with a `metadata` JSON part first, then one or
//! more `file` parts (the main PDF, then appendices), read while it streams in.
//!
//! [`DocumentUpload`] hands the handler the metadata before a single byte of any file has been
//! read, so a document that must not enter (a classified one) is refused with nothing of it
//! stored, not even in a temporary file; then each file as a reader, to be streamed into the
//! [`FileStore`] under its size limit. poem-openapi's `Multipart` derive cannot do either: it
//! spools every file to a temporary file before the handler runs.
//!
//! The multipart parser is fed no further than the end of the part the handler asked for: bytes
//! of a file that arrived in the same network read as the metadata wait in memory, unparsed,
//! and go with the request if it is refused. Because the global body cap lets multipart bodies
//! through, this extractor bounds what it holds itself: the metadata (64 KiB), the number of
//! files (20), and what the parser buffers outside part contents (preamble, boundaries, part
//! headers: 256 KiB); it is fed small pieces, one per poll, so it never takes a fast body whole.

use std::{
    fmt,
    marker::PhantomData,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    task::{Context, Poll},
};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use poem::{
    Body, FromRequest, Request, RequestBody,
    web::{Field, Multipart},
};
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ExtractParamOptions,
    error::ContentTypeError,
    registry::{MetaMediaType, MetaRequest, MetaSchema, MetaSchemaRef, Registry},
    types::{ParseFromJSON, Type},
};
use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};
use unicode_normalization::UnicodeNormalization;

use crate::files::{FileError, FileReader, FileStore, StoredFile};

pub const MULTIPART_FORM_DATA: &str = "multipart/form-data";
pub const MAX_METADATA_BYTES: usize = 64 * 1024;
pub const MAX_FILES: usize = 20;
/// Preamble, boundaries and part headers of a whole upload; 21 parts need a few KiB.
pub const MAX_FRAMING_BYTES: u64 = 256 * 1024;
/// The parser is fed at most this much at a time.
const PIECE_BYTES: usize = 16 * 1024;
const MAX_FILE_NAME_CHARS: usize = 255;

const METADATA: &str = "metadata";
const FILE: &str = "file";

/// Whether a `Content-Type` value is `multipart/form-data`, parameters aside.
pub fn is_multipart_form_data(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case(MULTIPART_FORM_DATA))
}

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("the body has no parts: a `metadata` part must come first")]
    MetadataMissing,
    #[error("the first part must be `metadata`, found {found}")]
    MetadataNotFirst { found: String },
    #[error("the `metadata` part is larger than {limit} bytes")]
    MetadataTooLarge { limit: usize },
    #[error("the `metadata` part is not valid JSON: {0}")]
    MetadataNotJson(String),
    #[error("the `metadata` part was refused: {0}")]
    MetadataInvalid(String),
    #[error("a document needs at least one `file` part after `metadata`")]
    FileMissing,
    #[error("a new version is one file: send exactly one `file` part")]
    OneFileOnly,
    #[error("only `file` parts may follow `metadata`, found {found}")]
    UnexpectedPart { found: String },
    #[error("at most {max} files may be uploaded with a document")]
    TooManyFiles { max: usize },
    #[error("a file is larger than {limit} bytes")]
    FileTooLarge { limit: u64 },
    #[error("the multipart preamble and part headers exceed {limit} bytes")]
    FramingTooLarge { limit: u64 },
    #[error("the multipart body could not be read: {0}")]
    Malformed(String),
    /// A handler bug, not the client's.
    #[error("the upload was read out of order: {0}")]
    OutOfOrder(&'static str),
    #[error("storing an uploaded file failed")]
    Storage(#[source] FileError),
}

/// A `multipart/form-data` document upload, read in order: [`metadata`](Self::metadata) once,
/// then [`next_file`](Self::next_file) until it gives `None`. Anything the client sent after
/// the part being read is still unread, so returning early reads (and stores) nothing more.
pub struct DocumentUpload<M> {
    parts: Multipart,
    meter: Arc<Meter>,
    stage: Stage,
    files: usize,
    _metadata: PhantomData<fn() -> M>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Metadata,
    Files,
    Done,
}

/// One `file` part, its bytes not yet read.
#[derive(Debug)]
pub struct IncomingFile {
    /// The client's file name, without any path and at most 255 characters.
    pub name: Option<String>,
    field: Field,
    meter: Arc<Meter>,
}

impl<M: Type + ParseFromJSON> DocumentUpload<M> {
    /// The `metadata` part, which must come first, parsed as `M` (its validators and
    /// `deny_unknown_fields` apply). Reads nothing past the end of that part.
    pub async fn metadata(&mut self) -> Result<M, UploadError> {
        if self.stage != Stage::Metadata {
            return Err(UploadError::OutOfOrder("the metadata was read already"));
        }
        self.stage = Stage::Files;
        self.meter.parts_wanted.fetch_add(1, Ordering::SeqCst);
        let field = match self.parts.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return Err(UploadError::MetadataMissing),
            Err(e) => return Err(self.meter.body_error(e)),
        };
        if field.name() != Some(METADATA) {
            return Err(UploadError::MetadataNotFirst {
                found: describe_part(field.name()),
            });
        }
        let mut raw = Vec::new();
        Metered::new(field_reader(field), &self.meter, false)
            .take(MAX_METADATA_BYTES as u64 + 1)
            .read_to_end(&mut raw)
            .await
            .map_err(|e| self.meter.body_error(e))?;
        if raw.len() > MAX_METADATA_BYTES {
            return Err(UploadError::MetadataTooLarge {
                limit: MAX_METADATA_BYTES,
            });
        }
        let json = serde_json::from_slice(&raw)
            .map_err(|e| UploadError::MetadataNotJson(e.to_string()))?;
        M::parse_from_json(Some(json)).map_err(|e| UploadError::MetadataInvalid(e.into_message()))
    }
}

impl<M> DocumentUpload<M> {
    /// The next `file` part, or `None` after the last (there is always a first). Finish with
    /// (or drop) the previous file first. Refuses a 21st file before reading any of it.
    pub async fn next_file(&mut self) -> Result<Option<IncomingFile>, UploadError> {
        match self.stage {
            Stage::Metadata => return Err(UploadError::OutOfOrder("files come after metadata")),
            Stage::Done => return Ok(None),
            Stage::Files => {}
        }
        // The parser skips what is left of a file the handler did not read to its end; those
        // are a file's bytes, not framing, so they must not count against the framing budget.
        let skipping = self.meter.file_open.swap(false, Ordering::SeqCst);
        self.meter.unmetered.store(skipping, Ordering::SeqCst);
        self.meter.parts_wanted.fetch_add(1, Ordering::SeqCst);
        let next = self.parts.next_field().await;
        self.meter.unmetered.store(false, Ordering::SeqCst);
        let field = match next {
            Ok(Some(field)) => field,
            Ok(None) if self.files == 0 => return Err(UploadError::FileMissing),
            Ok(None) => {
                self.stage = Stage::Done;
                return Ok(None);
            }
            Err(e) => return Err(self.meter.body_error(e)),
        };
        if field.name() != Some(FILE) {
            return Err(UploadError::UnexpectedPart {
                found: describe_part(field.name()),
            });
        }
        self.files += 1;
        if self.files > MAX_FILES {
            return Err(UploadError::TooManyFiles { max: MAX_FILES });
        }
        self.meter.file_open.store(true, Ordering::SeqCst);
        Ok(Some(IncomingFile {
            name: field.file_name().and_then(sanitise_file_name),
            field,
            meter: Arc::clone(&self.meter),
        }))
    }
}

impl IncomingFile {
    /// The file's bytes as they arrive, never buffered whole.
    pub fn into_reader(self) -> FileReader {
        Box::pin(Metered::new(field_reader(self.field), &self.meter, true))
    }

    /// Streams the file into `store`, refusing it past `limit` bytes (nothing is kept then).
    pub async fn store<S: FileStore + ?Sized>(
        self,
        store: &S,
        limit: u64,
    ) -> Result<StoredFile, UploadError> {
        let meter = Arc::clone(&self.meter);
        match store.put(self.into_reader(), limit).await {
            Ok(stored) => Ok(stored),
            Err(FileError::TooLarge { limit }) => Err(UploadError::FileTooLarge { limit }),
            // The client's side failed (a cut connection, broken framing), not the disk.
            Err(FileError::Io(e)) if meter.body_failed.load(Ordering::SeqCst) => {
                Err(meter.body_error(e))
            }
            Err(e) => Err(UploadError::Storage(e)),
        }
    }
}

impl<'a, M: Type + ParseFromJSON> ApiExtractor<'a> for DocumentUpload<M> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        M::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        Some(MetaRequest {
            description: Some(
                "`multipart/form-data`, parts in this order: `metadata` (JSON) first, then one \
                 `file` part per file, the main PDF first and its appendices after it. Files are \
                 read only once the metadata has been accepted.",
            ),
            content: vec![MetaMediaType {
                content_type: MULTIPART_FORM_DATA,
                schema: body_schema::<M>(),
            }],
            required: true,
        })
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        let content_type = request
            .content_type()
            .ok_or(ContentTypeError::ExpectContentType)?;
        if !is_multipart_form_data(content_type) {
            return Err(ContentTypeError::NotSupported {
                content_type: content_type.to_owned(),
            }
            .into());
        }
        let boundary = multer::parse_boundary(content_type)
            .map_err(poem::error::ParseMultipartError::Multipart)?;
        let meter = Arc::new(Meter::default());
        let paced = Paced::new(body.take()?, &boundary, Arc::clone(&meter));
        let mut paced = RequestBody::new(Body::from_bytes_stream(paced));
        let parts = <Multipart as FromRequest>::from_request(request, &mut paced).await?;
        Ok(Self {
            parts,
            meter,
            stage: Stage::Metadata,
            files: 0,
            _metadata: PhantomData,
        })
    }
}

fn body_schema<M: Type>() -> MetaSchemaRef {
    let binary = MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "binary")));
    let files = MetaSchema {
        description: Some("The main PDF first, then its appendices."),
        items: Some(Box::new(binary)),
        min_items: Some(1),
        max_items: Some(MAX_FILES),
        ..MetaSchema::new("array")
    };
    MetaSchemaRef::Inline(Box::new(MetaSchema {
        required: vec![METADATA, FILE],
        properties: vec![
            (METADATA, M::schema_ref()),
            (FILE, MetaSchemaRef::Inline(Box::new(files))),
        ],
        ..MetaSchema::new("object")
    }))
}

fn describe_part(name: Option<&str>) -> String {
    match name {
        Some(name) => format!("`{}`", name.chars().take(64).collect::<String>()),
        None => "a part without a name".to_owned(),
    }
}

/// The last path component of a client's file name (phones send full paths, Windows ones with
/// backslashes), NFC (iOS sends decomposed Vietnamese), no control characters, at most 255
/// characters, keeping a short extension when cut.
fn sanitise_file_name(raw: &str) -> Option<String> {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = base.nfc().filter(|c| !c.is_control()).collect();
    let name = name.trim();
    if name.is_empty() || name == "." || name == ".." {
        return None;
    }
    let chars = name.chars().count();
    if chars <= MAX_FILE_NAME_CHARS {
        return Some(name.to_owned());
    }
    let extension = name
        .rfind('.')
        .map(|dot| &name[dot..])
        .filter(|ext| ext.chars().count() <= 16)
        .unwrap_or("");
    let stem_chars = MAX_FILE_NAME_CHARS - extension.chars().count();
    Some(
        name.chars()
            .take(stem_chars)
            .chain(extension.chars())
            .collect(),
    )
}

fn field_reader(field: Field) -> FileReader {
    Box::pin(field.into_async_read())
}

/// What the body gave the parser and what left it as part contents; the difference is what the
/// parser consumed as framing or still buffers, which [`Paced`] keeps under
/// [`MAX_FRAMING_BYTES`] (a preamble or a part header without an end would otherwise be
/// buffered without limit).
#[derive(Debug, Default)]
struct Meter {
    pulled: AtomicU64,
    drained: AtomicU64,
    /// Parts the handler asked for so far; [`Paced`] feeds the parser no further than the end
    /// of the last of them.
    parts_wanted: AtomicU64,
    /// While the parser skips an unread file.
    unmetered: AtomicBool,
    overflowed: AtomicBool,
    /// A file was handed out and has not been read to its end.
    file_open: AtomicBool,
    /// Reading part contents failed on the client's side.
    body_failed: AtomicBool,
}

impl Meter {
    fn body_error(&self, err: impl fmt::Display) -> UploadError {
        if self.overflowed.load(Ordering::SeqCst) {
            UploadError::FramingTooLarge {
                limit: MAX_FRAMING_BYTES,
            }
        } else {
            UploadError::Malformed(err.to_string())
        }
    }
}

/// Polls the parser may make, once the part asked for has been fed, before the body is judged
/// malformed (a delimiter inside part headers would otherwise leave it waiting for ever).
/// A well-formed body needs one or two.
const MAX_IDLE_POLLS: u32 = 64;

/// The request body as the parser sees it: never past the delimiter that ends the last part the
/// handler asked for (so refusing a document after its metadata leaves its files unread, even
/// when they follow in the same network chunk), in pieces of at most [`PIECE_BYTES`], one per
/// poll (the parser keeps polling its input while it is ready, and would otherwise take a fast
/// body whole), and refused once the framing exceeds [`MAX_FRAMING_BYTES`].
struct Paced {
    inner: Pin<Box<dyn Stream<Item = std::io::Result<Bytes>> + Send>>,
    /// Pulled from the body, not yet given to the parser.
    rest: Bytes,
    /// `CRLF--boundary`; the body is scanned as if it began with a CRLF, so that the opening
    /// delimiter counts too.
    delimiter: Vec<u8>,
    /// The last bytes given to the parser, to find a delimiter split across two pieces.
    tail: Vec<u8>,
    delimiters_fed: u64,
    yield_next: bool,
    idle_polls: u32,
    parts_seen: u64,
    meter: Arc<Meter>,
}

impl Paced {
    fn new(body: Body, boundary: &str, meter: Arc<Meter>) -> Self {
        Self {
            inner: Box::pin(body.into_bytes_stream()),
            rest: Bytes::new(),
            delimiter: format!("\r\n--{boundary}").into_bytes(),
            tail: b"\r\n".to_vec(),
            delimiters_fed: 0,
            yield_next: false,
            idle_polls: 0,
            parts_seen: 0,
            meter,
        }
    }

    /// How much of `rest` (at most `max`) to feed: cut right after the delimiter that closes
    /// the last part wanted, counting the delimiters fed.
    fn next_cut(&mut self, max: usize, delimiters_allowed: u64) -> usize {
        let mut window = Vec::with_capacity(self.tail.len() + max);
        window.extend_from_slice(&self.tail);
        window.extend_from_slice(&self.rest[..max]);
        let mut cut = max;
        // A match cannot lie wholly in `tail`, which is shorter than the delimiter.
        for at in memchr::memmem::find_iter(&window, &self.delimiter) {
            self.delimiters_fed += 1;
            if self.delimiters_fed >= delimiters_allowed {
                cut = at + self.delimiter.len() - self.tail.len();
                break;
            }
        }
        let fed_end = self.tail.len() + cut;
        let keep = self.delimiter.len() - 1;
        self.tail = window[fed_end.saturating_sub(keep)..fed_end].to_vec();
        cut
    }
}

impl Stream for Paced {
    type Item = std::io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.yield_next {
            this.yield_next = false;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let meter = Arc::clone(&this.meter);
        let parts_wanted = meter.parts_wanted.load(Ordering::SeqCst);
        if parts_wanted != this.parts_seen {
            this.parts_seen = parts_wanted;
            this.idle_polls = 0;
        }
        // Part n ends at delimiter n + 1.
        let delimiters_allowed = parts_wanted + 1;
        if this.delimiters_fed >= delimiters_allowed {
            this.idle_polls += 1;
            if this.idle_polls > MAX_IDLE_POLLS {
                return Poll::Ready(Some(Err(std::io::Error::other(
                    "a part delimiter appears where none may",
                ))));
            }
            // The parser holds the whole part; it polls here before draining its buffer.
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let held = meter
            .pulled
            .load(Ordering::SeqCst)
            .saturating_sub(meter.drained.load(Ordering::SeqCst));
        if held > MAX_FRAMING_BYTES && !meter.unmetered.load(Ordering::SeqCst) {
            meter.overflowed.store(true, Ordering::SeqCst);
            return Poll::Ready(Some(Err(std::io::Error::other(
                "the multipart framing is too large",
            ))));
        }
        if this.rest.is_empty() {
            match this.inner.poll_next_unpin(cx) {
                Poll::Ready(Some(Ok(chunk))) => this.rest = chunk,
                other => return other,
            }
        }
        let cut = this.next_cut(this.rest.len().min(PIECE_BYTES), delimiters_allowed);
        let piece = this.rest.split_to(cut);
        meter.pulled.fetch_add(cut as u64, Ordering::SeqCst);
        if meter.unmetered.load(Ordering::SeqCst) {
            meter.drained.fetch_add(cut as u64, Ordering::SeqCst);
        }
        this.yield_next = true;
        Poll::Ready(Some(Ok(piece)))
    }
}

/// Part contents on their way out of the parser, counted for the [`Meter`].
struct Metered {
    inner: FileReader,
    meter: Arc<Meter>,
    is_file: bool,
}

impl Metered {
    fn new(inner: FileReader, meter: &Arc<Meter>, is_file: bool) -> Self {
        Self {
            inner,
            meter: Arc::clone(meter),
            is_file,
        }
    }
}

impl AsyncRead for Metered {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let read = self.inner.as_mut().poll_read(cx, buf);
        match &read {
            Poll::Ready(Ok(())) => {
                let n = buf.filled().len() - before;
                self.meter.drained.fetch_add(n as u64, Ordering::SeqCst);
                if n == 0 && self.is_file {
                    self.meter.file_open.store(false, Ordering::SeqCst);
                }
            }
            Poll::Ready(Err(_)) => self.meter.body_failed.store(true, Ordering::SeqCst),
            Poll::Pending => {}
        }
        read
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use poem::{EndpointExt, Route, http::StatusCode, test::TestClient};
    use poem_openapi::{Object, OpenApi, OpenApiService, payload::Json};
    use serde_json::{Value, json};
    use sha2::{Digest, Sha256};

    use super::*;
    use crate::{
        files::{LocalFileStore, check_pdf, pdf::tests::sample_pdf},
        http::{
            error::{ApiError, ErrorCode, Problems, problem_set},
            middleware::limit_body,
        },
    };

    const BOUNDARY: &str = "vanban-7d3a9f3e";
    const JSON_CAP: usize = 64 * 1024;

    problem_set!(TestProblems: InvalidRequest, InvalidUpload, PayloadTooLarge, ValidationFailed);

    /// Stands in for the real document metadata.
    #[derive(Debug, Object)]
    #[oai(deny_unknown_fields)]
    struct TestMetadata {
        #[oai(validator(min_length = 1, max_length = 1000))]
        summary: String,
        confidentiality: String,
    }

    #[derive(Debug, Object)]
    struct Received {
        hashes: Vec<String>,
        names: Vec<Option<String>>,
    }

    struct TestApi {
        store: Arc<LocalFileStore>,
        file_limit: u64,
    }

    #[OpenApi]
    impl TestApi {
        /// Stores every file, as the documents endpoint will.
        #[oai(path = "/documents", method = "post")]
        async fn create(
            &self,
            mut upload: DocumentUpload<TestMetadata>,
        ) -> Result<Json<Received>, Problems<TestProblems>> {
            let metadata = upload.metadata().await?;
            if metadata.confidentiality != "none" {
                return Err(ApiError::new(ErrorCode::ValidationFailed, "classified").into());
            }
            let mut received = Received {
                hashes: Vec::new(),
                names: Vec::new(),
            };
            while let Some(file) = upload.next_file().await? {
                received.names.push(file.name.clone());
                let stored = file.store(&*self.store, self.file_limit).await?;
                received.hashes.push(stored.hash.as_str().to_owned());
            }
            Ok(Json(received))
        }

        /// Looks at each file's name and reads none of its bytes.
        #[oai(path = "/names", method = "post")]
        async fn names(
            &self,
            mut upload: DocumentUpload<TestMetadata>,
        ) -> Result<Json<Vec<Option<String>>>, Problems<TestProblems>> {
            upload.metadata().await?;
            let mut names = Vec::new();
            while let Some(file) = upload.next_file().await? {
                names.push(file.name);
            }
            Ok(Json(names))
        }

        #[oai(path = "/json", method = "post")]
        async fn json(&self, body: Json<TestMetadata>) -> Json<String> {
            Json(body.0.summary)
        }
    }

    struct World {
        client: TestClient<poem::endpoint::BoxEndpoint<'static>>,
        root: std::path::PathBuf,
        store: Arc<LocalFileStore>,
    }

    async fn world(file_limit: u64) -> World {
        let root = std::env::temp_dir().join(format!("vanban-upload-{}", uuid::Uuid::new_v4()));
        let store = Arc::new(LocalFileStore::new(&root).await.unwrap());
        let api = TestApi {
            store: Arc::clone(&store),
            file_limit,
        };
        let app = Route::new()
            .nest("/", OpenApiService::new(api, "test", "1"))
            .around(|ep, req| limit_body(ep, req, JSON_CAP))
            .boxed();
        World {
            client: TestClient::new(app),
            root,
            store,
        }
    }

    impl World {
        /// Every file under the store's root, temporary ones included.
        fn stored_files(&self) -> Vec<std::path::PathBuf> {
            fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
                for entry in std::fs::read_dir(dir).unwrap() {
                    let path = entry.unwrap().path();
                    if path.is_dir() {
                        walk(&path, out);
                    } else {
                        out.push(path);
                    }
                }
            }
            let mut out = Vec::new();
            walk(&self.root, &mut out);
            out
        }

        async fn post(&self, path: &str, body: impl Into<Body>) -> (StatusCode, Value) {
            let resp = self
                .client
                .post(path)
                .content_type(format!("multipart/form-data; boundary={BOUNDARY}"))
                .body(body)
                .send()
                .await;
            let status = resp.0.status();
            let body = resp.0.into_body().into_vec().await.unwrap();
            (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
        }
    }

    impl Drop for World {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }

    fn part(
        name: &str,
        file_name: Option<&str>,
        content_type: Option<&str>,
        data: &[u8],
    ) -> Vec<u8> {
        let mut out = format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"");
        if let Some(file_name) = file_name {
            out.push_str(&format!("; filename=\"{file_name}\""));
        }
        out.push_str("\r\n");
        if let Some(content_type) = content_type {
            out.push_str(&format!("Content-Type: {content_type}\r\n"));
        }
        out.push_str("\r\n");
        let mut out = out.into_bytes();
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
        out
    }

    fn metadata(value: &Value) -> Vec<u8> {
        part(
            "metadata",
            None,
            Some("application/json"),
            value.to_string().as_bytes(),
        )
    }

    fn unclassified() -> Vec<u8> {
        metadata(&json!({"summary": "Về việc tổ chức hội nghị", "confidentiality": "none"}))
    }

    fn pdf_part(file_name: &str, data: &[u8]) -> Vec<u8> {
        part("file", Some(file_name), Some("application/pdf"), data)
    }

    fn close() -> Vec<u8> {
        format!("--{BOUNDARY}--\r\n").into_bytes()
    }

    fn body(parts: &[Vec<u8>]) -> Vec<u8> {
        let mut out = parts.concat();
        out.extend(close());
        out
    }

    fn code(problem: &Value) -> &str {
        problem["code"].as_str().unwrap_or_default()
    }

    fn sha256(data: &[u8]) -> String {
        hex::encode(Sha256::digest(data))
    }

    #[tokio::test]
    async fn metadata_then_files_stream_into_the_store() {
        let w = world(10 << 20).await;
        let main = sample_pdf(2, false);
        let appendix = sample_pdf(1, true);
        let (status, received) = w
            .post(
                "/documents",
                body(&[
                    unclassified(),
                    pdf_part(r"C:\Users\van thu\Tờ trình 12.pdf", &main),
                    part("file", Some("/sdcard/Phụ lục.pdf"), None, &appendix),
                ]),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{received}");
        assert_eq!(
            received["hashes"],
            json!([sha256(&main), sha256(&appendix)])
        );
        // NFC, whatever form the client sent; no path.
        assert_eq!(received["names"], json!(["Tờ trình 12.pdf", "Phụ lục.pdf"]));

        let hash = crate::files::ContentHash::parse(&sha256(&main)).unwrap();
        assert_eq!(std::fs::read(w.store.path(&hash)).unwrap(), main);
        assert_eq!(check_pdf(w.store.path(&hash)).await.unwrap().page_count, 2);
    }

    #[tokio::test]
    async fn metadata_must_come_first() {
        let w = world(1 << 20).await;
        let pdf = sample_pdf(1, false);
        let (status, problem) = w
            .post(
                "/documents",
                body(&[pdf_part("a.pdf", &pdf), unclassified()]),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(code(&problem), "invalid_upload");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("`metadata`, found `file`")
        );

        let (status, problem) = w.post("/documents", body(&[])).await;
        assert_eq!(
            (status, code(&problem)),
            (StatusCode::BAD_REQUEST, "invalid_upload")
        );
        assert!(problem["detail"].as_str().unwrap().contains("no parts"));

        let (status, problem) = w.post("/documents", body(&[unclassified()])).await;
        assert_eq!(
            (status, code(&problem)),
            (StatusCode::BAD_REQUEST, "invalid_upload")
        );
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("at least one `file`")
        );

        let (status, problem) = w
            .post("/documents", body(&[unclassified(), unclassified()]))
            .await;
        assert_eq!(
            (status, code(&problem)),
            (StatusCode::BAD_REQUEST, "invalid_upload")
        );
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("found `metadata`")
        );
        assert!(w.stored_files().is_empty());
    }

    #[tokio::test]
    async fn bad_metadata_is_refused_as_a_bad_json_body_would_be() {
        let w = world(1 << 20).await;
        let cases = [
            part("metadata", None, None, b"{\"summary\": "),
            metadata(&json!({"summary": "", "confidentiality": "none"})),
            metadata(&json!({"summary": "x", "confidentiality": "none", "extra": 1})),
            metadata(&json!({"summary": "x"})),
        ];
        for case in cases {
            let (status, problem) = w.post("/documents", body(&[case])).await;
            assert_eq!(
                (status, code(&problem)),
                (StatusCode::BAD_REQUEST, "invalid_request"),
                "{problem}"
            );
        }
        let huge = metadata(
            &json!({"summary": "x".repeat(MAX_METADATA_BYTES), "confidentiality": "none"}),
        );
        let (status, problem) = w.post("/documents", body(&[huge])).await;
        assert_eq!(
            (status, code(&problem)),
            (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
        );
    }

    #[tokio::test]
    async fn a_refused_document_has_no_byte_of_its_files_read() {
        let w = world(1 << 20).await;
        let classified = metadata(&json!({"summary": "Kế hoạch", "confidentiality": "secret"}));
        let whole = body(&[
            classified.clone(),
            pdf_part("mật.pdf", &sample_pdf(1, false)),
        ]);
        // The first chunk ends with the delimiter that closes the metadata part; everything
        // after it belongs to the file.
        let split = classified.len() + 2 + BOUNDARY.len();
        assert!(whole[..split].ends_with(format!("\r\n--{BOUNDARY}").as_bytes()));
        let chunks: Vec<Bytes> = vec![
            Bytes::copy_from_slice(&whole[..split]),
            Bytes::copy_from_slice(&whole[split..split + 40]),
            Bytes::copy_from_slice(&whole[split + 40..]),
        ];
        let pulled = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&pulled);
        let stream = futures_util::stream::iter(chunks).map(move |chunk| {
            counter.fetch_add(1, Ordering::SeqCst);
            Ok::<_, std::io::Error>(chunk)
        });
        let (status, problem) = w.post("/documents", Body::from_bytes_stream(stream)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(
            pulled.load(Ordering::SeqCst),
            1,
            "only the metadata was read"
        );
        assert!(w.stored_files().is_empty());
    }

    #[tokio::test]
    async fn a_file_over_the_limit_is_refused_and_nothing_is_kept() {
        let w = world(1000).await;
        let (status, problem) = w
            .post(
                "/documents",
                body(&[unclassified(), pdf_part("big.pdf", &[b'%'; 1001])]),
            )
            .await;
        assert_eq!(
            (status, code(&problem)),
            (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
        );
        assert!(problem["detail"].as_str().unwrap().contains("1000 bytes"));
        assert!(w.stored_files().is_empty());
    }

    #[tokio::test]
    async fn a_twenty_first_file_is_refused() {
        let w = world(1 << 20).await;
        let mut parts = vec![unclassified()];
        for n in 0..MAX_FILES {
            parts.push(pdf_part(&format!("{n}.pdf"), format!("{n}").as_bytes()));
        }
        let (status, _) = w.post("/documents", body(&parts)).await;
        assert_eq!(status, StatusCode::OK);
        parts.push(pdf_part("21.pdf", b"21"));
        let (status, problem) = w.post("/documents", body(&parts)).await;
        assert_eq!(
            (status, code(&problem)),
            (StatusCode::BAD_REQUEST, "invalid_upload")
        );
        assert!(problem["detail"].as_str().unwrap().contains("at most 20"));
    }

    #[tokio::test]
    async fn files_left_unread_are_skipped_without_tripping_the_framing_budget() {
        let w = world(1 << 20).await;
        let big = vec![b'x'; 3 * MAX_FRAMING_BYTES as usize];
        let (status, names) = w
            .post(
                "/names",
                body(&[
                    unclassified(),
                    pdf_part("a.pdf", &big),
                    pdf_part("b.pdf", &big),
                ]),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{names}");
        assert_eq!(names, json!(["a.pdf", "b.pdf"]));
    }

    #[tokio::test]
    async fn endless_framing_is_refused_before_it_fills_memory() {
        let w = world(1 << 20).await;
        // A preamble that never reaches a boundary.
        let preamble = vec![b'-'; 2 * MAX_FRAMING_BYTES as usize];
        let (status, problem) = w.post("/documents", preamble).await;
        assert_eq!(
            (status, code(&problem)),
            (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
        );
        // A part header that never ends.
        let mut endless = unclassified();
        endless.extend(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"\r\nX-Pad: ")
                .bytes(),
        );
        endless.extend(vec![b'a'; 2 * MAX_FRAMING_BYTES as usize]);
        let (status, problem) = w.post("/documents", endless).await;
        assert_eq!(
            (status, code(&problem)),
            (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
        );
        assert!(problem["detail"].as_str().unwrap().contains("part headers"));
    }

    #[tokio::test]
    async fn a_cut_connection_is_the_clients_problem() {
        let w = world(1 << 20).await;
        let mut cut = unclassified();
        cut.extend(pdf_part("a.pdf", &sample_pdf(1, false)));
        cut.truncate(cut.len() - 100);
        let (status, problem) = w.post("/documents", cut).await;
        assert_eq!(
            (status, code(&problem)),
            (StatusCode::BAD_REQUEST, "invalid_upload")
        );
        assert!(w.stored_files().is_empty());
    }

    #[tokio::test]
    async fn multipart_bodies_pass_the_json_cap_and_json_bodies_do_not() {
        let w = world(11 << 20).await;
        let ten_mb = vec![b'7'; 10 << 20];
        let whole = body(&[unclassified(), pdf_part("scan.pdf", &ten_mb)]);
        let with_length = w
            .client
            .post("/documents")
            .content_type(format!("multipart/form-data; boundary={BOUNDARY}"))
            .header("content-length", whole.len())
            .body(whole.clone())
            .send()
            .await;
        with_length.assert_status_is_ok();
        let chunks: Vec<std::io::Result<Bytes>> = whole
            .chunks(64 * 1024)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        let (status, received) = w
            .post(
                "/documents",
                Body::from_bytes_stream(futures_util::stream::iter(chunks)),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(received["hashes"], json!([sha256(&ten_mb)]));

        let json_body =
            json!({"summary": "x".repeat(10 << 20), "confidentiality": "none"}).to_string();
        let resp = w
            .client
            .post("/json")
            .content_type("application/json")
            .header("content-length", json_body.len())
            .body(json_body)
            .send()
            .await;
        resp.assert_status(StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[tokio::test]
    async fn other_content_types_are_refused_unread() {
        let w = world(1 << 20).await;
        let resp = w
            .client
            .post("/documents")
            .content_type("application/json")
            .body("{}")
            .send()
            .await;
        resp.assert_status(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }

    #[tokio::test]
    async fn the_spec_shows_a_multipart_body_with_metadata_and_files() {
        let w = world(0).await;
        let api = TestApi {
            store: Arc::clone(&w.store),
            file_limit: 0,
        };
        let spec: Value = serde_json::from_str(&OpenApiService::new(api, "t", "1").spec()).unwrap();
        let request = &spec["paths"]["/documents"]["post"]["requestBody"];
        assert_eq!(request["required"], json!(true));
        let schema = &request["content"]["multipart/form-data"]["schema"];
        assert_eq!(schema["type"], "object");
        assert_eq!(schema["required"], json!(["metadata", "file"]));
        assert_eq!(
            schema["properties"]["metadata"]["$ref"],
            "#/components/schemas/TestMetadata"
        );
        let file = &schema["properties"]["file"];
        assert_eq!(file["type"], "array");
        assert_eq!(file["maxItems"], json!(MAX_FILES));
        assert_eq!(file["items"], json!({"type": "string", "format": "binary"}));
        let metadata = &spec["components"]["schemas"]["TestMetadata"];
        assert_eq!(metadata["required"], json!(["summary", "confidentiality"]));
    }

    #[test]
    fn pdf_refusals_and_server_faults_map_to_their_codes() {
        use crate::files::PdfError;
        let not_pdf: ApiError = PdfError::NotPdf("it has no `%PDF-` header".to_owned()).into();
        assert_eq!(
            (not_pdf.code, not_pdf.code.status()),
            (ErrorCode::NotAPdf, 415)
        );
        let locked: ApiError = PdfError::PasswordProtected.into();
        assert_eq!(locked.code, ErrorCode::PdfPasswordProtected);
        let disk = FileError::Io(std::io::Error::other("/srv/vanban/files: disk full"));
        for fault in [
            ApiError::from(UploadError::Storage(disk)),
            ApiError::from(UploadError::OutOfOrder("files come after metadata")),
            ApiError::from(PdfError::Io(std::io::Error::other("/srv/vanban"))),
        ] {
            assert_eq!(fault.code, ErrorCode::InternalError);
            assert!(!fault.detail.contains("/srv"));
        }
    }

    #[test]
    fn file_names_lose_their_paths_and_stay_short() {
        assert_eq!(
            sanitise_file_name("../../etc/passwd").as_deref(),
            Some("passwd")
        );
        assert_eq!(
            sanitise_file_name(r"C:\tmp\a.pdf").as_deref(),
            Some("a.pdf")
        );
        assert_eq!(
            sanitise_file_name("a\u{0}b\r\n.pdf").as_deref(),
            Some("ab.pdf")
        );
        // "ờ" typed as o + horn + grave becomes the one composed character.
        assert_eq!(
            sanitise_file_name("To\u{31b}\u{300} trình.pdf").as_deref(),
            Some("Tờ trình.pdf")
        );
        for empty in ["", "  ", "/", "dir/..", "."] {
            assert_eq!(sanitise_file_name(empty), None, "{empty:?}");
        }
        let long = format!("{}.pdf", "Quyết định ".repeat(40));
        let short = sanitise_file_name(&long).unwrap();
        assert_eq!(short.chars().count(), MAX_FILE_NAME_CHARS);
        assert!(short.ends_with(".pdf"));
    }

    #[test]
    fn only_multipart_form_data_counts_as_an_upload() {
        assert!(is_multipart_form_data("multipart/form-data; boundary=x"));
        assert!(is_multipart_form_data("Multipart/Form-Data"));
        assert!(!is_multipart_form_data("multipart/mixed; boundary=x"));
        assert!(!is_multipart_form_data("application/json"));
    }
}
