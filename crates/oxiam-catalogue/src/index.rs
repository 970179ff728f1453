//! Case-insensitive name lookup without allocating: a sorted list of (hash of the ASCII
//! lower-cased name, position), searched by binary search and confirmed by comparing the
//! names, so two names with one hash are both found.
//!
//! IAM names (prefixes, actions, condition keys) are case-insensitive; lower-casing every
//! looked-up name into a new `String` would allocate on each lookup.

/// Positions `T` of names, found by name in any ASCII case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FoldedIndex<T> {
    // INVARIANT (sorted): sorted by hash, so the entries of one hash are adjacent.
    entries: Vec<(u64, T)>,
}

impl<T> Default for FoldedIndex<T> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
        }
    }
}

impl<T: Copy> FoldedIndex<T> {
    /// An index of `entries` (hash from [`fold_hash`], position). With several entries of
    /// one name, lookups find the first of them in `entries`.
    pub(crate) fn new(mut entries: Vec<(u64, T)>) -> Self {
        // Stable: the first of several equal names stays first.
        entries.sort_by_key(|(hash, _)| *hash);
        Self { entries }
    }

    /// The position of `name`, `name_at` giving the name at a position.
    pub(crate) fn find<'a>(&self, name: &str, name_at: impl Fn(T) -> Option<&'a str>) -> Option<T> {
        let hash = fold_hash(name);
        let start = self.entries.partition_point(|(h, _)| *h < hash);
        self.entries
            .get(start..)?
            .iter()
            .take_while(|(h, _)| *h == hash)
            .map(|(_, at)| *at)
            .find(|at| name_at(*at).is_some_and(|n| n.eq_ignore_ascii_case(name)))
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

/// FNV-1a (64 bits) of `name` with ASCII letters lower-cased.
pub(crate) fn fold_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte.to_ascii_lowercase())).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_any_case_and_both_names_of_one_hash() {
        let names = ["GetObject", "PutObject", "getbucket"];
        let mut entries: Vec<(u64, u32)> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (fold_hash(n), i as u32))
            .collect();
        // A colliding hash: both names must still be found by their own name.
        entries.push((fold_hash("GetObject"), 2));
        let index = FoldedIndex::new(entries);
        let name_at = |i: u32| names.get(i as usize).copied();
        assert_eq!(index.find("getobject", name_at), Some(0));
        assert_eq!(index.find("GETOBJECT", name_at), Some(0));
        assert_eq!(index.find("PutObject", name_at), Some(1));
        assert_eq!(index.find("GetBucket", name_at), Some(2));
        assert_eq!(index.find("DeleteObject", name_at), None);
        assert_eq!(fold_hash("AbC"), fold_hash("aBc"));
        assert_ne!(fold_hash("abc"), fold_hash("abd"));
    }
}
