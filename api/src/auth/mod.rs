//! Authentication machinery: password hashing, access tokens, device sessions in Redis and
//! the failed-login throttle. Use cases that combine them live in `services::auth`.

pub mod password;
pub mod sessions;
pub mod throttle;
pub mod tokens;

pub use password::Passwords;
pub use sessions::{LiveSession, NewSession, RefreshOutcome, RefreshToken, Session, SessionStore};
pub use throttle::LoginThrottle;
pub use tokens::{AccessClaims, TokenError, TokenKeys};
