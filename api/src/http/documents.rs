//! `/documents`: taking documents in, reading them, downloading their files.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use poem::{Body, web::Data};
use poem_openapi::{
    ApiResponse, Enum, Object, OpenApi,
    param::{Header, Path, Query},
    payload::{Binary, Json},
    types::Example,
};
use uuid::Uuid;

use super::{
    ApiTags,
    error::{Problems, problem_set},
    exchange::{ExchangeView, RecipientInputDto, SignerDto},
    history::DocumentScreen,
    security::Caller,
    types::{OrganizationName, PersonRef, example_time, person_ref},
    upload::{DocumentUpload, UploadError},
};
use crate::{
    domain::{
        PageSize,
        document::{Confidentiality, Direction, Document, DocumentFile, Urgency},
        person::Person,
        workflow::DocumentState,
    },
    files::ByteRange,
    services::{
        documents::{self, DocumentDetails, DocumentInput},
        exchange::ExchangeInput,
        history,
    },
    state::AppState,
};

problem_set!(RevisionProblems: authenticated, InvalidRequest, InvalidUpload, ValidationFailed, NotFound, NotTheAuthor, WrongDocumentState, FileVersionConflict, PayloadTooLarge, NotAPdf, PdfPasswordProtected, PdfTooComplex);
problem_set!(CreateDocumentProblems: authenticated, InvalidRequest, InvalidUpload, Forbidden, ValidationFailed, ClassifiedDocumentRefused, PayloadTooLarge, NotAPdf, PdfPasswordProtected, PdfTooComplex);
problem_set!(GetDocumentProblems: authenticated, InvalidRequest, NotFound);
problem_set!(ListDocumentsProblems: authenticated, InvalidRequest, ValidationFailed);
problem_set!(DownloadProblems: authenticated, InvalidRequest, NotFound, RangeNotSatisfiable);

macro_rules! api_enum {
    ($name:ident as $domain:ident, $schema:literal { $($variant:ident),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, serde::Serialize)]
        #[oai(rename = $schema, rename_all = "snake_case")]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl From<$name> for $domain {
            fn from(v: $name) -> Self {
                match v { $($name::$variant => $domain::$variant),+ }
            }
        }

        impl From<$domain> for $name {
            fn from(v: $domain) -> Self {
                match v { $($domain::$variant => $name::$variant),+ }
            }
        }
    };
}

api_enum!(DirectionDto as Direction, "Direction" { Incoming, Outgoing, Internal });
api_enum!(UrgencyDto as Urgency, "Urgency" { Normal, Urgent, VeryUrgent, Flash });
api_enum!(ConfidentialityDto as Confidentiality, "Confidentiality" { None, Confidential, Secret, TopSecret });

/// The `metadata` part of a revision.
#[derive(Debug, Object)]
#[oai(example, deny_unknown_fields)]
pub struct RevisionMetadata {
    /// Which file the new version replaces: 0 is the main PDF, 1, 2, … the appendices; the
    /// next free number adds an appendix.
    #[oai(validator(minimum(value = "0"), maximum(value = "19")))]
    pub slot: i32,
}

impl Example for RevisionMetadata {
    fn example() -> Self {
        Self { slot: 0 }
    }
}

/// The `metadata` part of an upload.
#[derive(Debug, Object)]
#[oai(example, deny_unknown_fields)]
pub struct DocumentMetadata {
    /// đến / đi / nội bộ. Incoming documents are registered by clerks.
    pub direction: DirectionDto,
    /// Loại văn bản: a code from the agency's table, e.g. `QĐ`, `CV`, `TTr`.
    #[oai(validator(min_length = 1, max_length = 8))]
    pub doc_type: String,
    /// Trích yếu: the one-line subject.
    #[oai(validator(min_length = 1, max_length = 1000))]
    pub summary: String,
    /// Cơ quan ban hành: for incoming documents, the sender.
    #[oai(validator(max_length = 255))]
    pub issuer: Option<String>,
    pub urgency: UrgencyDto,
    /// Độ mật. Only `none` may enter this system: anything else is refused with 422
    /// `classified_document_refused` and nothing of it is read or stored.
    pub confidentiality: ConfidentialityDto,
    /// Hạn xử lý.
    pub deadline: Option<DateTime<Utc>>,
    /// The signer block as printed.
    pub signer: Option<SignerDto>,
    /// Địa danh, printed before the date: `Ninh Bình`.
    #[oai(validator(max_length = 255))]
    pub place_of_issue: Option<String>,
    /// Outgoing: nơi nhận delivered to, organisations on this server or agencies by code.
    #[oai(validator(max_items = 200))]
    pub recipients: Option<Vec<RecipientInputDto>>,
    /// Free-text places it also goes to, not delivered: `Lưu: VT, TH`.
    #[oai(validator(max_items = 50))]
    pub places: Option<Vec<String>>,
    /// Incoming: the sender's number (số), with `symbol` and `issued_on`.
    #[oai(validator(minimum(value = "1")))]
    pub number: Option<i32>,
    /// Incoming: the sender's number and symbol as written, `1945-QĐ/TU`.
    #[oai(validator(max_length = 255))]
    pub symbol: Option<String>,
    /// Incoming: the sender's date of issue.
    pub issued_on: Option<NaiveDate>,
    /// Incoming: the issuer's QCVN 102 agency code.
    #[oai(validator(max_length = 32))]
    pub issuer_code: Option<String>,
    /// Incoming: our arrival date (ngày đến); today when absent.
    pub received_on: Option<NaiveDate>,
}

