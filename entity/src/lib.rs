//! sea-orm entities and nothing else: conversions to domain types live in the api's store layer.

pub mod organization;
pub mod user;
pub mod user_role;
