//! Vanban: the server behind the mobile apps that leaders use to review, approve and sign
//! official documents.
//!
//! Read top-down:
//! - [`config`]: typed settings from the environment; [`startup`]: build and run the app;
//!   [`state`]: what every request can reach; [`clock`]: the one place that reads the time.
//! - [`http`]: where a request enters; the only module that knows poem.
//! - [`domain`]: pure rules and parsed types; no I/O.
//! - [`services`]: one function per use case.
//! - [`store`]: sea-orm queries and entity <-> domain conversions.
//! - [`auth`]: passwords, access tokens, Redis device sessions, login throttling.
//! - [`files`]: content-addressed file storage behind a trait.
//! - [`outbox`]: the sender every transactional outbox shares (leases, retries, backoff).
//! - [`push`]: the push outbox, its channel and the FCM HTTP v1 client.
//! - [`signing`]: the HSM connector (PKCS#11), PAdES signatures, their verification.
//! - [`remembered`]: the bounded in-memory map behind the token and profile caches.
//! - [`cli`]: the `api` subcommands other than `serve`.

pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod files;
pub mod http;
pub mod outbox;
pub mod push;
pub mod remembered;
pub mod services;
pub mod signing;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
