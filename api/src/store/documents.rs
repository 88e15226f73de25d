//! Documents and their file versions.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    document::{self, Entity as Documents},
    document_file::{self, Entity as DocumentFiles},
    task::{self, Entity as Tasks},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait,
    ExprTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Select, Set,
    Statement,
    sea_query::{Alias, Expr, Func, Order, PostgresQueryBuilder, Query, SelectStatement},
};
use uuid::Uuid;

use super::corrupt;
use crate::domain::{
    document::{Direction, Document, DocumentFile, Urgency},
    search,
    workflow::DocumentState,
};

pub struct NewDocument {
    pub id: Uuid,
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
    let mut model = document::Model {
        id: new.id,
        organization_id: new.organization_id,
        direction: new.direction.as_str().to_owned(),
        doc_type: new.doc_type,
        number: None,
        symbol: None,
        issued_on: None,
        summary: new.summary,
        issuer: new.issuer,
        urgency: new.urgency.as_str().to_owned(),
        // Only unclassified documents are ever admitted; the column says so to an auditor.
        confidentiality: "none".to_owned(),
        deadline: new.deadline,
        received_no: None,
        state: DocumentState::Draft.as_str().to_owned(),
        author_id: new.author_id,
        search_text: String::new(),
        revision: 1,
        created_at: now,
        updated_at: now,
    };
    model.search_text = search_text(&model);
    to_domain(model.into_active_model().reset_all().insert(db).await?)
}

/// What search finds a document by: the folded text of every field a leader may type. Any new
/// field worth finding a document by joins it here; each write of such a field stores the
/// result again (see `set_issued`), and the database's index follows in the same transaction.
fn search_text(m: &document::Model) -> String {
    let fields = [Some(&m.summary), m.issuer.as_ref(), m.symbol.as_ref()];
    let joined: Vec<&str> = fields.into_iter().flatten().map(String::as_str).collect();
    search::fold(&joined.join(" "))
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
            Expr::col(document::Column::Revision).add(1),
        )
        .col_expr(document::Column::UpdatedAt, Expr::value(now))
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

