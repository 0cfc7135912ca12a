//! Small maps and sets of the IR, held as vectors sorted by key.
//!
//! A workload has a handful of ports, env vars and flows. As `BTreeMap`s and
//! `BTreeSet`s, each non-empty one was a leaf with room for eleven entries
//! (an env map ~800 bytes for five variables): at 10,000 services about a
//! third of the IR, memory first touched while lowering (ARCHITECTURE.md,
//! "Memory is time here"). Lowering still builds `BTreeMap`s and
//! `BTreeSet`s, freed right away, and collects them into these.
//!
//! The same order and the same meaning as the standard collections: sorted
//! by key, one entry per key (the last one given wins).

use std::borrow::Borrow;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

/// A map as a vector of (key, value) sorted by key, keys unique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortedMap<K, V>(Vec<(K, V)>);

impl<K, V> Default for SortedMap<K, V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<K: Ord, V> SortedMap<K, V> {
    /// The value of `key`.
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.0
            .binary_search_by(|(k, _)| k.borrow().cmp(key))
            .ok()
            .map(|i| &self.0[i].1)
    }

    /// Whether `key` has a value.
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.get(key).is_some()
    }

    /// Sets `key` to `value`, giving back the value it replaced.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.0.binary_search_by(|(k, _)| k.cmp(&key)) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, value)),
            Err(i) => {
                self.0.insert(i, (key, value));
                None
            }
        }
    }
}

impl<K, V> SortedMap<K, V> {
    /// Entries in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + ExactSizeIterator {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// Keys in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + ExactSizeIterator {
        self.0.iter().map(|(k, _)| k)
    }

    /// Values in key order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + ExactSizeIterator {
        self.0.iter().map(|(_, v)| v)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for SortedMap<K, V> {
    /// As `BTreeMap::from_iter`: sorted, the last value of a key wins.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(entries: I) -> Self {
        let mut entries: Vec<(K, V)> = entries.into_iter().collect();
        // Stable: of equal keys, the last one given is last.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(K, V)> = Vec::with_capacity(entries.len());
        for entry in entries {
            match out.last_mut() {
                Some(last) if last.0 == entry.0 => *last = entry,
                _ => out.push(entry),
            }
        }
        Self(out)
    }
}

impl<K: Ord, V> Extend<(K, V)> for SortedMap<K, V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, entries: I) {
        for (key, value) in entries {
            self.insert(key, value);
        }
    }
}

impl<'a, K, V> IntoIterator for &'a SortedMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl<K: Serialize, V: Serialize> Serialize for SortedMap<K, V> {
    /// As a map, like `BTreeMap`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// A set as a sorted vector of unique values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortedSet<T>(Vec<T>);

impl<T> Default for SortedSet<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<T: Ord> SortedSet<T> {
    /// Whether `value` is in the set.
    pub fn contains<Q>(&self, value: &Q) -> bool
    where
        T: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.0.binary_search_by(|v| v.borrow().cmp(value)).is_ok()
    }

    /// Adds `value`; false when it was there already.
    pub fn insert(&mut self, value: T) -> bool {
        match self.0.binary_search(&value) {
            Ok(_) => false,
            Err(i) => {
                self.0.insert(i, value);
                true
            }
        }
    }
}

impl<T> SortedSet<T> {
    /// Values in order.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<T: Ord> FromIterator<T> for SortedSet<T> {
    fn from_iter<I: IntoIterator<Item = T>>(values: I) -> Self {
        let mut values: Vec<T> = values.into_iter().collect();
        values.sort();
        values.dedup();
        Self(values)
    }
}

impl<'a, T> IntoIterator for &'a SortedSet<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<T: Serialize> Serialize for SortedSet<T> {
    /// As a sequence, like `BTreeSet`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for v in &self.0 {
            seq.serialize_element(v)?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;

    #[test]
    fn a_sorted_map_behaves_as_a_btree_map() {
        let entries = [("b", 1), ("a", 2), ("c", 3), ("a", 4), ("b", 5), ("d", 6)];
        let sorted: SortedMap<&str, i32> = entries.into_iter().collect();
        let tree: BTreeMap<&str, i32> = entries.into_iter().collect();
        assert_eq!(
            sorted.iter().collect::<Vec<_>>(),
            tree.iter().collect::<Vec<_>>()
        );
        let (mut sorted, mut tree) = (sorted, tree);
        for (k, v) in [("e", 7), ("a", 8), ("0", 9)] {
            assert_eq!(sorted.insert(k, v), tree.insert(k, v));
        }
        sorted.extend([("z", 10), ("c", 11)]);
        tree.extend([("z", 10), ("c", 11)]);
        assert_eq!(
            sorted.iter().collect::<Vec<_>>(),
            tree.iter().collect::<Vec<_>>()
        );
        for key in ["0", "a", "c", "x", "z"] {
            assert_eq!(sorted.get(key), tree.get(key), "{key}");
            assert_eq!(sorted.contains_key(key), tree.contains_key(key), "{key}");
        }
        assert_eq!(sorted.len(), tree.len());
        assert_eq!(
            serde_json::to_string(&sorted).ok(),
            serde_json::to_string(&tree).ok()
        );
    }

    #[test]
    fn a_sorted_set_behaves_as_a_btree_set() {
        let values = [3, 1, 2, 3, 1, 5];
        let sorted: SortedSet<i32> = values.into_iter().collect();
        let tree: BTreeSet<i32> = values.into_iter().collect();
        assert_eq!(
            sorted.iter().collect::<Vec<_>>(),
            tree.iter().collect::<Vec<_>>()
        );
        let (mut sorted, mut tree) = (sorted, tree);
        for v in [4, 1, 0] {
            assert_eq!(sorted.insert(v), tree.insert(v));
        }
        for v in 0..7 {
            assert_eq!(sorted.contains(&v), tree.contains(&v), "{v}");
        }
        assert_eq!(sorted.len(), tree.len());
        assert_eq!(
            serde_json::to_string(&sorted).ok(),
            serde_json::to_string(&tree).ok()
        );
    }
}
