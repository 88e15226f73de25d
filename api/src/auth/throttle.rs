//! Password-guess throttling in Redis, per account name and per client address.
//!
//! Every place a password is entered (logging in, changing the password, setting the signing
//! PIN) first reserves a try, atomically, before the password is checked: of any number of
//! concurrent guesses at most the allowed number is ever checked. A try that turns out right
//! gives its reservation back; a wrong one keeps it. Going over the limit within the lock
//! period locks that name (or address) for the lock period: refused with 429 and a Retry-After
//! before the password is even checked, so guessing gains nothing. Names are counted as typed
//! (normalised), whether or not they could exist, so a lock reveals nothing about which names
//! exist and a malformed name costs a guesser the same tries as a real one.

use std::net::IpAddr;

use redis::{RedisError, Script, aio::ConnectionManager};
use unicode_normalization::UnicodeNormalization;

use crate::domain::Username;

#[derive(Clone)]
pub struct LoginThrottle {
    redis: ConnectionManager,
    prefix: String,
    max_failures: u32,
    ip_max_failures: u32,
    lock_secs: u64,
    reserve: Script,
    give_back: Script,
}

/// What a reserved try turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The password was right: the name's failures are forgotten, the address's try returned.
    Right,
    /// The password was never checked (the hashing queue was full): both tries returned.
    NotChecked,
}

/// How a name is counted: as typed, trimmed, case and Unicode form folded, runs of spaces as
/// one, so `"X  y"` and `"x y"` share a counter. A valid username counts as itself.
pub fn normalised_name(raw: &str) -> String {
    let folded: String = raw.nfkc().collect::<String>().to_lowercase();
    let name = folded.split_whitespace().collect::<Vec<_>>().join(" ");
    name.chars().take(Username::MAX_LEN).collect()
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
            // KEYS: (count, lock) per target; ARGV: the lock period, then each target's limit.
            // Answers 0 when the try is reserved, else the seconds to wait.
            reserve: Script::new(
                r"
                local wait = 0
                for i = 2, #KEYS, 2 do
                  local t = redis.call('TTL', KEYS[i])
                  if t > wait then wait = t end
                end
                if wait > 0 then return wait end
                local period = tonumber(ARGV[1])
                for i = 1, #KEYS, 2 do
                  local n = redis.call('INCR', KEYS[i])
                  if n == 1 then redis.call('EXPIRE', KEYS[i], period) end
                  if n > tonumber(ARGV[(i + 1) / 2 + 1]) then
                    redis.call('SET', KEYS[i + 1], '1', 'EX', period)
                    redis.call('DEL', KEYS[i])
                    wait = period
                  end
                end
                return wait
                ",
            ),
            // KEYS: the name's count, then the address's count if any; ARGV[1]: `forget`
            // (the name's failures) or `return` (just this try).
            give_back: Script::new(
                r"
                if ARGV[1] == 'forget' then
                  redis.call('DEL', KEYS[1])
                elseif (tonumber(redis.call('GET', KEYS[1])) or 0) > 0 then
                  redis.call('DECR', KEYS[1])
                end
                if KEYS[2] and (tonumber(redis.call('GET', KEYS[2])) or 0) > 0 then
                  redis.call('DECR', KEYS[2])
                end
                return 0
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

    /// Reserves one try for `name` (as typed) from `ip`: `Ok(None)` when it may be checked,
    /// `Ok(Some(seconds))` when the name or the address is locked.
    pub async fn reserve(&self, name: &str, ip: Option<IpAddr>) -> Result<Option<u64>, RedisError> {
        let (count, lock) = self.keys("u", &normalised_name(name));
        let mut call = self.reserve.key(count);
        call.key(lock).arg(self.lock_secs).arg(self.max_failures);
        if let Some(ip) = ip {
            let (count, lock) = self.keys("ip", &ip.to_string());
            call.key(count).key(lock).arg(self.ip_max_failures);
        }
        let wait: u64 = call.invoke_async(&mut self.redis.clone()).await?;
        Ok((wait > 0).then_some(wait))
    }

    /// Settles a reserved try that did not count as a failure.
    pub async fn settle(
        &self,
        name: &str,
        ip: Option<IpAddr>,
        outcome: Outcome,
    ) -> Result<(), RedisError> {
        let mut call = self.give_back.key(self.keys("u", &normalised_name(name)).0);
        if let Some(ip) = ip {
            call.key(self.keys("ip", &ip.to_string()).0);
        }
        let mode = match outcome {
            Outcome::Right => "forget",
            Outcome::NotChecked => "return",
        };
        let _: i64 = call.arg(mode).invoke_async(&mut self.redis.clone()).await?;
        Ok(())
    }

    /// An admin's unlock: forgets the failures and lifts the lock.
    pub async fn unlock(&self, user: &Username) -> Result<(), RedisError> {
        let (count, lock) = self.keys("u", &normalised_name(user.as_str()));
        redis::AsyncCommands::del::<_, ()>(&mut self.redis.clone(), &[count, lock]).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_counted_as_typed_but_folded() {
        assert_eq!(normalised_name("  X   y Z "), "x y z");
        assert_eq!(normalised_name("LanhDao.An"), "lanhdao.an");
        assert_eq!(
            normalised_name("Ｘ y z"),
            "x y z",
            "full-width folds to ASCII"
        );
        let valid = Username::parse(" LanhDao.An ").unwrap();
        assert_eq!(normalised_name(valid.as_str()), valid.as_str());
        assert_eq!(normalised_name(&"a".repeat(500)).len(), Username::MAX_LEN);
    }
}
