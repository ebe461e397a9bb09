//! A map that remembers only its most recently used entries: the bound of
//! the caches a service keeps of its views (tallies, sort orders).

use std::collections::HashMap;
use std::hash::Hash;

pub struct Recent<K, V> {
    entries: HashMap<K, (u64, V)>,
    clock: u64,
    max: usize,
}

impl<K: Eq + Hash + Clone, V> Recent<K, V> {
    /// At most `max` entries.
    pub fn new(max: usize) -> Self {
        Self {
            entries: HashMap::new(),
            clock: 0,
            max,
        }
    }

    /// The entry of `key`, now the most recently used.
    pub fn get(&mut self, key: &K) -> Option<&V> {
        self.clock += 1;
        let clock = self.clock;
        let (used, value) = self.entries.get_mut(key)?;
        *used = clock;
        Some(value)
    }

    pub fn contains(&self, key: &K) -> bool {
        self.entries.contains_key(key)
    }

    /// Adds (or replaces) `key`'s entry and forgets the least recently used
    /// ones past the bound, among those `evictable` lets go.
    pub fn insert(&mut self, key: K, value: V, evictable: impl Fn(&V) -> bool) {
        self.clock += 1;
        self.entries.insert(key, (self.clock, value));
        while self.entries.len() > self.max {
            let Some(oldest) = self
                .entries
                .iter()
                .filter(|(_, (_, v))| evictable(v))
                .min_by_key(|(_, (used, _))| *used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            self.entries.remove(&oldest);
        }
    }

    /// How many entries are remembered.
    pub fn count(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_entry_goes_first() {
        let mut recent = Recent::new(2);
        recent.insert("a", 1, |_| true);
        recent.insert("b", 2, |_| true);
        assert_eq!(recent.get(&"a"), Some(&1));
        recent.insert("c", 3, |_| true);
        assert_eq!(recent.get(&"b"), None);
        assert_eq!(recent.get(&"a"), Some(&1));
        assert_eq!(recent.count(), 2);
    }

    #[test]
    fn entries_that_may_not_go_stay_past_the_bound() {
        let mut recent = Recent::new(1);
        recent.insert("running", 0, |v| *v != 0);
        recent.insert("done", 1, |v| *v != 0);
        // The only evictable entry is the new one.
        assert!(recent.contains(&"running"));
    }
}
