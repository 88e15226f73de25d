//! A bounded map of values remembered until a time: a checked token until it expires, a
//! profile until its badges may have moved. Past its capacity the entries whose time has come
//! go, and if that is not enough, all of them: each is worked out again on its next use.

use std::{borrow::Borrow, collections::HashMap, hash::Hash, sync::RwLock};

use chrono::{DateTime, Utc};

pub struct Remembered<K, V> {
    entries: RwLock<HashMap<K, (DateTime<Utc>, V)>>,
    capacity: usize,
}

impl<K: Eq + Hash, V: Clone> Remembered<K, V> {
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
            capacity: capacity.max(1),
        }
    }

    /// The value remembered for `key`, unless its time has come by `now`.
    pub fn get<Q>(&self, key: &Q, now: DateTime<Utc>) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let entries = self.entries.read().ok()?;
        let (until, value) = entries.get(key)?;
        (*until > now).then(|| value.clone())
    }

    /// Remembers `value` for `key` until `until`; nothing if that has come already.
    pub fn insert(&self, key: K, value: V, until: DateTime<Utc>, now: DateTime<Utc>) {
        if until <= now {
            return;
        }
        // A poisoned lock only means a panic elsewhere mid-insert: the map is still sound.
        let mut entries = self
            .entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= self.capacity {
            entries.retain(|_, (until, _)| *until > now);
            if entries.len() >= self.capacity {
                entries.clear();
            }
        }
        entries.insert(key, (until, value));
    }

    /// Forgets `key`, so that its next use works it out again.
    pub fn forget<Q>(&self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        self.entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(key);
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.read().map_or(0, |entries| entries.len())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    #[test]
    fn a_value_is_forgotten_when_its_time_comes_and_the_map_stays_bounded() {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let later = |s| now + TimeDelta::seconds(s);
        let remembered = Remembered::new(3);
        remembered.insert("a", 1, later(10), now);
        assert_eq!(remembered.get("a", later(9)), Some(1));
        assert_eq!(remembered.get("a", later(10)), None);
        remembered.insert("gone", 2, now, now);
        assert_eq!(remembered.len(), 1, "nothing kept past its time");
        remembered.insert("b", 2, later(5), now);
        remembered.insert("c", 3, later(20), now);
        // Full: the one whose time has come goes first.
        remembered.insert("d", 4, later(30), later(6));
        assert_eq!(remembered.get("b", later(6)), None);
        assert_eq!(remembered.get("d", later(6)), Some(4));
        // Still full of live ones: all go.
        remembered.insert("e", 5, later(30), later(6));
        assert_eq!(remembered.len(), 1);
        assert_eq!(remembered.get("e", later(7)), Some(5));
        remembered.forget("e");
        assert_eq!(remembered.get("e", later(7)), None);
    }
}
