//! Device sessions in Redis.
//!
//! One hash per session (`session:{id}`) holds the user, the device, its push token and the
//! SHA-256 of the current refresh token; `session:{id}:used` remembers the refresh tokens
//! already rotated away, so presenting one again is recognised as theft and ends the session;
//! `user:{id}:sessions` indexes a user's sessions for listing and revoke-all. Ending a session
//! is deleting its keys: every instance sees it on the very next request, and the device's
//! push token goes with it.
//!
//! `push:{sha1 of token}` names the one session a device's push token belongs to: when the
//! token turns up on another session (the same phone logged in again, or by someone else), it
//! moves there and the old session stops getting its pushes, so no push arrives twice.
//!
//! `user:{id}:gen` is the account's generation, stamped into each session when it is created
//! and bumped when the account is disabled or its password changes. The per-request check and
//! the refresh compare the two in the same round trip, so a session from before the bump is
//! dead without a database read; and a session is only created if the generation read before
//! the login looked at the account is still current, so a login racing a disable (or a
//! password change) never yields a live session.
//!
//! `user:{id}:stamp` is bumped after every committed change to what `GET /me` shows of the
//! user (their tasks, drafts, account), and read in the per-request check's round trip: every
//! instance can tell whether the profile it remembers is still current (see `services::me`).

use std::collections::HashMap;

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use rand::RngCore;
use redis::{AsyncCommands, RedisError, Script, aio::ConnectionManager};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::domain::{DeviceInfo, Locale, Platform, PushToken};

/// A refresh token as handed to the app: `{session id}.{256 random bits}`.
pub struct RefreshToken(SecretString);

impl RefreshToken {
    fn generate(session: Uuid) -> Self {
        let mut secret = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        Self(SecretString::from(format!(
            "{}.{}",
            session.simple(),
            URL_SAFE_NO_PAD.encode(secret)
        )))
    }

