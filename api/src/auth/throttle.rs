//! Failed-login throttling in Redis, per username and per client address.
//!
//! Every failure counts; reaching the limit within the lock period locks that username (or
//! address) for the lock period. While locked, logins are refused with 429 and a Retry-After
//! before the password is even checked, so guessing gains nothing, and unknown usernames are
//! counted like known ones, so the lock reveals nothing about which names exist.

use redis::{AsyncCommands, RedisError, Script, aio::ConnectionManager};

use crate::domain::Username;

#[derive(Clone)]
pub struct LoginThrottle {
    redis: ConnectionManager,
    prefix: String,
    max_failures: u32,
    ip_max_failures: u32,
    lock_secs: u64,
    fail: Script,
}

impl LoginThrottle {
    pub fn new(
        redis: ConnectionManager,
        prefix: &str,
        max_failures: u32,
        ip_max_failures: u32,
        lock: std::time::Duration,
    ) -> Self {
        Self {
            redis,
            prefix: prefix.to_owned(),
            max_failures: max_failures.max(1),
            ip_max_failures: ip_max_failures.max(1),
            lock_secs: lock.as_secs().max(1),
            fail: Script::new(
                r"
                local n = redis.call('INCR', KEYS[1])
                if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
                if n >= tonumber(ARGV[1]) then
                  redis.call('SET', KEYS[2], '1', 'EX', ARGV[2])
                  redis.call('DEL', KEYS[1])
                end
                return n
                ",
            ),
        }
    }

    fn keys(&self, kind: &str, who: &str) -> (String, String) {
        (
            format!("{}login:fail:{kind}:{who}", self.prefix),
            format!("{}login:lock:{kind}:{who}", self.prefix),
        )
    }

    /// Seconds until the user or the address may try again; `None` when neither is locked.
    pub async fn locked_for(
        &self,
        user: &Username,
        ip: Option<&str>,
    ) -> Result<Option<u64>, RedisError> {
        let mut pipe = redis::pipe();
        pipe.ttl(self.keys("u", user.as_str()).1);
        if let Some(ip) = ip {
            pipe.ttl(self.keys("ip", ip).1);
        }
        let ttls: Vec<i64> = pipe.query_async(&mut self.redis.clone()).await?;
        Ok(ttls
            .into_iter()
            .filter_map(|t| u64::try_from(t).ok())
            .filter(|t| *t > 0)
            .max())
    }

    pub async fn record_failure(
        &self,
        user: &Username,
        ip: Option<&str>,
    ) -> Result<(), RedisError> {
        let mut targets = vec![(self.keys("u", user.as_str()), self.max_failures)];
        if let Some(ip) = ip {
            targets.push((self.keys("ip", ip), self.ip_max_failures));
        }
        for ((count, lock), max) in targets {
            let _: i64 = self
                .fail
                .key(count)
                .key(lock)
                .arg(max)
                .arg(self.lock_secs)
                .invoke_async(&mut self.redis.clone())
                .await?;
        }
        Ok(())
    }

    pub async fn record_success(&self, user: &Username) -> Result<(), RedisError> {
        self.redis
            .clone()
            .del(self.keys("u", user.as_str()).0)
            .await
    }

    /// An admin's unlock: forgets the failures and lifts the lock.
    pub async fn unlock(&self, user: &Username) -> Result<(), RedisError> {
        let (count, lock) = self.keys("u", user.as_str());
        self.redis.clone().del(&[count, lock]).await
    }
}
