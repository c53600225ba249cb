//! [`Ref`]: a typed id of a row of another model.

use core::cmp::Ordering;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::marker::PhantomData;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Model;

/// The id of a row of model `M`: the spec's `ref[M]`.
///
/// On the wire it is the plain id string (serde-transparent). The type parameter only records
/// which model the id belongs to, so a `Ref<User>` cannot be passed where a `Ref<Task>` is
/// expected. It is held as `PhantomData<fn() -> M>`, so `Ref<M>` is `Send`, `Sync`, `Clone`,
/// `Eq`, `Hash` and `Ord` whatever `M` is.
///
/// ```
/// use sheplang::Ref;
///
/// struct User; // any type works as the marker
/// let author: Ref<User> = Ref::new("u-1");
/// assert_eq!(author.as_str(), "u-1");
/// assert_eq!(author.to_string(), "u-1");
/// assert_eq!(serde_json::to_string(&author)?, r#""u-1""#);
/// let back: Ref<User> = serde_json::from_str(r#""u-1""#)?;
/// assert_eq!(back, author);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub struct Ref<M: ?Sized> {
    id: String,
    model: PhantomData<fn() -> M>,
}

impl<M: ?Sized> Ref<M> {
    /// A reference to the row with this id.
    pub fn new(id: impl Into<String>) -> Self {
        Ref {
            id: id.into(),
            model: PhantomData,
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.id
    }

    /// The id as an owned string.
    pub fn into_string(self) -> String {
        self.id
    }
}

impl<M: Model> Ref<M> {
    /// A reference to `row` (its [`Model::id`]).
    pub fn of(row: &M) -> Self {
        Ref::new(row.id())
    }
}

impl<M: ?Sized> Clone for Ref<M> {
    fn clone(&self) -> Self {
        Ref::new(self.id.clone())
    }
}

impl<M: ?Sized> PartialEq for Ref<M> {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl<M: ?Sized> Eq for Ref<M> {}

impl<M: ?Sized> PartialOrd for Ref<M> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<M: ?Sized> Ord for Ref<M> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.id.cmp(&other.id)
    }
}

impl<M: ?Sized> Hash for Ref<M> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}

impl<M: ?Sized> fmt::Debug for Ref<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ref({:?})", self.id)
    }
}

impl<M: ?Sized> fmt::Display for Ref<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

impl<M: ?Sized> AsRef<str> for Ref<M> {
    fn as_ref(&self) -> &str {
        &self.id
    }
}

impl<M: ?Sized> From<String> for Ref<M> {
    fn from(id: String) -> Self {
        Ref::new(id)
    }
}

impl<M: ?Sized> From<&str> for Ref<M> {
    fn from(id: &str) -> Self {
        Ref::new(id)
    }
}

impl<M: ?Sized> Serialize for Ref<M> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.id)
    }
}

impl<'de, M: ?Sized> Deserialize<'de> for Ref<M> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Ref::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Not Send, not Sync, not Clone: `Ref` must not care.
    struct Awkward(#[allow(dead_code, reason = "only a marker")] std::rc::Rc<()>);

    fn assert_traits<T: Send + Sync + Clone + Eq + Ord + Hash + fmt::Debug + 'static>() {}

    #[test]
    fn auto_traits_do_not_depend_on_the_model() {
        assert_traits::<Ref<Awkward>>();
        assert_traits::<Ref<str>>();
    }

    #[test]
    fn transparent_string() {
        let r: Ref<Awkward> = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(r.as_str(), "abc");
        assert_eq!(serde_json::to_value(&r).unwrap(), serde_json::json!("abc"));
        assert!(serde_json::from_str::<Ref<Awkward>>("12").is_err());
    }
}
