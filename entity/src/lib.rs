//! sea-orm entities and nothing else: conversions to domain types live in the api's store layer.

pub mod agency;
pub mod arrival;
pub mod audit_log;
pub mod delivery_event;
pub mod document;
pub mod document_detail;
pub mod document_file;
pub mod exchange_outbox;
pub mod organization;
pub mod push_outbox;
pub mod recipient;
pub mod signature;
pub mod signing_credential;
pub mod signing_pin;
pub mod signing_request;
pub mod task;
pub mod task_reminder;
pub mod user;
pub mod user_role;
