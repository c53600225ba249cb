//! "Did you mean" suggestions by edit distance: the one function the parser, the checks and the
//! proc macros use. The facade (`sheplang`, which does not depend on the compiler) keeps a copy
//! for its runtime errors; a test runs both, and the parser, the checks and the derive, over one
//! table of cases (`tests/suggest_cases.txt`).

/// Edit distance over chars, case-insensitive, where a swap of two neighbours counts as one
/// edit (optimal string alignment: `titel` is one edit from `title`). Bounded by `limit`
/// (returns `None` past it).
pub fn distance(a: &str, b: &str, limit: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().flat_map(char::to_lowercase).collect();
    let b: Vec<char> = b.chars().flat_map(char::to_lowercase).collect();
    if a.len().abs_diff(b.len()) > limit {
        return None;
    }
    // Three rows: the one before the previous (for swaps), the previous, the current.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 0..a.len() {
        cur[0] = i + 1;
        for j in 0..b.len() {
            let cost = usize::from(a[i] != b[j]);
            let mut d = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
            if i > 0 && j > 0 && a[i] == b[j - 1] && a[i - 1] == b[j] {
                d = d.min(before[j - 1] + 1);
            }
            cur[j + 1] = d;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    let d = prev[b.len()];
    (d <= limit).then_some(d)
}

/// The closest candidate to `name`, if one is close enough to be a likely typo: at most one
/// edit per three characters (and at least one), case-insensitive, a swap of neighbours being
/// one edit. Ties go to the candidate that sorts first; an exact match is no suggestion.
pub fn closest<'c>(name: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    // Long inputs are never typos of short names; skip the quadratic work.
    if name.len() > 64 {
        return None;
    }
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .filter_map(|c| distance(name, c, limit).map(|d| (d, c)))
        .min_by_key(|&(d, c)| (d, c))
        .map(|(_, c)| c)
}

/// A help line for an unresolved name: a suggestion when one is close, else the list of
/// what exists (when short), else nothing.
pub fn help_for(name: &str, what: &str, candidates: &[&str]) -> Option<String> {
    if let Some(c) = closest(name, candidates.iter().copied()) {
        return Some(format!("did you mean `{c}`?"));
    }
    match candidates.len() {
        0 => Some(format!("this spec declares no {what}s")),
        1..=6 => {
            let list: Vec<String> = candidates.iter().map(|c| format!("`{c}`")).collect();
            Some(format!("the {what}s declared here are {}", list.join(", ")))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(distance("kitten", "sitting", 5), Some(3));
        assert_eq!(distance("Task", "task", 0), Some(0));
        assert_eq!(distance("abc", "abcdefgh", 2), None);
        assert_eq!(distance("titel", "title", 1), Some(1));
        assert_eq!(distance("ab", "ba", 1), Some(1));
    }

    #[test]
    fn closest_prefers_small_edits() {
        assert_eq!(closest("Tsk", ["Task", "User"]), Some("Task"));
        assert_eq!(closest("Order", ["Task", "User"]), None);
    }
}