pub(super) fn to_domain(m: document::Model) -> Result<Document, DbErr> {
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

/// How many of the newest documents a search reads before it turns to the index; see [`page`].
const RECENT_WINDOW: u64 = 2048;

/// Documents `user` (of `organization`) may see, newest first, after the document `after`;
/// every word of `query` must occur in the document's search text, `direction` filters.
///
/// A search reads the newest [`RECENT_WINDOW`] documents first, stopping at a page: a common
/// word ("về việc" is in half of them) is answered there, where the index would list half a
/// million matches to sort them by date. When those hold less than a page, the index finds
/// every match instead: a rare word, or a number/symbol.
pub async fn page(
    db: &impl ConnectionTrait,
    user: Uuid,
    organization: Uuid,
    query: Option<&str>,
    direction: Option<Direction>,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Document>, DbErr> {
    // A probe of the document's own tasks, not `id IN (every task of mine)`: a leader with
    // years of tasks would have that list built again for every search.
    let assigned = Query::select()
        .expr(Expr::val(1))
        .from(Tasks)
        .and_where(
            Expr::col((Tasks, task::Column::DocumentId)).equals((Documents, document::Column::Id)),
        )
        .and_where(task::Column::AssigneeId.eq(user))
        .to_owned();
    let mut scope = Condition::all().add(
        Condition::any()
            .add(document::Column::OrganizationId.eq(organization))
            .add(Expr::exists(assigned)),
    );
    if let Some(after) = after {
        scope = scope.add(document::Column::Id.lt(after));
    }
    if let Some(direction) = direction {
        scope = scope.add(document::Column::Direction.eq(direction.as_str()));
    }
    // Ids are time-ordered (UUIDv7): newest first, and a stable cursor.
    let newest = |select: Select<Documents>| {
        select
            .filter(scope.clone())
            .order_by_desc(document::Column::Id)
    };
    let words = query.map(search::words).unwrap_or_default();
    if words.is_empty() {
        return all(newest(Documents::find()).limit(limit), db).await;
    }

    // The window is a subquery of its own so that no plan can read the words' index first.
    let window = newest(
        Documents::find()
            .select_only()
            .column(document::Column::Id)
            .column(document::Column::SearchText),
    )
    .limit(RECENT_WINDOW)
    .into_query();
    let mut hits = Query::select();
    hits.column(document::Column::Id)
        .from_subquery(window, Alias::new("recent"))
        .order_by(document::Column::Id, Order::Desc)
        .limit(limit);
    for word in &words {
        hits.and_where(Expr::col(document::Column::SearchText).like(format!("%{word}%")));
    }
    // The hits are in scope already: the scope again here would have the planner scan every
    // document to join them.
    let recent = all(
        Documents::find()
            .filter(document::Column::Id.in_subquery(hits))
            .order_by_desc(document::Column::Id),
        db,
    )
    .await?;
    if recent.len() as u64 >= limit {
        // Any newer match would lie in the window too: these are the newest.
        return Ok(recent);
    }

    let backend = db.get_database_backend();
    let mut select = newest(Documents::find()).limit(limit);
    if let Some(indexed) = indexed_candidates(backend, &words) {
        select = select.filter(document::Column::Id.in_subquery(indexed));
    }
    for word in &words {
        select = select.filter(contains(backend, word));
    }
    // PostgreSQL plans a statement prepared with its words as parameters once for any words,
    // and that plan reads the documents newest first: a full scan for a rare word. Written into
    // the statement (quoted by sea-query), each search is planned for its own words.
    let statement = match backend {
        DbBackend::Postgres => Statement::from_string(
            DbBackend::Postgres,
            select.into_query().to_string(PostgresQueryBuilder),
        ),
        backend => select.build(backend),
    };
    let found = Documents::find().from_raw_sql(statement).all(db).await?;
    found.into_iter().map(to_domain).collect()
}

/// The search text holds `word`. On PostgreSQL the trigram index of the text without
/// punctuation finds the candidates (pg_trgm splits words at punctuation: `1945-qd/tu` indexed
/// as it is would read the lists of `qd` and `tu`, which most documents hold) and `strpos`, which
/// no index serves, settles them on the text itself. On SQLite the FTS5 candidates narrow the
/// LIKE, which settles words shorter than a trigram, which FTS5 cannot look up.
fn contains(backend: DbBackend, word: &str) -> Condition {
    if backend != DbBackend::Postgres {
        return Condition::all().add(document::Column::SearchText.like(format!("%{word}%")));
    }
    let found_at = Func::cust(Alias::new("strpos"))
        .arg(Expr::col(document::Column::SearchText))
        .arg(word);
    let mut test = Condition::all().add(Expr::expr(found_at).gt(0));
    let bare = search::without_punctuation(word);
    if !bare.is_empty() {
        test = test.add(
            Expr::cust(migration::search_text_without_punctuation()).like(format!("%{bare}%")),
        );
    }
    test
}

async fn all(select: Select<Documents>, db: &impl ConnectionTrait) -> Result<Vec<Document>, DbErr> {
    select.all(db).await?.into_iter().map(to_domain).collect()
}

/// SQLite: the documents whose FTS5 trigram index holds every word of three characters or more
/// (see the search migration), or `None` where there is nothing to look up there.
fn indexed_candidates(backend: DbBackend, words: &[String]) -> Option<SelectStatement> {
    let phrases: Vec<String> = words
        .iter()
        .filter(|w| backend == DbBackend::Sqlite && w.chars().count() >= 3)
        .map(|w| format!("\"{}\"", w.replace('"', "\"\"")))
        .collect();
    if phrases.is_empty() {
        return None;
    }
    let rows = Query::select()
        .expr(Expr::cust("rowid"))
        .from(Alias::new("document_search"))
        .and_where(Expr::cust_with_values(
            "document_search MATCH ?",
            [phrases.join(" AND ")],
        ))
        .to_owned();
    Some(
        Query::select()
            .column(Alias::new("document_id"))
            .from(Alias::new("document_search_rows"))
            .and_where(Expr::col(Alias::new("row")).in_subquery(rows))
            .to_owned(),
    )
}

pub async fn set_received_no(
    db: &impl ConnectionTrait,
    id: Uuid,
    number: i32,
) -> Result<(), DbErr> {
    Documents::update_many()
        .col_expr(document::Column::ReceivedNo, Expr::value(number))
        .filter(document::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Records the official number (số, ký hiệu) and issuing date of an outgoing document, which
/// search then finds it by.
pub async fn set_issued(
    db: &impl ConnectionTrait,
    id: Uuid,
    number: i32,
    symbol: &str,
    issued_on: chrono::NaiveDate,
) -> Result<(), DbErr> {
    let Some(mut model) = Documents::find_by_id(id).one(db).await? else {
        return Err(DbErr::RecordNotFound(format!("document {id}")));
    };
    model.number = Some(number);
    model.symbol = Some(symbol.to_owned());
    model.issued_on = Some(issued_on);
    let text = search_text(&model);
    Documents::update_many()
        .col_expr(document::Column::Number, Expr::value(number))
        .col_expr(document::Column::Symbol, Expr::value(symbol))
        .col_expr(document::Column::IssuedOn, Expr::value(issued_on))
        .col_expr(document::Column::SearchText, Expr::value(text))
        .filter(document::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The outgoing document `organization` issued as `symbol` on `issued_on`.
pub async fn find_issued(
    db: &impl ConnectionTrait,
    organization: Uuid,
    symbol: &str,
    issued_on: NaiveDate,
) -> Result<Option<Document>, DbErr> {
    Documents::find()
        .filter(document::Column::OrganizationId.eq(organization))
        .filter(document::Column::Direction.eq(Direction::Outgoing.as_str()))
        .filter(document::Column::Symbol.eq(symbol))
        .filter(document::Column::IssuedOn.eq(issued_on))
        .one(db)
        .await?
        .map(to_domain)
        .transpose()
}

/// The name of document type `code`, `Công văn` for `CV`.
pub async fn doc_type_name(db: &impl ConnectionTrait, code: &str) -> Result<Option<String>, DbErr> {
    let stmt = sea_orm::Statement::from_sql_and_values(
        db.get_database_backend(),
        match db.get_database_backend() {
            sea_orm::DbBackend::Postgres => "SELECT name FROM doc_types WHERE code = $1",
            _ => "SELECT name FROM doc_types WHERE code = ?",
        },
        [code.into()],
    );
    match db.query_one_raw(stmt).await? {
        Some(row) => Ok(Some(row.try_get("", "name")?)),
        None => Ok(None),
    }
}

pub async fn doc_type_exists(db: &impl ConnectionTrait, code: &str) -> Result<bool, DbErr> {
    Ok(doc_type_name(db, code).await?.is_some())
}
