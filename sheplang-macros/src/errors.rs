//! Collecting errors (serde_derive's `Ctxt`): every problem of one macro call is reported at
//! once, each on its own span.

use proc_macro2::{Ident, Span, TokenStream};

/// The errors of one macro call. Turn it into a result with [`Errors::finish`] or into tokens
/// with [`Errors::into_tokens`]: dropping it unchecked loses the errors, so in debug builds
/// (every proc-macro build of a dev profile) the drop panics, as serde_derive's `Ctxt` does.
#[must_use]
#[derive(Debug)]
pub(crate) struct Errors {
    /// `None` once consumed.
    list: Option<Vec<syn::Error>>,
}

impl Errors {
    pub(crate) fn new() -> Self {
        Errors {
            list: Some(Vec::new()),
        }
    }

    fn list(&mut self) -> &mut Vec<syn::Error> {
        self.list.get_or_insert_with(Vec::new)
    }

    /// An error on one token.
    pub(crate) fn at(&mut self, span: Span, message: impl std::fmt::Display) {
        self.list().push(syn::Error::new(span, message));
    }

    /// An error covering the tokens from `first` to `last`.
    pub(crate) fn between(&mut self, first: Span, last: Span, message: impl std::fmt::Display) {
        self.list().push(error_between(first, last, message));
    }

    pub(crate) fn push(&mut self, error: syn::Error) {
        self.list().push(error);
    }

    pub(crate) fn len(&self) -> usize {
        self.list.as_ref().map_or(0, Vec::len)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `Ok` when nothing was reported, else every error combined.
    pub(crate) fn finish(mut self) -> Result<(), syn::Error> {
        let mut iter = self.list.take().unwrap_or_default().into_iter();
        match iter.next() {
            None => Ok(()),
            Some(mut first) => {
                for e in iter {
                    first.combine(e);
                }
                Err(first)
            }
        }
    }

    /// The `compile_error!`s of everything reported (nothing when empty).
    pub(crate) fn into_tokens(self) -> TokenStream {
        match self.finish() {
            Ok(()) => TokenStream::new(),
            Err(e) => e.into_compile_error(),
        }
    }
}

impl Drop for Errors {
    fn drop(&mut self) {
        if cfg!(debug_assertions) && self.list.is_some() && !std::thread::panicking() {
            panic!(
                "an `Errors` was dropped without `finish` or `into_tokens`: its errors are lost"
            );
        }
    }
}

/// An error whose `compile_error!` spans `first..last`: rustc underlines from the start of one
/// token to the end of the other (the trick of `syn::Error::new_spanned`).
pub(crate) fn error_between(
    first: Span,
    last: Span,
    message: impl std::fmt::Display,
) -> syn::Error {
    let a = Ident::new("a", first);
    let b = Ident::new("b", last);
    syn::Error::new_spanned(quote::quote!(#a #b), message)
}

/// Names as code in a message: `` `a`, `b`, `c` ``.
pub(crate) fn code_list<S: AsRef<str>>(names: &[S]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{}`", n.as_ref())).collect();
    quoted.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_consumed_collector_drops_quietly() {
        let mut errors = Errors::new();
        assert!(errors.finish().is_ok());
        errors = Errors::new();
        errors.at(Span::call_site(), "wrong");
        assert_eq!(errors.len(), 1);
        assert!(errors.finish().is_err());
        assert!(Errors::new().into_tokens().is_empty());
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "dropped without `finish`")]
    fn an_unchecked_collector_panics_on_drop() {
        let mut errors = Errors::new();
        errors.at(Span::call_site(), "lost");
        drop(errors);
    }

    #[test]
    fn lists_names_as_code() {
        assert_eq!(code_list(&["Task", "User"]), "`Task`, `User`");
        assert_eq!(code_list(&["tasks".to_owned()]), "`tasks`");
        assert_eq!(code_list::<&str>(&[]), "");
    }
}
