//! `/people`: the directory a signed-in user picks reviewers, signers and handlers from.

use poem::web::Data;
use poem_openapi::{Object, OpenApi, param::Query, payload::Json, types::Example};

use super::{
    ApiTags,
    admin::page_parts,
    error::{Problems, problem_set},
    security::Caller,
    types::{PersonRef, RoleDto},
};
use crate::{
    domain::{Cursor, PageSize, person::Person},
    services::people,
    state::AppState,
};

problem_set!(DirectoryProblems: authenticated, InvalidRequest, ValidationFailed);

/// A colleague in the directory: name, title, organisation and roles, nothing more personal.
#[derive(Debug, Object)]
pub struct DirectoryEntry {
    #[oai(flatten)]
    pub person: PersonRef,
    /// What they may be asked to do: a `leader` reviews, signs and directs; a `clerk` registers
    /// and issues.
    pub roles: Vec<RoleDto>,
}

impl From<Person> for DirectoryEntry {
    fn from(p: Person) -> Self {
        let roles = p.roles.iter().copied().map(Into::into).collect();
        Self {
            person: p.into(),
            roles,
        }
    }
}

#[derive(Debug, Object)]
#[oai(example)]
pub struct DirectoryPage {
    /// By name.
    pub items: Vec<DirectoryEntry>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[oai(skip_serializing_if_is_none)]
    pub next_cursor: Option<String>,
}

impl Example for DirectoryPage {
    fn example() -> Self {
        Self {
            items: vec![DirectoryEntry {
                person: PersonRef::example(),
                roles: vec![RoleDto::Leader],
            }],
            next_cursor: None,
        }
    }
}

pub struct PeopleApi;

#[OpenApi(prefix_path = "/api/v1", tag = "ApiTags::People")]
impl PeopleApi {
    /// Find people
    ///
    /// The active people of the caller's organisation tree (from its topmost organisation
    /// down), by name: whom to submit to, forward to, assign or ask for a directive. `q`
    /// matches name or title with or without accents (`pho bi thu` finds "Phó Bí thư").
    #[oai(path = "/people", method = "get", operation_id = "listPeople")]
    async fn people(
        &self,
        state: Data<&AppState>,
        caller: Caller,
        /// Words of the name or title, with or without diacritics.
        #[oai(validator(max_length = 200))]
        q: Query<Option<String>>,
        /// Only people holding this role.
        role: Query<Option<RoleDto>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1 to 100 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        limit: Query<Option<u64>>,
    ) -> Result<Json<DirectoryPage>, Problems<DirectoryProblems>> {
        let cursor = cursor.0.as_deref().map(Cursor::parse).transpose()?;
        let page = people::directory(
            &state,
            caller.0,
            q.0.as_deref(),
            role.0.map(Into::into),
            cursor,
            PageSize::new(limit.0),
        )
        .await?;
        let (items, next_cursor) = page_parts(page);
        Ok(Json(DirectoryPage { items, next_cursor }))
    }
}