impl Example for DocumentMetadata {
    fn example() -> Self {
        Self {
            direction: DirectionDto::Outgoing,
            doc_type: "TTr".to_owned(),
            summary: "Tờ trình về việc ban hành Kế hoạch chuyển đổi số năm 2027".to_owned(),
            issuer: None,
            urgency: UrgencyDto::Urgent,
            confidentiality: ConfidentialityDto::None,
            deadline: Some(example_time()),
            signer: Some(SignerDto::example()),
            place_of_issue: Some("Ninh Bình".to_owned()),
            recipients: Some(vec![RecipientInputDto::example()]),
            places: Some(vec!["Lưu: VT, TH".to_owned()]),
            number: None,
            symbol: None,
            issued_on: None,
            issuer_code: None,
            received_on: None,
        }
    }
}

impl From<DocumentMetadata> for DocumentInput {
    fn from(m: DocumentMetadata) -> Self {
        Self {
            direction: m.direction.into(),
            doc_type: m.doc_type,
            summary: m.summary,
            issuer: m.issuer,
            urgency: m.urgency.into(),
            confidentiality: m.confidentiality.into(),
            deadline: m.deadline,
            exchange: ExchangeInput {
                signer: m.signer.map(Into::into),
                place_of_issue: m.place_of_issue,
                recipients: m
                    .recipients
                    .unwrap_or_default()
                    .into_iter()
                    .map(Into::into)
                    .collect(),
                places: m.places.unwrap_or_default(),
                number: m.number,
                symbol: m.symbol,
                issued_on: m.issued_on,
                issuer_code: m.issuer_code,
                received_on: m.received_on,
            },
        }
    }
}

/// One version of one file.
#[derive(Debug, Object)]
pub struct FileView {
    pub id: Uuid,
    /// 0 is the main PDF; 1, 2, … the appendices.
    pub slot: i32,
    pub version: i32,
    /// Whether this is the newest version of its slot.
    pub current: bool,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    pub uploaded_by: Uuid,
    /// Who uploaded this version, by name.
    pub uploader: PersonRef,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Object)]