    pub fn from_client(raw: SecretString) -> Self {
        Self(raw)
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    fn session_id(&self) -> Option<Uuid> {
        let (sid, _) = self.expose().split_once('.')?;
        Uuid::try_parse(sid).ok()
    }

    fn digest(&self) -> String {
        hex::encode(Sha256::digest(self.expose().as_bytes()))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: Uuid,
    pub user_id: Uuid,
    pub device_id: String,
    pub platform: Platform,
    pub device_name: String,
    pub app_version: String,
    pub push_token: Option<PushToken>,
    pub locale: Locale,
    pub ip: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

pub struct NewSession {
    pub user_id: Uuid,
    pub device: DeviceInfo,
    pub ip: Option<String>,
    pub must_change_password: bool,
}

/// What an access token's session says on each request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSession {
    pub id: Uuid,
    pub user_id: Uuid,
    pub must_change_password: bool,
}

/// A user's profile stamp (`user:{id}:stamp`): it moves whenever what `GET /me` shows of them
/// changes; 0 for one never bumped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProfileStamp(pub u64);

/// How long a profile stamp outlives its last bump: far longer than anything remembered under
/// it, so a stamp that expires and starts again from 0 never matches a stale memory.
const PROFILE_STAMP_TTL_SECS: i64 = 86_400;

pub enum RefreshOutcome {
    Rotated {
        session: LiveSession,
        token: RefreshToken,
    },
    /// A token already rotated away was presented again: the session has been ended.
    Reused {
        session: Uuid,
        user: Option<Uuid>,
    },
    Unknown,
}

/// An account's generation, as read before a login looks at the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generation(String);

#[derive(Clone)]
pub struct SessionStore {
    redis: ConnectionManager,
    prefix: String,
    idle_ttl_secs: u64,
    create: Script,
    touch: Script,
    rotate: Script,
    bump: Script,
    set_if_live: Script,
    clear_if_same: Script,
    claim_push: Script,
    list: Script,
}

impl SessionStore {
    pub fn new(redis: ConnectionManager, prefix: &str, idle_ttl: std::time::Duration) -> Self {
        Self {
            redis,
            prefix: prefix.to_owned(),
            idle_ttl_secs: idle_ttl.as_secs().max(1),
            // KEYS: session, user index, user generation; ARGV: idle TTL, generation,
            // session id, then the session's field/value pairs.
            create: Script::new(
                r"
                if (redis.call('GET', KEYS[3]) or '0') ~= ARGV[2] then return 0 end
                redis.call('HSET', KEYS[1], 'gen', ARGV[2], unpack(ARGV, 4))
                redis.call('EXPIRE', KEYS[1], ARGV[1])
                redis.call('SADD', KEYS[2], ARGV[3])
                redis.call('EXPIRE', KEYS[2], ARGV[1])
                return 1
                ",
            ),
            // KEYS: session, the token's user's generation, their profile stamp. A session
            // without a stamp dates from before generations and counts as generation 0, like
            // an account never bumped.
            touch: Script::new(
                r"
                local s = redis.call('HMGET', KEYS[1], 'user_id', 'must_change_password', 'gen')
                if not s[1] then return false end
                if (s[3] or '0') ~= (redis.call('GET', KEYS[2]) or '0') then return false end
                redis.call('HSET', KEYS[1], 'last_seen_at', ARGV[1])
                return {s[1], s[2], redis.call('GET', KEYS[3]) or '0'}
                ",
            ),
            // The generation key is built here from the session's user (ARGV[5] is the key
            // prefix): the refresh token names only the session. One Redis, so this is safe.
            rotate: Script::new(
                r"
                local s = redis.call('HMGET', KEYS[1], 'refresh_hash', 'user_id', 'gen')
                local current = s[1]
                if not current then return {0, false, false} end
                local gen = redis.call('GET', ARGV[5] .. 'user:' .. s[2] .. ':gen') or '0'
                if (s[3] or '0') ~= gen then return {0, false, false} end
                if current == ARGV[1] then
                  redis.call('HSET', KEYS[1], 'refresh_hash', ARGV[2], 'last_seen_at', ARGV[4])
                  redis.call('SADD', KEYS[2], ARGV[1])
                  redis.call('EXPIRE', KEYS[1], ARGV[3])
                  redis.call('EXPIRE', KEYS[2], ARGV[3])
                  local push = redis.call('HGET', KEYS[1], 'push_token')
                  if push then
                    redis.call('EXPIRE', ARGV[5] .. 'push:' .. redis.sha1hex(push), ARGV[3])
                  end
                  return {1, s[2], redis.call('HGET', KEYS[1], 'must_change_password')}
                end
                if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then
                  redis.call('DEL', KEYS[1], KEYS[2])
                  return {2, s[2], false}
                end
                return {0, false, false}
                ",
            ),
            // KEYS: user generation, the session to keep (optional). Bumps the generation and
            // restamps the kept session, in one step.
            bump: Script::new(
                r"
                local gen = redis.call('INCR', KEYS[1])
                if KEYS[2] and redis.call('EXISTS', KEYS[2]) == 1 then
                  redis.call('HSET', KEYS[2], 'gen', gen)
                end
                return gen
                ",
            ),
            set_if_live: Script::new(
                r"
                if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
                redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
                return 1
                ",
            ),
            clear_if_same: Script::new(
                r"
                if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
                return redis.call('HDEL', KEYS[1], ARGV[1])
                ",
            ),
            // KEYS: the session taking the token; ARGV: the token, TTL, key prefix. Takes the
            // token from the session that held it, unless that one has a new token since. The
            // owner key is built here, like the generation key in `rotate`, so that `rotate`
            // can keep it alive as long as the session.
            claim_push: Script::new(
                r"
                local owner = ARGV[3] .. 'push:' .. redis.sha1hex(ARGV[1])
                local previous = redis.call('GET', owner)
                if previous and previous ~= KEYS[1]
                   and redis.call('HGET', previous, 'push_token') == ARGV[1] then
                  redis.call('HDEL', previous, 'push_token')
                end
                if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
                redis.call('HSET', KEYS[1], 'push_token', ARGV[1])
                redis.call('SET', owner, KEYS[1], 'EX', ARGV[2])
                return 1
                ",
            ),
            // KEYS: the user's index; ARGV: the key prefix. Each session with its fields, in
            // one round trip (a session that expired on its own comes back empty).
            list: Script::new(
                r"
                local out = {}
                for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
                  out[#out + 1] = {id, redis.call('HGETALL', ARGV[1] .. 'session:' .. id)}
                end
                return out
                ",
            ),
        }
    }

    fn session_key(&self, id: Uuid) -> String {
        format!("{}session:{}", self.prefix, id)
    }

    fn used_key(&self, id: Uuid) -> String {
        format!("{}session:{}:used", self.prefix, id)
    }

    fn user_key(&self, user: Uuid) -> String {
        format!("{}user:{}:sessions", self.prefix, user)
    }

    fn generation_key(&self, user: Uuid) -> String {
        format!("{}user:{}:gen", self.prefix, user)
    }

    fn stamp_key(&self, user: Uuid) -> String {
        format!("{}user:{}:stamp", self.prefix, user)
    }

    /// After a commit that changed what `GET /me` shows of `users`: every instance's
    /// remembered profile of theirs is stale from now on. One round trip.
    pub async fn bump_profiles(
        &self,
        users: impl IntoIterator<Item = Uuid>,
    ) -> Result<(), RedisError> {
        let mut pipe = redis::pipe();
        for user in users {
            let key = self.stamp_key(user);
            pipe.incr(&key, 1).ignore();
            pipe.expire(&key, PROFILE_STAMP_TTL_SECS).ignore();
        }
        pipe.query_async::<()>(&mut self.redis.clone()).await
    }

    /// Read before a login looks at the account: [`SessionStore::create`] refuses if the
    /// account was disabled or its password changed since.
    pub async fn generation(&self, user: Uuid) -> Result<Generation, RedisError> {
        let stamp: Option<String> = self.redis.clone().get(self.generation_key(user)).await?;
        Ok(Generation(stamp.unwrap_or_else(|| "0".to_owned())))
    }

    /// Ends every session of `user` at once, and any login in progress: disabling an account,
    /// an admin's revoke-all. Returns how many sessions ended.
    pub async fn end_all(&self, user: Uuid) -> Result<usize, RedisError> {
        self.bump(user, None).await?;
        self.revoke_all(user, None).await
    }

    /// After a password change: every other session and login in progress ends; `keep` (the
    /// session that changed it) lives on.
    pub async fn end_all_but(&self, user: Uuid, keep: Uuid) -> Result<usize, RedisError> {
        self.bump(user, Some(keep)).await?;
        self.revoke_all(user, Some(keep)).await
    }

    async fn bump(&self, user: Uuid, keep: Option<Uuid>) -> Result<(), RedisError> {
        let mut call = self.bump.key(self.generation_key(user));
        if let Some(keep) = keep {
            call.key(self.session_key(keep));
        }
        let _: i64 = call.invoke_async(&mut self.redis.clone()).await?;
        Ok(())
    }

    /// `None` when the account's generation moved past `generation` (disabled, or its password
    /// changed) since the login read it.
    pub async fn create(
        &self,
        new: NewSession,
        generation: &Generation,
        now: DateTime<Utc>,
    ) -> Result<Option<(Uuid, RefreshToken)>, RedisError> {
        let id = Uuid::new_v4();
        let token = RefreshToken::generate(id);
        let now = now.to_rfc3339();
        let mut fields = vec![
            ("user_id", new.user_id.to_string()),
            ("device_id", new.device.device_id),
            ("platform", new.device.platform.as_str().to_owned()),
            ("device_name", new.device.name),
            ("app_version", new.device.app_version),
            ("locale", new.device.locale.as_str().to_owned()),
            ("created_at", now.clone()),
            ("last_seen_at", now),
            ("refresh_hash", token.digest()),
            (
                "must_change_password",
                flag(new.must_change_password).to_owned(),
            ),
        ];
        if let Some(ip) = new.ip {
            fields.push(("ip", ip));
        }
        let mut call = self.create.key(self.session_key(id));
        call.key(self.user_key(new.user_id))
            .key(self.generation_key(new.user_id))
            .arg(self.ttl())
            .arg(&generation.0)
            .arg(id.to_string());
        for (field, value) in fields {
            call.arg(field).arg(value);
        }
        let created: i64 = call.invoke_async(&mut self.redis.clone()).await?;
        if created != 1 {
            return Ok(None);
        }
        if let Some(push) = &new.device.push_token {
            self.set_push_token(id, push).await?;
        }
        Ok(Some((id, token)))
    }

    /// The per-request check: one round trip that also records when the device was last seen,
    /// and reads the user's profile stamp. `None` when the session has ended, is not `user`'s,
    /// or predates the account's last disable or password change.
    pub async fn touch(
        &self,
        id: Uuid,
        user: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Option<(LiveSession, ProfileStamp)>, RedisError> {
        let found: Option<(Option<String>, Option<String>, u64)> = self
            .touch
            .key(self.session_key(id))
            .key(self.generation_key(user))
            .key(self.stamp_key(user))
            .arg(now.to_rfc3339())
            .invoke_async(&mut self.redis.clone())
            .await?;
        Ok(found.and_then(|(user, mcp, stamp)| {
            let live = LiveSession {
                id,
                user_id: Uuid::try_parse(&user?).ok()?,
                must_change_password: mcp.as_deref() == Some("1"),
            };
            Some((live, ProfileStamp(stamp)))
        }))
    }

    /// Swaps a refresh token for a new one, atomically: of two racing uses, one rotates and the
    /// other is a reuse.
    pub async fn rotate(
        &self,
        presented: &RefreshToken,
        now: DateTime<Utc>,
    ) -> Result<RefreshOutcome, RedisError> {
        let Some(id) = presented.session_id() else {
            return Ok(RefreshOutcome::Unknown);
        };
        let next = RefreshToken::generate(id);
        let (status, user, mcp): (i64, Option<String>, Option<String>) = self
            .rotate
            .key(self.session_key(id))
            .key(self.used_key(id))
            .arg(presented.digest())
            .arg(next.digest())
            .arg(self.ttl())
            .arg(now.to_rfc3339())
            .arg(&self.prefix)
            .invoke_async(&mut self.redis.clone())
            .await?;
        Ok(
            match (status, user.and_then(|u| Uuid::try_parse(&u).ok())) {
                (1, Some(user)) => {
                    let _: () = self
                        .redis
                        .clone()
                        .expire(self.user_key(user), self.ttl())
                        .await?;
                    RefreshOutcome::Rotated {
                        token: next,
                        session: LiveSession {
                            id,
                            user_id: user,
                            must_change_password: mcp.as_deref() == Some("1"),
                        },
                    }
                }
                (2, user) => RefreshOutcome::Reused { session: id, user },
                _ => RefreshOutcome::Unknown,
            },
        )
    }

    pub async fn get(&self, id: Uuid) -> Result<Option<Session>, RedisError> {
        let fields: HashMap<String, String> =
            self.redis.clone().hgetall(self.session_key(id)).await?;
        Ok(parse_session(id, &fields))
    }

    /// The user's live sessions, oldest first; index entries of sessions that expired on their
    /// own are pruned on the way.
    pub async fn list(&self, user: Uuid) -> Result<Vec<Session>, RedisError> {
        let mut redis = self.redis.clone();
        let all: Vec<(String, HashMap<String, String>)> = self
            .list
            .key(self.user_key(user))
            .arg(&self.prefix)
            .invoke_async(&mut redis)
            .await?;
        let mut sessions = Vec::new();
        let mut gone = Vec::new();
        for (raw, fields) in all {
            match Uuid::try_parse(&raw)
                .ok()
                .and_then(|id| parse_session(id, &fields))
            {
                Some(s) if s.user_id == user => sessions.push(s),
                _ => gone.push(raw),
            }
        }
        if !gone.is_empty() {
            let _: () = redis.srem(self.user_key(user), gone).await?;
        }
        sessions.sort_by_key(|s| (s.created_at, s.id));
        Ok(sessions)
    }

    /// Ends one of `user`'s sessions; `false` when it is not theirs or already ended.
    pub async fn revoke(&self, user: Uuid, id: Uuid) -> Result<bool, RedisError> {
        let mut redis = self.redis.clone();
        let owner: Option<String> = redis.hget(self.session_key(id), "user_id").await?;
        if owner.as_deref() != Some(user.to_string().as_str()) {
            return Ok(false);
        }
        let (deleted,): (u64,) = redis::pipe()
            .atomic()
            .del(&[self.session_key(id), self.used_key(id)])
            .srem(self.user_key(user), id.to_string())
            .ignore()
            .query_async(&mut redis)
            .await?;
        Ok(deleted > 0)
    }

    /// Ends all of `user`'s sessions but `keep`; returns how many ended.
    async fn revoke_all(&self, user: Uuid, keep: Option<Uuid>) -> Result<usize, RedisError> {
        let mut ended = 0;
        for session in self.list(user).await? {
            if Some(session.id) != keep && self.revoke(user, session.id).await? {
                ended += 1;
            }
        }
        Ok(ended)
    }

    /// Gives the device's push token to session `id`, taking it from any other session that
    /// held it. `false` when the session has ended meanwhile.
    pub async fn set_push_token(&self, id: Uuid, token: &PushToken) -> Result<bool, RedisError> {
        let set: i64 = self
            .claim_push
            .key(self.session_key(id))
            .arg(token.as_str())
            .arg(self.ttl())
            .arg(&self.prefix)
            .invoke_async(&mut self.redis.clone())
            .await?;
        Ok(set == 1)
    }

    /// Forgets the device's push token after FCM called it dead, unless the app has sent a
    /// new one meanwhile.
    pub async fn clear_push_token(&self, id: Uuid, dead: &PushToken) -> Result<(), RedisError> {
        let _: i64 = self
            .clear_if_same
            .key(self.session_key(id))
            .arg("push_token")
            .arg(dead.as_str())
            .invoke_async(&mut self.redis.clone())
            .await?;
        Ok(())
    }

    pub async fn clear_must_change_password(&self, id: Uuid) -> Result<bool, RedisError> {
        self.set_field(id, "must_change_password", flag(false))
            .await
    }

    async fn set_field(&self, id: Uuid, field: &str, value: &str) -> Result<bool, RedisError> {
        let set: i64 = self
            .set_if_live
            .key(self.session_key(id))
            .arg(field)
            .arg(value)
            .invoke_async(&mut self.redis.clone())
            .await?;
        Ok(set == 1)
    }

    fn ttl(&self) -> i64 {
        i64::try_from(self.idle_ttl_secs).unwrap_or(i64::MAX)
    }
}

fn flag(on: bool) -> &'static str {
    if on { "1" } else { "0" }
}

fn parse_session(id: Uuid, f: &HashMap<String, String>) -> Option<Session> {
    let time = |key: &str| {
        DateTime::parse_from_rfc3339(f.get(key)?)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    };
    Some(Session {
        id,
        user_id: Uuid::try_parse(f.get("user_id")?).ok()?,
        device_id: f.get("device_id")?.clone(),
        platform: Platform::parse(f.get("platform")?).ok()?,
        device_name: f.get("device_name").cloned().unwrap_or_default(),
        app_version: f.get("app_version").cloned().unwrap_or_default(),
        push_token: f.get("push_token").and_then(|t| PushToken::parse(t).ok()),
        // Sessions from before locales were recorded are Vietnamese.
        locale: f
            .get("locale")
            .and_then(|l| Locale::parse(l).ok())
            .unwrap_or(Locale::Vi),
        ip: f.get("ip").cloned(),
        created_at: time("created_at")?,
        last_seen_at: time("last_seen_at")?,
    })
}
