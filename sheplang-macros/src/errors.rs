//! Collecting errors (serde_derive's `Ctxt`, without its panic on drop): every problem of one
//! macro call is reported at once, each on its own span.

use proc_macro2::{Ident, Span, TokenStream};

/// The errors of one macro call. Turn it into a result with [`Errors::finish`]; it is
/// `#[must_use]`, so it cannot be dropped unchecked by accident.
#[must_use]
#[derive(Debug, Default)]
pub(crate) struct Errors {
    list: Vec<syn::Error>,
}

impl Errors {
    pub(crate) fn new() -> Self {
        Errors::default()
    }

    /// An error on one token.
    pub(crate) fn at(&mut self, span: Span, message: impl std::fmt::Display) {
        self.list.push(syn::Error::new(span, message));
    }

    /// An error covering the tokens from `first` to `last`.
    pub(crate) fn between(&mut self, first: Span, last: Span, message: impl std::fmt::Display) {
        self.list.push(error_between(first, last, message));
    }

    pub(crate) fn push(&mut self, error: syn::Error) {
        self.list.push(error);
    }

    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// `Ok` when nothing was reported, else every error combined.
    pub(crate) fn finish(self) -> Result<(), syn::Error> {
        let mut iter = self.list.into_iter();
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
    fn lists_names_as_code() {
        assert_eq!(code_list(&["Task", "User"]), "`Task`, `User`");
        assert_eq!(code_list(&["tasks".to_owned()]), "`tasks`");
        assert_eq!(code_list::<&str>(&[]), "");
    }
}