#[oai(rename = "Document", example)]
pub struct DocumentView {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub direction: DirectionDto,
    pub doc_type: String,
    /// Số, ký hiệu, once issued or registered, e.g. `1945-QĐ/TU`.
    #[oai(skip_serializing_if_is_none)]
    pub symbol: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub issued_on: Option<NaiveDate>,
    pub summary: String,
    #[oai(skip_serializing_if_is_none)]
    pub issuer: Option<String>,
    pub urgency: UrgencyDto,
    #[oai(skip_serializing_if_is_none)]
    pub deadline: Option<DateTime<Utc>>,
    pub state: DocumentState,
    /// Số đến, once an incoming document is registered.
    #[oai(skip_serializing_if_is_none)]
    pub received_no: Option<i32>,
    pub author_id: Uuid,
    /// Who drafted it (for an incoming document, the clerk who recorded it), by name.
    pub author: PersonRef,
    /// Every version of every file, by slot then version.
    pub files: Vec<FileView>,
    /// Signer block, place of issue, recipients and their deliveries; the sender's issuer code
    /// and our arrival date on an incoming one.
    pub exchange: ExchangeView,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<DocumentDetails> for DocumentView {
    fn from(d: DocumentDetails) -> Self {
        let files = file_views(d.files, &d.people);
        let doc = d.document;
        Self {
            id: doc.id,
            organization_id: doc.organization_id,
            direction: doc.direction.into(),
            doc_type: doc.doc_type,
            symbol: doc.symbol,
            issued_on: doc.issued_on,
            summary: doc.summary,
            issuer: doc.issuer,
            urgency: doc.urgency.into(),
            deadline: doc.deadline,
            state: doc.state,
            received_no: doc.received_no,
            author_id: doc.author_id,
            author: person_ref(&d.people, doc.author_id),
            files,
            exchange: d.exchange.into(),
            created_at: doc.created_at,
            updated_at: doc.updated_at,
        }
    }
}

fn file_views(files: Vec<DocumentFile>, people: &HashMap<Uuid, Person>) -> Vec<FileView> {
    let newest = |slot: i32| {
        files
            .iter()
            .filter(|f| f.slot == slot)
            .map(|f| f.version)
            .max()
    };
    let current: Vec<bool> = files
        .iter()
        .map(|f| newest(f.slot) == Some(f.version))
        .collect();
    files
        .into_iter()
        .zip(current)
        .map(|(f, current)| FileView {
            id: f.id,
            slot: f.slot,
            version: f.version,
            current,
            name: f.name,
            content_type: f.content_type,
            size: f.size,
            sha256: f.sha256,
            uploader: person_ref(people, f.uploaded_by),
            uploaded_by: f.uploaded_by,
            created_at: f.created_at,
        })
        .collect()
}

impl Example for DocumentView {
    fn example() -> Self {
        let meta = DocumentMetadata::example();
        let id = Uuid::from_u128(0x0d0c_0000_0000_7000_8000_0000_0000_0001);
        let author = author_example();
        Self {
            id,
            organization_id: Uuid::from_u128(0x0e60_0000_0000_4000_8000_0000_0000_0001),
            direction: meta.direction,
            doc_type: meta.doc_type,
            symbol: None,
            issued_on: None,
            summary: meta.summary,
            issuer: None,
            urgency: meta.urgency,
            deadline: meta.deadline,
            state: DocumentState::Draft,
            received_no: None,
            author_id: author.id,
            author: author.clone(),
            files: vec![FileView {
                id: Uuid::from_u128(0x0f11_e000_0000_7000_8000_0000_0000_0001),
                slot: 0,
                version: 1,
                current: true,
                name: "to-trinh-chuyen-doi-so.pdf".to_owned(),
                content_type: "application/pdf".to_owned(),
                size: 284_113,
                sha256: "9f2c4d1e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e"
                    .to_owned(),
                uploaded_by: author.id,
                uploader: author,
                created_at: example_time(),
            }],
            exchange: ExchangeView::example(),
            created_at: example_time(),
            updated_at: example_time(),
        }
    }
}

/// The drafter the examples show.
fn author_example() -> PersonRef {
    PersonRef {
        id: Uuid::from_u128(0x0a11_ce00_0000_4000_8000_0000_0000_0002),
        full_name: "Lê Thị Hoa".to_owned(),
        title: "Chuyên viên Văn phòng".to_owned(),
        organization: OrganizationName::example(),
    }
}

/// A row of a document list.
#[derive(Debug, Object)]
pub struct DocumentListItem {
    pub id: Uuid,
    pub direction: DirectionDto,
    pub doc_type: String,
    #[oai(skip_serializing_if_is_none)]
    pub symbol: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub received_no: Option<i32>,
    pub summary: String,
    #[oai(skip_serializing_if_is_none)]
    pub issuer: Option<String>,
    pub urgency: UrgencyDto,
    pub state: DocumentState,
    #[oai(skip_serializing_if_is_none)]
    pub deadline: Option<DateTime<Utc>>,
    /// Who drafted it (or recorded it, for an incoming document).
    pub author: PersonRef,
    pub created_at: DateTime<Utc>,
}

impl DocumentListItem {
    /// The row of `d`, its author named from `people`.
    pub fn new(d: Document, people: &HashMap<Uuid, Person>) -> Self {
        Self {
            author: person_ref(people, d.author_id),
            id: d.id,
            direction: d.direction.into(),
            doc_type: d.doc_type,
            symbol: d.symbol,
            received_no: d.received_no,
            summary: d.summary,
            issuer: d.issuer,
            urgency: d.urgency.into(),
            state: d.state,
            deadline: d.deadline,
            created_at: d.created_at,
        }
    }
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct DocumentPage {
    /// Newest first.
    pub items: Vec<DocumentListItem>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[oai(skip_serializing_if_is_none)]
    pub next_cursor: Option<String>,
}

impl Example for DocumentPage {
    fn example() -> Self {
        let view = DocumentView::example();
        Self {
            items: vec![DocumentListItem {
                id: view.id,
                direction: view.direction,
                doc_type: view.doc_type,
                symbol: None,
                received_no: None,
                summary: view.summary,
                issuer: None,
                urgency: view.urgency,
                state: view.state,
                deadline: view.deadline,
                author: view.author,
                created_at: view.created_at,
            }],
            next_cursor: None,
        }
    }
}

#[derive(ApiResponse)]
pub enum CreatedDocument {
    #[oai(status = 201)]
    Created(Json<DocumentView>),
}

#[derive(ApiResponse)]
pub enum DocumentRead {
    /// The document; its `ETag` changes whenever the document does.
    #[oai(status = 200)]
    Ok(Json<Box<DocumentScreen>>, #[oai(header = "ETag")] String),
    /// Unchanged since the `ETag` sent in `If-None-Match`.
    #[oai(status = 304)]
    NotModified(#[oai(header = "ETag")] String),
}

#[derive(ApiResponse)]
pub enum FileDownload {
    /// The whole file.
    #[oai(status = 200, content_type = "application/pdf")]
    Whole(
        Binary<Body>,
        #[oai(header = "Content-Disposition")] String,
        #[oai(header = "Accept-Ranges")] String,
    ),
    /// The byte range asked for in `Range`.
    #[oai(status = 206, content_type = "application/pdf")]
    Partial(
        Binary<Body>,
        #[oai(header = "Content-Range")] String,
        #[oai(header = "Content-Disposition")] String,
    ),
}

pub struct DocumentsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::Documents")]
impl DocumentsApi {
    /// Upload a document
    ///
    /// `multipart/form-data`: the `metadata` part first, then one `file` part per PDF (the
    /// main document first, then appendices). Metadata is checked before any file is read: a
    /// classified document is refused with 422 `classified_document_refused` and nothing of it
    /// is stored. Every file must parse as a PDF.
    #[oai(path = "/documents", method = "post", operation_id = "createDocument")]
    async fn create(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        mut upload: DocumentUpload<DocumentMetadata>,
    ) -> Result<CreatedDocument, Problems<CreateDocumentProblems>> {
        let metadata = upload.metadata().await?;
        let admitted = documents::admit(&state, caller.0, metadata.into()).await?;
        let mut files = Vec::new();
        while let Some(file) = upload.next_file().await? {
            let name = file.name.clone();
            let stored = file
                .store(state.files.as_ref(), state.max_upload_bytes)
                .await?;
            files.push(documents::check_upload(&state, stored, name).await?);
        }
        let details = documents::create(&state, admitted, files).await?;
        Ok(CreatedDocument::Created(Json(details.into())))
    }

    /// Upload a new version of a file
    ///
    /// For the author, while the document is a draft or has been returned: `multipart/form-data`
    /// with a `metadata` part naming the slot, then exactly one `file` part (a PDF). Earlier
    /// versions are kept. Answers with the document and all its file versions.
    #[oai(
        path = "/documents/:id/files",
        method = "post",
        operation_id = "addFileVersion"
    )]
    async fn add_version(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        id: Path<Uuid>,
        mut upload: DocumentUpload<RevisionMetadata>,
    ) -> Result<CreatedDocument, Problems<RevisionProblems>> {
        let metadata = upload.metadata().await?;
        let admitted = documents::admit_revision(&state, caller.0, id.0, metadata.slot).await?;
        let file = upload.next_file().await?.ok_or(UploadError::FileMissing)?;
        let name = file.name.clone();
        let stored = file
            .store(state.files.as_ref(), state.max_upload_bytes)
            .await?;
        if upload.next_file().await?.is_some() {
            return Err(UploadError::OneFileOnly.into());
        }
        let checked = documents::check_upload(&state, stored, name).await?;
        documents::add_revision(&state, admitted, checked).await?;
        let details = documents::get(&state, caller.0, id.0).await?;
        Ok(CreatedDocument::Created(Json(details.into())))
    }

