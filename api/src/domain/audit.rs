//! The audit trail's rules: what an entry says, and the hash chain that makes any later change
//! to it visible. Each entry's hash covers its own fields and the previous entry's hash, so
//! altering, deleting or reordering a stored entry breaks every link after it.

use chrono::{DateTime, SecondsFormat, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::InvalidInput;

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

stored_enum! {
    AuditAction as "action" {
        LoggedIn = "logged_in",
        /// A wrong password for an existing account.
        LoginFailed = "login_failed",
        LoggedOut = "logged_out",
        PasswordChanged = "password_changed",
        SessionRevoked = "session_revoked",
        /// A refresh token already rotated away was presented again: someone holds a copy,
        /// and the session was ended.
        RefreshTokenReused = "refresh_token_reused",
        OrganizationCreated = "organization_created",
        OrganizationUpdated = "organization_updated",
        UserCreated = "user_created",
        UserUpdated = "user_updated",
        DocumentCreated = "document_created",
        /// A classified upload was refused; the entry names the level, never the content.
        ClassifiedRefused = "classified_refused",
        FileVersionAdded = "file_version_added",
        FileViewed = "file_viewed",
        Submitted = "submitted",
        Registered = "registered",
        TaskDecided = "task_decided",
        Issued = "issued",
        /// An issued document was sent to its recipients.
        DocumentSent = "document_sent",
        /// A document another organisation sent arrived here.
        DocumentReceived = "document_received",
        /// A clerk refused to take in a document another organisation sent.
        DocumentRefused = "document_refused",
        /// The sender asked recipients that had not yet taken it in for a document back.
        RecallRequested = "recall_requested",
        /// A clerk answered a sender's request for a document back: gave it back or kept it.
        RecallAnswered = "recall_answered",
        /// A message from another system was not taken: malformed, not for us, no PDF.
        MessageRefused = "message_refused",
        /// Whoever assigned a task sent its assignee a reminder.
        TaskUrged = "task_urged",
        /// A leader's digital signature was added to a file (the task is decided with it).
        Signed = "signed",
        /// A signing key was made in the HSM, for a person or an organisation's seal.
        SigningKeyProvisioned = "signing_key_provisioned",
        SigningCertificateInstalled = "signing_certificate_installed",
        /// The image a signature shows was set: a person's handwritten signature or a seal.
        SignatureImageSet = "signature_image_set",
        /// A first signing PIN, or the first after an admin's reset, set with the password.
        SigningPinSet = "signing_pin_set",
        SigningPinChanged = "signing_pin_changed",
        SigningPinFailed = "signing_pin_failed",
        /// The wrong PIN that locked signing.
        SigningLocked = "signing_locked",
        /// An admin cleared a forgotten or locked PIN.
        SigningPinReset = "signing_pin_reset",
    }
}

/// Who did it, from where. Absent parts are unknown (a failed login has no session).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Actor {
    pub user: Option<Uuid>,
    pub session: Option<Uuid>,
    pub ip: Option<std::net::IpAddr>,
}

/// An entry as the caller describes it; the store gives it its number, time and hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    pub actor: Actor,
    pub action: AuditAction,
    pub organization: Uuid,
    pub document: Option<Uuid>,
    /// The account, task or session acted on, when not the document itself.
    pub subject: Option<Uuid>,
    /// A JSON object with what else an auditor needs (a decision, a comment, a level).
    pub details: serde_json::Value,
}

/// An entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: Option<Uuid>,
    pub session: Option<Uuid>,
    pub ip: Option<String>,
    pub organization: Option<Uuid>,
    pub action: String,
    pub document: Option<Uuid>,
    pub subject: Option<Uuid>,
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

impl Entry {
    /// The hash this entry must carry: SHA-256 over every field but `hash`, in a fixed order,
    /// one per line. No field holds a raw newline (`details` is compact JSON), so the encoding
    /// is unambiguous. Times are hashed to the microsecond, the precision both databases keep.
    pub fn expected_hash(&self) -> String {
        let opt = |id: Option<Uuid>| id.map(|i| i.to_string()).unwrap_or_default();
        let lines = [
            self.seq.to_string(),
            self.at.to_rfc3339_opts(SecondsFormat::Micros, true),
            opt(self.actor),
            opt(self.session),
            self.ip.clone().unwrap_or_default(),
            opt(self.organization),
            self.action.clone(),
            opt(self.document),
            opt(self.subject),
            self.details.clone(),
            self.prev_hash.clone(),
        ];
        hex::encode(Sha256::digest(lines.join("\n")))
    }
}

/// Truncates to what the databases keep, so the hash of a stored entry can be recomputed.
pub fn stored_time(now: DateTime<Utc>) -> DateTime<Utc> {
    let micros = now.timestamp_micros();
    DateTime::from_timestamp_micros(micros).unwrap_or(now)
}

/// The first entry that does not hold, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    pub seq: i64,
    pub reason: BreakReason,
}

stored_enum! {
    /// Why the chain does not hold at an entry.
    BreakReason as "reason" {
        /// Its fields no longer match its hash: it was edited.
        Altered = "altered",
        /// It does not point at the entry before it: something between was removed or replaced.
        Unlinked = "unlinked",
        /// Numbers are missing before it, or after the last one (the tail was cut).
        Missing = "missing",
    }
}

