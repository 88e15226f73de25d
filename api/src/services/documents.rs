//! Documents: taking one in (refusing anything classified before a byte of it is read),
//! reading it back, and serving its files, each only to those who may see it.

use std::collections::{HashMap, HashSet};

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::TransactionTrait;
use uuid::Uuid;

use super::{
    Principal, audit,
    exchange::{self, ExchangeInput, particulars},
};
use crate::{
    domain::{
        InvalidInput, PageSize, Role, User,
        audit::{AuditAction, NewEntry},
        document::{
            ClassifiedRefused, Confidentiality, Direction, DocTypeCode, Document, DocumentFile,
            Summary, Urgency,
        },
        exchange::ExchangeRecord,
        person::Person,
        workflow::DocumentState,
    },
    files::{ByteRange, ContentHash, FileError, FileReader, PdfError, StoredFile, check_pdf},
    state::AppState,
    store::{
        self,
        documents::{NewDocument, NewFile},
        is_unique_violation,
    },
};

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error(transparent)]
    Classified(#[from] ClassifiedRefused),
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    #[error(transparent)]
    Pdf(#[from] PdfError),
    #[error("registering incoming documents needs the clerk role")]
    NotAClerk,
    #[error("no such document")]
    NotFound,
    #[error("only the author may revise this document")]
    NotTheAuthor,
    #[error("a document can be revised only as a draft or once returned, not while {}", .0.as_str())]
    NotRevisable(DocumentState),
    #[error("file slots are numbered from 0 without gaps: the next new one is {0}")]
    NoSuchSlot(i32),
    #[error("another version of this file was stored at the same moment")]
    VersionConflict,
    #[error("the range is outside the file")]
    RangeNotSatisfiable,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

pub struct DocumentInput {
    pub direction: Direction,
    pub doc_type: String,
    pub summary: String,
    pub issuer: Option<String>,
    pub urgency: Urgency,
    pub confidentiality: Confidentiality,
    pub deadline: Option<DateTime<Utc>>,
    pub exchange: ExchangeInput,
}

/// Metadata that passed every check: the files may now be read.
pub struct Admitted {
    who: Principal,
    author: User,
    document: NewDocument,
    exchange: particulars::Checked,
}

/// A stored file that parsed as a PDF.
pub struct CheckedFile {
    stored: StoredFile,
    name: String,
}

/// Checks the metadata before any file is read. A classified document is refused here, and the
/// refusal is logged with who and what level, never the content.
pub async fn admit(
    state: &AppState,
    who: Principal,
    input: DocumentInput,
) -> Result<Admitted, DocumentError> {
    let author = store::users::find(&state.db, who.user_id)
        .await
        .context("loading the account")?
        .context("the caller's account no longer exists")?;
    if let Err(refused) = input.confidentiality.admit() {
        tracing::warn!(user_id = %who.user_id, level = refused.level.as_str(), "classified document refused");
        let entry = NewEntry::new(who, AuditAction::ClassifiedRefused, author.organization_id)
            .detail("confidentiality", refused.level.as_str());
        audit::record_alone(state, entry).await?;
        return Err(refused.into());
    }
    if input.direction == Direction::Incoming && !author.has_role(Role::Clerk) {
        return Err(DocumentError::NotAClerk);
    }
    let doc_type = DocTypeCode::parse(&input.doc_type)?;
    if !store::documents::doc_type_exists(&state.db, doc_type.as_str())
        .await
        .context("looking up the document type")?
    {
        return Err(InvalidInput::new(
            "doc_type",
            format!("unknown document type `{}`", doc_type.as_str()),
        )
        .into());
    }
    let exchange = particulars::check(state, &author, input.direction, input.exchange).await?;
    let issuer = input
        .issuer
        .map(|i| i.trim().to_owned())
        .filter(|i| !i.is_empty());
    let document = NewDocument {
        id: Uuid::now_v7(),
        organization_id: author.organization_id,
        direction: input.direction,
        doc_type: doc_type.as_str().to_owned(),
        summary: Summary::parse(&input.summary)?.as_str().to_owned(),
        issuer,
        urgency: input.urgency,
        deadline: input.deadline,
        author_id: author.id,
    };
    Ok(Admitted {
        who,
        author,
        document,
        exchange,
    })
}

impl CheckedFile {
    /// The file version record of this PDF as `version` of file `slot` of `document`.
    fn record(self, document: Uuid, slot: i32, version: i32, by: Uuid) -> NewFile {
        NewFile {
            document_id: document,
            slot,
            version,
            name: self.name,
            content_type: "application/pdf".to_owned(),
            size: self.stored.size,
            sha256: self.stored.hash.as_str().to_owned(),
            uploaded_by: by,
        }
    }
}

/// Accepts a stored upload only if it parses as a PDF.
pub async fn check_upload(
    state: &AppState,
    stored: StoredFile,
    name: Option<String>,
) -> Result<CheckedFile, DocumentError> {
    check_pdf(state.files.local_path(&stored.hash)).await?;
    let name = name
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| format!("{}.pdf", &stored.hash.as_str()[..12]));
    Ok(CheckedFile { stored, name })
}

pub struct DocumentDetails {
    pub document: Document,
    /// Every version of every file, by slot then version.
    pub files: Vec<DocumentFile>,
    pub exchange: ExchangeRecord,
    /// The author and the files' uploaders (and, on the document screen, everyone its
    /// history names), by id.
    pub people: HashMap<Uuid, Person>,
}

/// The author and every uploader of `files`, by id: three queries.
pub(crate) async fn people_of(
    state: &AppState,
    document: &Document,
    files: &[DocumentFile],
) -> anyhow::Result<HashMap<Uuid, Person>> {
    let mut ids = HashSet::from([document.author_id]);
    ids.extend(files.iter().map(|f| f.uploaded_by));
    store::people::find_many(&state.db, &ids)
        .await
        .context("loading the names")
}

/// Writes the document and its files (the first is the main PDF) in one transaction.
pub async fn create(
    state: &AppState,
    admitted: Admitted,
    files: Vec<CheckedFile>,
) -> Result<DocumentDetails, DocumentError> {
    let now = state.clock.now();
    let txn = state.db.begin().await.context("starting a transaction")?;
    let document = store::documents::insert(&txn, admitted.document, now)
        .await
        .context("storing the document")?;
    let mut stored = Vec::with_capacity(files.len());
    for (slot, file) in (0..).zip(files) {
        let new = file.record(document.id, slot, 1, admitted.author.id);
        stored.push(
            store::documents::insert_file(&txn, new, now)
                .await
                .context("storing a file version")?,
        );
    }
    particulars::write(&txn, document.id, &admitted.exchange).await?;
    let hashes: Vec<_> = stored.iter().map(|f| f.sha256.clone()).collect();
    let entry = NewEntry::new(
        admitted.who,
        AuditAction::DocumentCreated,
        document.organization_id,
    )
    .document(document.id)
    .detail("direction", document.direction.as_str())
    .detail("sha256", hashes);
    audit::record(state, &txn, entry).await?;
    txn.commit().await.context("committing the document")?;
    tracing::info!(document_id = %document.id, files = stored.len(), "document created");
    // Re-read: the sender's number of an incoming document was written after the insert.
    let document = store::documents::find(&state.db, document.id)
        .await
        .context("reloading the document")?
        .context("the document vanished")?;
    let exchange = exchange::record(state, document.id).await?;
    let people = people_of(state, &document, &stored).await?;
    Ok(DocumentDetails {
        document,
        files: stored,
        exchange,
        people,
    })
}

/// A revision the author may upload: checked before any byte of the file is read.
pub struct RevisionSlot {
    who: Principal,
    document: Document,
    slot: i32,
}

/// The author revises a draft, or a returned one before resubmitting: a new version of file
/// `slot` (0 is the main document), or a new appendix in the next free slot.
pub async fn admit_revision(
    state: &AppState,
    who: Principal,
    id: Uuid,
    slot: i32,
) -> Result<RevisionSlot, DocumentError> {
    let document = visible(state, who, id).await?;
    if document.author_id != who.user_id {
        return Err(DocumentError::NotTheAuthor);
    }
    if !matches!(
        document.state,
        DocumentState::Draft | DocumentState::Returned
    ) {
        return Err(DocumentError::NotRevisable(document.state));
    }
    let slots = store::documents::files(&state.db, id)
        .await
        .context("loading the files")?
        .iter()
        .map(|f| f.slot + 1)
        .max()
        .unwrap_or(0);
    if !(0..=slots).contains(&slot) {
        return Err(DocumentError::NoSuchSlot(slots));
    }
    Ok(RevisionSlot {
        who,
        document,
        slot,
    })
}

/// Stores the revision as the slot's next version. The document's state is checked again in
/// the transaction: a submission that overtook the upload wins, and the version is refused.
pub async fn add_revision(
    state: &AppState,
    admitted: RevisionSlot,
    file: CheckedFile,
) -> Result<DocumentFile, DocumentError> {
    let RevisionSlot {
        who,
        document,
        slot,
    } = admitted;
    let now = state.clock.now();
    let txn = state.db.begin().await.context("starting a transaction")?;
    // Version 0: `add_version` numbers it.
    let new = file.record(document.id, slot, 0, who.user_id);
    let stored = match store::documents::add_version(&txn, new, now).await {
        Err(e) if is_unique_violation(&e) => return Err(DocumentError::VersionConflict),
        other => other.context("storing the file version")?,
    };
    let current = store::documents::find(&txn, document.id)
        .await
        .context("reloading the document")?
        .ok_or(DocumentError::NotFound)?;
    if current.state != document.state {
        return Err(DocumentError::NotRevisable(current.state));
    }
    let entry = NewEntry::new(who, AuditAction::FileVersionAdded, document.organization_id)
        .document(document.id)
        .subject(stored.id)
        .detail("slot", stored.slot)
        .detail("version", stored.version)
        .detail("sha256", stored.sha256.as_str());
    audit::record(state, &txn, entry).await?;
    txn.commit().await.context("committing the file version")?;
    tracing::info!(document_id = %document.id, slot, version = stored.version, "file version added");
    Ok(stored)
}

/// The document with its files, if the caller may see it; otherwise "not found", whether or not
/// it exists.
pub async fn get(
    state: &AppState,
    who: Principal,
    id: Uuid,
) -> Result<DocumentDetails, DocumentError> {
    let document = visible(state, who, id).await?;
    let files = store::documents::files(&state.db, id)
        .await
        .context("loading the files")?;
    let exchange = exchange::record(state, id).await?;
    let people = people_of(state, &document, &files).await?;
    Ok(DocumentDetails {
        document,
        files,
        exchange,
        people,
    })
}

pub struct DocumentPage {
    pub items: Vec<Document>,
    pub next: Option<Uuid>,
    /// The authors, by id.
    pub people: HashMap<Uuid, Person>,
}

/// What the caller may see, newest first, optionally searched (diacritics-insensitive) and
/// filtered by direction.
pub async fn list(
    state: &AppState,
    who: Principal,
    query: Option<&str>,
    direction: Option<Direction>,
    after: Option<Uuid>,
    size: PageSize,
) -> Result<DocumentPage, DocumentError> {
    let user = store::users::find(&state.db, who.user_id)
        .await
        .context("loading the account")?
        .context("the caller's account no longer exists")?;
    let items = store::documents::page(
        &state.db,
        user.id,
        user.organization_id,
        query,
        direction,
        after,
        size.get(),
    )
    .await
    .context("listing documents")?;
    let full = u64::try_from(items.len()).unwrap_or(u64::MAX) >= size.get();
    let next = items.last().filter(|_| full).map(|d| d.id);
    let authors = items.iter().map(|d| d.author_id).collect();
    let people = store::people::find_many(&state.db, &authors)
        .await
        .context("loading the authors' names")?;
    Ok(DocumentPage {
        items,
        next,
        people,
    })
}

/// Opens one file version for reading, whole or the byte range asked for; returns the file,
/// its reader, how many bytes it yields and, for a range, which ones.
pub async fn open_file(
    state: &AppState,
    who: Principal,
    id: Uuid,
    file_id: Uuid,
    range: Option<ByteRange>,
) -> Result<OpenedFile, DocumentError> {
    let document = visible(state, who, id).await?;
    let file = store::documents::files(&state.db, id)
        .await
        .context("loading the files")?
        .into_iter()
        .find(|f| f.id == file_id)
        .ok_or(DocumentError::NotFound)?;
    let hash = ContentHash::parse(&file.sha256).context("a stored file hash is not SHA-256 hex")?;
    let range = range.map(|r| r.within(file.size));
    // A viewer fetching a file in pieces is one view: the piece from the start stands for it.
    if range.as_ref().is_none_or(|r| r.start == 0) {
        let entry = NewEntry::new(who, AuditAction::FileViewed, document.organization_id)
            .document(id)
            .subject(file.id);
        audit::record_alone(state, entry).await?;
    }
    match state.files.open(&hash, range.clone()).await {
        Ok((reader, len)) => Ok(OpenedFile {
            file,
            reader,
            len,
            range,
        }),
        Err(FileError::RangeNotSatisfiable) => Err(DocumentError::RangeNotSatisfiable),
        Err(e) => Err(anyhow::Error::new(e)
            .context("opening a stored file")
            .into()),
    }
}

pub struct OpenedFile {
    pub file: DocumentFile,
    pub reader: FileReader,
    pub len: u64,
    pub range: Option<std::ops::Range<u64>>,
}

/// The document if `who` may see it; "not found" otherwise, whether or not it exists.
pub(crate) async fn visible(
    state: &AppState,
    who: Principal,
    id: Uuid,
) -> Result<Document, DocumentError> {
    let user = store::users::find(&state.db, who.user_id)
        .await
        .context("loading the account")?
        .context("the caller's account no longer exists")?;
    let document = store::documents::find(&state.db, id)
        .await
        .context("loading the document")?
        .ok_or(DocumentError::NotFound)?;
    let visible = store::documents::visible_to(&state.db, &document, user.id, user.organization_id)
        .await
        .context("checking visibility")?;
    if visible {
        Ok(document)
    } else {
        Err(DocumentError::NotFound)
    }
}