    /// List and search documents
    ///
    /// The documents of my organisation and those sent or assigned to me, newest first. `q`
    /// finds the documents whose summary, issuer and number/symbol hold every word, in any
    /// order, with or without diacritics: `cong nghe ung dung` finds `Ứng dụng và phát triển
    /// công nghệ`; `QĐ/TU` and `1945` both find `1945-QĐ/TU`.
    #[oai(path = "/documents", method = "get", operation_id = "listDocuments")]
    async fn list(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        /// Words to find, with or without diacritics.
        #[oai(validator(max_length = 200))]
        q: Query<Option<String>>,
        direction: Query<Option<DirectionDto>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<Uuid>>,
        /// Page size, 1 to 100 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u64>>,
    ) -> Result<Json<DocumentPage>, Problems<ListDocumentsProblems>> {
        let direction = direction.0.map(Into::into);
        let page = documents::list(
            &state,
            caller.0,
            q.0.as_deref(),
            direction,
            cursor.0,
            PageSize::new(limit.0),
        )
        .await?;
        let people = &page.people;
        Ok(Json(DocumentPage {
            items: page
                .items
                .into_iter()
                .map(|d| DocumentListItem::new(d, people))
                .collect(),
            next_cursor: page.next.map(|id| id.to_string()),
        }))
    }

