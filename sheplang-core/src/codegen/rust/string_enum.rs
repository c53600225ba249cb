//! The shape shared by the generated string-like enums (`Channel`, `ModelName`, the lifecycle
//! enums): a unit enum that serialises, prints and parses as one string per variant.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

/// What differs between the string-like enums; [`StringEnum::tokens`] writes the rest.
pub(super) struct StringEnum {
    /// The enum's `///` attributes.
    pub doc: TokenStream,
    pub ty: Ident,
    /// `#[serde(crate = ...)]`.
    pub serde: TokenStream,
    /// Clippy allows the spec's names may need.
    pub allow: Option<TokenStream>,
    /// The variants, with their docs and `#[serde(rename)]`s.
    pub variants: Vec<TokenStream>,
    /// The items of `impl Ty { ... }` (`ALL`, `NAMES`, `as_str`, ...).
    pub inherent: TokenStream,
    /// `FromStr::Err`.
    pub error: TokenStream,
    /// `"name" => Ok(Self::Variant),` for each string that parses.
    pub parse_arms: Vec<TokenStream>,
    /// The `Err(...)` for any other string.
    pub parse_failure: TokenStream,
}

impl StringEnum {
    /// The enum, its inherent impl, `Display` (the string, padded like `str`) and `FromStr`.
    pub(super) fn tokens(&self) -> TokenStream {
        let StringEnum {
            doc,
            ty,
            serde,
            allow,
            variants,
            inherent,
            error,
            parse_arms,
            parse_failure,
        } = self;
        let from_str = if parse_arms.is_empty() {
            quote!(#parse_failure)
        } else {
            quote! {
                match s {
                    #(#parse_arms)*
                    _ => #parse_failure,
                }
            }
        };
        quote! {
            #doc
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::sheplang::__private::serde::Serialize, ::sheplang::__private::serde::Deserialize)]
            #serde
            #allow
            pub enum #ty {
                #(#variants)*
            }

            impl #ty {
                #inherent
            }

            impl ::core::fmt::Display for #ty {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.pad(self.as_str())
                }
            }

            impl ::core::str::FromStr for #ty {
                type Err = #error;

                fn from_str(s: &str) -> ::core::result::Result<Self, Self::Err> {
                    #from_str
                }
            }
        }
    }
}
