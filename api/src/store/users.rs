use std::collections::HashSet;

use chrono::{DateTime, Utc};
use entity::{
    user::{self, Entity as Users},
    user_role::{self, Entity as UserRoles},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Select, Set, TransactionSession, TransactionTrait,
    sea_query::{Expr, ExprTrait, Query},
};
use uuid::Uuid;

use super::corrupt;
use crate::domain::{Role, User, Username};

pub struct NewUser {
    pub username: Username,
    pub full_name: String,
    pub title: String,
    pub organization_id: Uuid,
    pub roles: Vec<Role>,
    pub password_hash: String,
    pub must_change_password: bool,
}

/// What an admin may change; `None` leaves a field as it is.
#[derive(Default)]
pub struct UserChanges {
    pub full_name: Option<String>,
    pub title: Option<String>,
    pub roles: Option<Vec<Role>>,
    pub disabled: Option<bool>,
}

/// Inside a caller's transaction this becomes a savepoint.
pub async fn insert(
    db: &impl TransactionTrait,
    new: NewUser,
    now: DateTime<Utc>,
) -> Result<User, DbErr> {
    let txn = db.begin().await?;
    let model = user::ActiveModel {
        id: Set(Uuid::new_v4()),
        username: Set(new.username.as_str().to_owned()),
        full_name: Set(new.full_name),
        title: Set(new.title),
        organization_id: Set(new.organization_id),
        password_hash: Set(new.password_hash),
        must_change_password: Set(new.must_change_password),
        disabled: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    let roles = replace_roles(&txn, model.id, new.roles).await?;
    txn.commit().await?;
    Ok(to_domain(model, roles))
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<User>, DbErr> {
    match Users::find_by_id(id).one(db).await? {
        Some(model) => Ok(Some(with_roles(db, model).await?)),
        None => Ok(None),
    }
}

/// The account and its password hash, for logging in.
pub async fn find_credentials(
    db: &impl ConnectionTrait,
    username: &Username,
) -> Result<Option<(User, String)>, DbErr> {
    credentials(
        db,
        Users::find().filter(user::Column::Username.eq(username.as_str())),
    )
    .await
}

pub async fn find_credentials_by_id(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<(User, String)>, DbErr> {
    credentials(db, Users::find_by_id(id)).await
}

async fn credentials(
    db: &impl ConnectionTrait,
    query: Select<Users>,
) -> Result<Option<(User, String)>, DbErr> {
    match query.one(db).await? {
        Some(model) => {
            let hash = model.password_hash.clone();
            Ok(Some((with_roles(db, model).await?, hash)))
        }
        None => Ok(None),
    }
}

pub async fn set_password(
    db: &impl ConnectionTrait,
    id: Uuid,
    hash: String,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    user::ActiveModel {
        id: Set(id),
        password_hash: Set(hash),
        must_change_password: Set(false),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

pub async fn update(
    db: &impl TransactionTrait,
    id: Uuid,
    changes: UserChanges,
    now: DateTime<Utc>,
) -> Result<User, DbErr> {
    let txn = db.begin().await?;
    let mut model = user::ActiveModel {
        id: Set(id),
        updated_at: Set(now),
        ..Default::default()
    };
    if let Some(full_name) = changes.full_name {
        model.full_name = Set(full_name);
    }
    if let Some(title) = changes.title {
        model.title = Set(title);
    }
    if let Some(disabled) = changes.disabled {
        model.disabled = Set(disabled);
    }
    let model = model.update(&txn).await?;
    let user = match changes.roles {
        Some(roles) => {
            let roles = replace_roles(&txn, id, roles).await?;
            to_domain(model, roles)
        }
        None => with_roles(&txn, model).await?,
    };
    txn.commit().await?;
    Ok(user)
}

/// Users of the organisations in `orgs`, by username, after the username `after`.
pub async fn page(
    db: &impl ConnectionTrait,
    orgs: &HashSet<Uuid>,
    after: Option<String>,
    limit: u64,
) -> Result<Vec<User>, DbErr> {
    let mut query = Users::find()
        .filter(user::Column::OrganizationId.is_in(orgs.iter().copied()))
        .order_by_asc(user::Column::Username)
        .limit(limit);
    if let Some(after) = after {
        query = query.filter(user::Column::Username.gt(after));
    }
    let models = query.all(db).await?;
    let ids: Vec<Uuid> = models.iter().map(|m| m.id).collect();
    let roles = UserRoles::find()
        .filter(user_role::Column::UserId.is_in(ids))
        .all(db)
        .await?;
    models
        .into_iter()
        .map(|m| {
            let mine = roles
                .iter()
                .filter(|r| r.user_id == m.id)
                .map(|r| parse_role(&r.role))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(to_domain(m, mine))
        })
        .collect()
}

async fn replace_roles(
    db: &impl ConnectionTrait,
    user: Uuid,
    mut roles: Vec<Role>,
) -> Result<Vec<Role>, DbErr> {
    roles.sort();
    roles.dedup();
    UserRoles::delete_many()
        .filter(user_role::Column::UserId.eq(user))
        .exec(db)
        .await?;
    UserRoles::insert_many(roles.iter().map(|role| user_role::ActiveModel {
        user_id: Set(user),
        role: Set(role.as_str().to_owned()),
    }))
    .exec(db)
    .await?;
    Ok(roles)
}

async fn with_roles(db: &impl ConnectionTrait, model: user::Model) -> Result<User, DbErr> {
    let roles = UserRoles::find()
        .filter(user_role::Column::UserId.eq(model.id))
        .all(db)
        .await?
        .iter()
        .map(|r| parse_role(&r.role))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(to_domain(model, roles))
}

/// The roles of the `users` row at hand, as one comma-separated column: a person with their
/// roles in one query.
pub(super) fn roles_column(backend: DbBackend) -> Expr {
    let roles = Query::select()
        .expr(Expr::cust(match backend {
            DbBackend::Postgres => "string_agg(user_roles.role, ',')",
            _ => "group_concat(user_roles.role, ',')",
        }))
        .from(UserRoles)
        .and_where(
            Expr::col((UserRoles, user_role::Column::UserId)).equals((Users, user::Column::Id)),
        )
        .to_owned();
    Expr::SubQuery(None, Box::new(roles.into()))
}

/// What [`roles_column`] read.
pub(super) fn parse_roles(column: Option<String>) -> Result<Vec<Role>, DbErr> {
    column
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .filter(|r| !r.is_empty())
        .map(parse_role)
        .collect()
}

fn parse_role(raw: &str) -> Result<Role, DbErr> {
    Role::parse(raw).map_err(|_| corrupt("role", raw))
}

pub(super) fn to_domain(m: user::Model, mut roles: Vec<Role>) -> User {
    roles.sort();
    User {
        id: m.id,
        username: m.username,
        full_name: m.full_name,
        title: m.title,
        organization_id: m.organization_id,
        roles,
        disabled: m.disabled,
        must_change_password: m.must_change_password,
        created_at: m.created_at,
    }
}

/// The active clerks of `organization` itself (not its units): who takes in what it is sent.
pub async fn clerks_of(db: &impl ConnectionTrait, organization: Uuid) -> Result<Vec<Uuid>, DbErr> {
    Users::find()
        .inner_join(UserRoles)
        .filter(user::Column::OrganizationId.eq(organization))
        .filter(user::Column::Disabled.eq(false))
        .filter(user_role::Column::Role.eq(Role::Clerk.as_str()))
        .select_only()
        .column(user::Column::Id)
        .order_by_asc(user::Column::Username)
        .into_tuple()
        .all(db)
        .await
}

/// The account that documents another organisation sent are recorded under, in
/// `organization`: created on first use, disabled, with a username the API never accepts (it
/// starts with `_`), so no one can log in as it or pick it for a task.
pub async fn exchange_account(
    db: &impl ConnectionTrait,
    organization: Uuid,
    now: DateTime<Utc>,
) -> Result<Uuid, DbErr> {
    let username = format!("_lienthong.{}", organization.simple());
    let found = Users::find()
        .filter(user::Column::Username.eq(username.as_str()))
        .select_only()
        .column(user::Column::Id)
        .into_tuple()
        .one(db)
        .await?;
    if let Some(id) = found {
        return Ok(id);
    }
    let model = user::ActiveModel {
        id: Set(Uuid::new_v4()),
        username: Set(username),
        full_name: Set("Liên thông văn bản".to_owned()),
        title: Set("Hệ thống".to_owned()),
        organization_id: Set(organization),
        // Not a hash: no password verifies against it.
        password_hash: Set("!".to_owned()),
        must_change_password: Set(false),
        disabled: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    };
    Ok(model.insert(db).await?.id)
}