    /// Read a document
    ///
    /// The document screen in one call: its metadata and every version of its files, its
    /// history (luồng xử lý) oldest first with every comment, directive and report and who
    /// wrote it, who holds it now, and its signatures. Everyone who may see the document
    /// reads all of it. A document the caller may not see answers 404, exactly like one that
    /// does not exist.
    #[oai(path = "/documents/:id", method = "get", operation_id = "getDocument")]
    async fn get(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        id: Path<Uuid>,
        /// An `ETag` from an earlier read: 304 when nothing changed.
        #[oai(name = "If-None-Match")]
        if_none_match: Header<Option<String>>,
    ) -> Result<DocumentRead, Problems<GetDocumentProblems>> {
        let document = history::open(&state, caller.0, id.0).await?;
        // Every workflow change, signature and file version bumps the revision.
        let etag = format!("\"{}-{}\"", document.id.simple(), document.revision);
        if if_none_match.0.as_deref() == Some(etag.as_str()) {
            return Ok(DocumentRead::NotModified(etag));
        }
        let screen = history::screen(&state, document).await?;
        Ok(DocumentRead::Ok(Json(Box::new(screen.into())), etag))
    }

    /// Download a file
    ///
    /// The bytes of one file version. Honours `Range: bytes=…` (206), so a phone on a bad
    /// network can resume.
    #[oai(
        path = "/documents/:id/files/:file_id",
        method = "get",
        operation_id = "downloadFile"
    )]
    async fn download(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        id: Path<Uuid>,
        file_id: Path<Uuid>,
        /// `bytes=start-end`, `bytes=start-` or `bytes=-suffix`.
        #[oai(name = "Range")]
        range: Header<Option<String>>,
    ) -> Result<FileDownload, Problems<DownloadProblems>> {
        let wanted = range.0.as_deref().and_then(parse_range);
        let opened = documents::open_file(&state, caller.0, id.0, file_id.0, wanted).await?;
        let file = opened.file;
        let disposition = format!("inline; filename*=UTF-8''{}", percent_encode(&file.name));
        let body = Binary(Body::from_async_read(opened.reader));
        Ok(match opened.range {
            Some(r) => FileDownload::Partial(
                body,
                format!(
                    "bytes {}-{}/{}",
                    r.start,
                    r.start + opened.len - 1,
                    file.size
                ),
                disposition,
            ),
            None => FileDownload::Whole(body, disposition, "bytes".to_owned()),
        })
    }
}

/// One byte range from a `Range` header; `None` for anything else (several ranges, another
/// unit), which is then served whole as RFC 9110 allows.
fn parse_range(header: &str) -> Option<ByteRange> {
    let spec = header.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (start, end) = spec.split_once('-')?;
    Some(match (start.trim(), end.trim()) {
        ("", suffix) => ByteRange::Last(suffix.parse().ok()?),
        (start, "") => ByteRange::From(start.parse().ok()?),
        (start, end) => ByteRange::Between(start.parse().ok()?, end.parse().ok()?),
    })
}

fn percent_encode(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let within = |h: &str| parse_range(h).map(|r| r.within(1000));
        assert_eq!(within("bytes=0-99"), Some(0..100));
        assert_eq!(within("bytes=900-"), Some(900..1000));
        assert_eq!(within("bytes=-100"), Some(900..1000));
        assert_eq!(within("bytes=990-2000"), Some(990..1000));
        assert_eq!(within("bytes=0-1,5-6"), None);
        assert_eq!(within("items=0-1"), None);
    }

    #[test]
    fn file_names_are_encoded_for_content_disposition() {
        assert_eq!(
            percent_encode("Tờ trình.pdf"),
            "T%E1%BB%9D%20tr%C3%ACnh.pdf"
        );
    }
}
