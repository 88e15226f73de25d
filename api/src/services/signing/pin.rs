//! The signing PIN: what a leader enters on the phone to authorise each signature. It is
//! the boundary between a stolen login and a signature, so: the first PIN (or the first after
//! an admin's reset) is set with the login password, a change needs the current PIN, wrong
//! PINs in a row lock signing, and nothing but an admin lifts the lock. Every attempt is
//! reserved before it is checked, so concurrent guesses get no more tries than sequential ones.

use anyhow::Context;
use sea_orm::TransactionTrait;
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use super::{MAX_PIN_FAILURES, SigningError};
use crate::{
    domain::{
        InvalidInput,
        audit::{AuditAction, NewEntry},
    },
    services::{
        Principal, audit,
        auth::{self, AuthError},
    },
    state::AppState,
    store::{self, signing::PinAttempt},
};

/// What proves the caller may set a new PIN.
pub enum PinProof {
    /// The PIN in force: needed to change it.
    CurrentPin(SecretString),
    /// The login password: enough only where no PIN is set (never, or reset by an admin).
    Password(SecretString),
}

/// Sets the caller's first signing PIN, or changes it.
pub async fn set_pin(
    state: &AppState,
    who: Principal,
    proof: PinProof,
    pin: SecretString,
) -> Result<(), SigningError> {
    let raw = pin.expose_secret();
    if !(6..=12).contains(&raw.len()) || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(InvalidInput::new("pin", "must be 6 to 12 digits").into());
    }
    let has_pin = store::signing::pin(&state.db, who.user_id)
        .await
        .context("loading the PIN")?
        .is_some();
    let action = match (has_pin, proof) {
        (true, PinProof::CurrentPin(current)) => {
            check_pin(state, who, current).await?;
            AuditAction::SigningPinChanged
        }
        (true, PinProof::Password(_)) => return Err(SigningError::CurrentPinRequired),
        (false, PinProof::Password(password)) => {
            check_password(state, who, password).await?;
            AuditAction::SigningPinSet
        }
        (false, PinProof::CurrentPin(_)) => return Err(SigningError::PinNotSet),
    };
    let pin_hash = state.passwords.hash(pin).await.context("hashing the PIN")?;
    let organization = organization_of(state, who.user_id).await?;
    let txn = state.db.begin().await.context("starting a transaction")?;
    store::signing::set_pin(&txn, who.user_id, pin_hash, state.clock.now())
        .await
        .context("storing the PIN")?;
    let entry = NewEntry::new(who, action, organization).subject(who.user_id);
    audit::record(state, &txn, entry).await?;
    txn.commit().await.context("committing the PIN")?;
    tracing::info!(user_id = %who.user_id, "signing PIN set");
    Ok(())
}

async fn check_password(
    state: &AppState,
    who: Principal,
    password: SecretString,
) -> Result<(), SigningError> {
    let (user, hash) = store::users::find_credentials_by_id(&state.db, who.user_id)
        .await
        .context("loading the account")?
        .context("the caller's account no longer exists")?;
    // The same throttle as a login: a stolen session is no password oracle.
    if auth::check_password(state, &user.username, who.ip, password, hash).await? {
        Ok(())
    } else {
        Err(AuthError::CurrentPasswordIncorrect.into())
    }
}

/// Checks the caller's PIN. A wrong one is audited, and the one that locks signing says so.
pub(super) async fn check_pin(
    state: &AppState,
    who: Principal,
    pin: SecretString,
) -> Result<(), SigningError> {
    let user = who.user_id;
    let attempt = store::signing::reserve_pin_attempt(&state.db, user, MAX_PIN_FAILURES)
        .await
        .context("reserving a PIN attempt")?;
    let (hash, failures) = match attempt {
        PinAttempt::Reserved { hash, failures } => (hash, failures),
        PinAttempt::Locked => return Err(SigningError::Locked),
        PinAttempt::NotSet => return Err(SigningError::PinNotSet),
    };
    let right = match state.passwords.verify_pin(pin, hash).await {
        Ok(right) => right,
        Err(e) => {
            // The check was never made: the attempt is not the caller's to lose.
            store::signing::release_pin_attempt(&state.db, user)
                .await
                .context("releasing a PIN attempt")?;
            return Err(anyhow::Error::new(e).context("checking the PIN").into());
        }
    };
    if right {
        store::signing::reset_pin_failures(&state.db, user)
            .await
            .context("resetting PIN failures")?;
        return Ok(());
    }
    let locked = failures >= MAX_PIN_FAILURES;
    tracing::warn!(user_id = %user, failures, locked, "wrong signing PIN");
    let organization = organization_of(state, user).await?;
    let action = if locked {
        AuditAction::SigningLocked
    } else {
        AuditAction::SigningPinFailed
    };
    let entry = NewEntry::new(who, action, organization)
        .subject(user)
        .detail("failures", failures);
    audit::record_alone(state, entry).await?;
    Err(SigningError::PinInvalid { locked })
}

async fn organization_of(state: &AppState, user: Uuid) -> Result<Uuid, SigningError> {
    Ok(store::users::find(&state.db, user)
        .await
        .context("loading the account")?
        .context("the caller's account no longer exists")?
        .organization_id)
}
