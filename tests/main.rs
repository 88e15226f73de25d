//! End-to-end tests: each starts the real `api` binary on a free port with its own database
//! (a fresh PostgreSQL database, or a fresh SQLite file), its own Redis key prefix and its own
//! data directory, and speaks HTTP to it as the mobile app does. Every test in the
//! `on_both_databases!` lists runs once on SQLite and once on PostgreSQL.

// A failed expectation in a test is a test failure: panicking is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod admin;
mod appearance;
mod audit;
mod auth;
mod axis;
mod bad_input;
mod batch;
mod console;
mod database_down;
mod delivery;
mod documents;
mod exchange;
mod fake_axis;
mod fake_fcm;
mod fake_tsa;
mod guessing;
mod hand_offs;
mod history;
mod incoming;
mod issue;
mod names;
mod object_store;
mod ops;
mod people;
mod proxies;
mod push;
mod recall;
mod redis_down;
mod reports;
mod revisions;
mod revocation;
mod sessions;
mod signing;
mod signing_pin;
mod sync;
mod tabs;
mod timestamps;
mod workflow;