/// Walks the chain in order, one entry at a time, remembering only the last link.
#[derive(Debug, Clone)]
pub struct ChainCheck {
    last_seq: i64,
    last_hash: String,
    checked: u64,
}

impl Default for ChainCheck {
    fn default() -> Self {
        Self {
            last_seq: 0,
            last_hash: GENESIS.to_owned(),
            checked: 0,
        }
    }
}

impl ChainCheck {
    /// A walk that resumes after entry `seq`, whose hash an earlier walk found to be `hash`.
    pub fn after(seq: i64, hash: &str) -> Self {
        Self {
            last_seq: seq,
            last_hash: hash.to_owned(),
            checked: 0,
        }
    }

    /// Checks the next entry (entries must come in `seq` order).
    pub fn next(&mut self, entry: &Entry) -> Result<(), Break> {
        let broken = |reason| Break {
            seq: entry.seq,
            reason,
        };
        if entry.seq != self.last_seq + 1 {
            return Err(broken(BreakReason::Missing));
        }
        if entry.hash != entry.expected_hash() {
            return Err(broken(BreakReason::Altered));
        }
        if entry.prev_hash != self.last_hash {
            return Err(broken(BreakReason::Unlinked));
        }
        self.last_seq = entry.seq;
        self.last_hash.clone_from(&entry.hash);
        self.checked += 1;
        Ok(())
    }

    /// How many entries held so far.
    pub fn checked(&self) -> u64 {
        self.checked
    }

    /// Once every entry has been seen: the head (last number and hash recorded at append) must
    /// be where the walk ended, or the newest entries were removed or replaced.
    pub fn finish(self, head_seq: i64, head_hash: &str) -> Result<(), Break> {
        if head_seq != self.last_seq {
            let seq = self.last_seq + 1;
            return Err(Break {
                seq,
                reason: BreakReason::Missing,
            });
        }
        if head_hash != self.last_hash {
            return Err(Break {
                seq: self.last_seq,
                reason: BreakReason::Unlinked,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<Entry> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let mut e = Entry {
                    seq,
                    at: DateTime::from_timestamp(1_700_000_000 + seq, 0).unwrap(),
                    actor: Some(Uuid::from_u128(seq as u128)),
                    session: None,
                    ip: Some("127.0.0.1".to_owned()),
                    organization: None,
                    action: AuditAction::Submitted.as_str().to_owned(),
                    document: Some(Uuid::from_u128(7)),
                    subject: None,
                    details: r#"{"comment":"line one\nline two"}"#.to_owned(),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                e.hash = e.expected_hash();
                prev.clone_from(&e.hash);
                e
            })
            .collect()
    }

    fn check(entries: &[Entry]) -> Result<u64, Break> {
        let mut walk = ChainCheck::default();
        for e in entries {
            walk.next(e)?;
        }
        let checked = walk.checked();
        let last = entries.last();
        walk.finish(last.map_or(0, |e| e.seq), last.map_or(GENESIS, |e| &e.hash))?;
        Ok(checked)
    }

    #[test]
    fn a_walk_resumes_after_a_checkpoint_and_checks_the_link_to_it() {
        let c = chain(5);
        let mut walk = ChainCheck::after(2, &c[1].hash);
        for e in &c[2..] {
            walk.next(e).unwrap();
        }
        assert_eq!(walk.checked(), 3);
        assert_eq!(walk.finish(5, &c[4].hash), Ok(()));
        // The checkpoint's entry was replaced since: the next one no longer links to it.
        let mut walk = ChainCheck::after(2, &"f".repeat(64));
        assert_eq!(
            walk.next(&c[2]),
            Err(Break {
                seq: 3,
                reason: BreakReason::Unlinked
            })
        );
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(check(&chain(5)), Ok(5));
        assert_eq!(check(&[]), Ok(0));
    }

    #[test]
    fn an_edited_field_is_found_at_its_entry() {
        let mut c = chain(5);
        c[2].details = r#"{"comment":"approved"}"#.to_owned();
        assert_eq!(
            check(&c),
            Err(Break {
                seq: 3,
                reason: BreakReason::Altered
            })
        );
    }

    #[test]
    fn an_entry_rehashed_after_editing_breaks_the_next_link() {
        let mut c = chain(5);
        c[2].actor = Some(Uuid::from_u128(99));
        c[2].hash = c[2].expected_hash();
        assert_eq!(
            check(&c),
            Err(Break {
                seq: 4,
                reason: BreakReason::Unlinked
            })
        );
    }

    #[test]
    fn a_deleted_entry_is_missing() {
        let mut c = chain(5);
        c.remove(1);
        assert_eq!(
            check(&c).map_err(|b| (b.seq, b.reason)),
            Err((3, BreakReason::Missing))
        );
    }

    #[test]
    fn a_cut_tail_is_found_against_the_head() {
        let c = chain(5);
        let mut walk = ChainCheck::default();
        for e in &c[..3] {
            walk.next(e).unwrap();
        }
        assert_eq!(
            walk.finish(5, &c[4].hash),
            Err(Break {
                seq: 4,
                reason: BreakReason::Missing
            })
        );
    }

    #[test]
    fn times_keep_microseconds_only() {
        let t = DateTime::from_timestamp(1_700_000_000, 123_456_789).unwrap();
        assert_eq!(stored_time(t).timestamp_subsec_nanos(), 123_456_000);
    }
}
