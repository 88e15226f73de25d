//! Documents and their file versions.

use chrono::{DateTime, Utc};
use entity::{
    document::{self, Entity as Documents},
    document_file::{self, Entity as DocumentFiles},
    task::{self, Entity as Tasks},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, ExprTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::corrupt;
use crate::domain::{
    document::{Direction, Document, DocumentFile, Urgency},
    search,
    workflow::DocumentState,
};

pub struct NewDocument {
    pub organization_id: Uuid,
    pub direction: Direction,
    pub doc_type: String,
    pub summary: String,
    pub issuer: Option<String>,
    pub urgency: Urgency,
    pub deadline: Option<DateTime<Utc>>,
    pub author_id: Uuid,
}

pub struct NewFile {
    pub document_id: Uuid,
    pub slot: i32,
    pub version: i32,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    pub uploaded_by: Uuid,
}

pub async fn insert(
    db: &impl ConnectionTrait,
    new: NewDocument,
    now: DateTime<Utc>,
) -> Result<Document, DbErr> {
    let search_text = search::fold(&format!(
        "{} {}",
        new.summary,
        new.issuer.as_deref().unwrap_or_default()
    ));
    let model = document::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(new.organization_id),
        direction: Set(new.direction.as_str().to_owned()),
        doc_type: Set(new.doc_type),
        number: Set(None),
        symbol: Set(None),
        issued_on: Set(None),
        summary: Set(new.summary),
        issuer: Set(new.issuer),
        urgency: Set(new.urgency.as_str().to_owned()),
        // Only unclassified documents are ever admitted; the column says so to an auditor.
        confidentiality: Set("none".to_owned()),
        deadline: Set(new.deadline),
        received_no: Set(None),
        state: Set(DocumentState::Draft.as_str().to_owned()),
        author_id: Set(new.author_id),
        search_text: Set(search_text),
        revision: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    to_domain(model)
}

pub async fn insert_file(
    db: &impl ConnectionTrait,
    new: NewFile,
    now: DateTime<Utc>,
) -> Result<DocumentFile, DbErr> {
    let model = document_file::ActiveModel {
        id: Set(Uuid::now_v7()),
        document_id: Set(new.document_id),
        slot: Set(new.slot),
        version: Set(new.version),
        name: Set(new.name),
        content_type: Set(new.content_type),
        size: Set(i64::try_from(new.size).map_err(|_| corrupt("file size", "too large"))?),
        sha256: Set(new.sha256),
        uploaded_by: Set(new.uploaded_by),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    file_to_domain(model)
}

/// The next version of file `slot` of a document, or its first when the slot is new, and the
/// document's revision bumped so cached reads (ETag) see it. Two versions racing for one number
/// meet the unique index: one fails, and the caller's transaction rolls back.
pub async fn add_version(
    db: &impl ConnectionTrait,
    mut new: NewFile,
    now: DateTime<Utc>,
) -> Result<DocumentFile, DbErr> {
    let latest: Option<i32> = DocumentFiles::find()
        .filter(document_file::Column::DocumentId.eq(new.document_id))
        .filter(document_file::Column::Slot.eq(new.slot))
        .select_only()
        .column_as(document_file::Column::Version.max(), "latest")
        .into_tuple::<Option<i32>>()
        .one(db)
        .await?
        .flatten();
    new.version = latest.unwrap_or(0) + 1;
    let file = insert_file(db, new, now).await?;
    Documents::update_many()
        .col_expr(
            document::Column::Revision,
            sea_orm::sea_query::Expr::col(document::Column::Revision).add(1),
        )
        .col_expr(
            document::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(document::Column::Id.eq(file.document_id))
        .exec(db)
        .await?;
    Ok(file)
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Document>, DbErr> {
    Documents::find_by_id(id)
        .one(db)
        .await?
        .map(to_domain)
        .transpose()
}

/// The documents with these ids, in no particular order.
pub async fn find_many(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<Document>, DbErr> {
    Documents::find()
        .filter(document::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(to_domain)
        .collect()
}

/// Every version of every file of the document, by slot then version.
pub async fn files(db: &impl ConnectionTrait, document: Uuid) -> Result<Vec<DocumentFile>, DbErr> {
    DocumentFiles::find()
        .filter(document_file::Column::DocumentId.eq(document))
        .order_by_asc(document_file::Column::Slot)
        .order_by_asc(document_file::Column::Version)
        .all(db)
        .await?
        .into_iter()
        .map(file_to_domain)
        .collect()
}

/// Whether `user` of `organization` may see the document: it belongs to their organisation, or
/// one of its tasks is (or was) theirs.
pub async fn visible_to(
    db: &impl ConnectionTrait,
    document: &Document,
    user: Uuid,
    organization: Uuid,
) -> Result<bool, DbErr> {
    if document.organization_id == organization {
        return Ok(true);
    }
    let mine = Tasks::find()
        .filter(
            Condition::all()
                .add(task::Column::DocumentId.eq(document.id))
                .add(task::Column::AssigneeId.eq(user)),
        )
        .select_only()
        .column(task::Column::Id)
        .into_tuple::<Uuid>()
        .one(db)
        .await?;
    Ok(mine.is_some())
}

fn to_domain(m: document::Model) -> Result<Document, DbErr> {
    Ok(Document {
        direction: Direction::parse(&m.direction)
            .map_err(|_| corrupt("direction", &m.direction))?,
        urgency: Urgency::parse(&m.urgency).map_err(|_| corrupt("urgency", &m.urgency))?,
        state: DocumentState::parse(&m.state).map_err(|_| corrupt("state", &m.state))?,
        id: m.id,
        organization_id: m.organization_id,
        doc_type: m.doc_type,
        number: m.number,
        symbol: m.symbol,
        issued_on: m.issued_on,
        summary: m.summary,
        issuer: m.issuer,
        deadline: m.deadline,
        received_no: m.received_no,
        author_id: m.author_id,
        revision: m.revision,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn file_to_domain(m: document_file::Model) -> Result<DocumentFile, DbErr> {
    Ok(DocumentFile {
        size: u64::try_from(m.size).map_err(|_| corrupt("file size", &m.size.to_string()))?,
        id: m.id,
        document_id: m.document_id,
        slot: m.slot,
        version: m.version,
        name: m.name,
        content_type: m.content_type,
        sha256: m.sha256,
        uploaded_by: m.uploaded_by,
        created_at: m.created_at,
    })
}

/// Documents `user` (of `organization`) may see, newest first, after the document `after`;
/// `query` is matched against the folded summary and issuer, `direction` filters.
pub async fn page(
    db: &impl ConnectionTrait,
    user: Uuid,
    organization: Uuid,
    query: Option<&str>,
    direction: Option<Direction>,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Document>, DbErr> {
    let assigned = sea_orm::sea_query::Query::select()
        .column(task::Column::DocumentId)
        .from(Tasks)
        .and_where(task::Column::AssigneeId.eq(user))
        .to_owned();
    let mut select = Documents::find()
        .filter(
            Condition::any()
                .add(document::Column::OrganizationId.eq(organization))
                .add(document::Column::Id.in_subquery(assigned)),
        )
        // Ids are time-ordered (UUIDv7): newest first, and a stable cursor.
        .order_by_desc(document::Column::Id)
        .limit(limit);
    if let Some(after) = after {
        select = select.filter(document::Column::Id.lt(after));
    }
    if let Some(direction) = direction {
        select = select.filter(document::Column::Direction.eq(direction.as_str()));
    }
    // LIKE's own wildcards are dropped from the query: people search words, not patterns.
    let folded = query
        .map(|q| search::fold(q).replace(['%', '_', '\\'], ""))
        .filter(|q| !q.is_empty());
    if let Some(folded) = folded {
        select = select.filter(document::Column::SearchText.like(format!("%{folded}%")));
    }
    select.all(db).await?.into_iter().map(to_domain).collect()
}

pub async fn set_received_no(
    db: &impl ConnectionTrait,
    id: Uuid,
    number: i32,
) -> Result<(), DbErr> {
    Documents::update_many()
        .col_expr(
            document::Column::ReceivedNo,
            sea_orm::sea_query::Expr::value(number),
        )
        .filter(document::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Records the official number (số, ký hiệu) and issuing date of an outgoing document.
pub async fn set_issued(
    db: &impl ConnectionTrait,
    id: Uuid,
    number: i32,
    symbol: &str,
    issued_on: chrono::NaiveDate,
) -> Result<(), DbErr> {
    use sea_orm::sea_query::Expr;
    Documents::update_many()
        .col_expr(document::Column::Number, Expr::value(number))
        .col_expr(document::Column::Symbol, Expr::value(symbol))
        .col_expr(document::Column::IssuedOn, Expr::value(issued_on))
        .filter(document::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn doc_type_exists(db: &impl ConnectionTrait, code: &str) -> Result<bool, DbErr> {
    let found = db
        .query_one_raw(sea_orm::Statement::from_sql_and_values(
            db.get_database_backend(),
            match db.get_database_backend() {
                sea_orm::DbBackend::Postgres => "SELECT 1 AS one FROM doc_types WHERE code = $1",
                _ => "SELECT 1 AS one FROM doc_types WHERE code = ?",
            },
            [code.into()],
        ))
        .await?;
    Ok(found.is_some())
}
