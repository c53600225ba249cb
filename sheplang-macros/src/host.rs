//! `#[derive(Model)]`: a host's own struct checked against a model of a spec.
//!
//! Split by concern, as serde_derive's internals: [`Attrs`] reads `#[sheplang(...)]`,
//! [`check_fields`] compares the fields by name (missing, unknown with a suggestion), and the
//! expansion makes rustc compare the types: `From<Host> for <generated row>` moves each host field into the
//! generated field, with the move spanned at the host field's type, so a wrong type is an
//! ordinary `mismatched types` error (expected the spec's type, found the host's) on that type.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{format_ident, quote, quote_spanned};
use sheplang_core::codegen::rust::{RowField, RowLayout, row_layout};
use sheplang_core::ir;
use sheplang_core::suggest::closest;
use syn::ext::IdentExt as _;
use syn::spanned::Spanned as _;
use syn::{DeriveInput, Ident, LitStr};

use crate::errors::{Errors, code_list};
use crate::{file, registry};

const USAGE: &str = "#[sheplang(spec = \"tasks\", model = \"Task\")]";

/// Where the spec comes from.
enum Source {
    /// `spec = "tasks"`: registered by `build.rs`.
    Registered(LitStr),
    /// `file = "specs/tasks.shep"`: read directly.
    File(LitStr),
}

/// `#[sheplang(spec = "...", model = "...", module = path)]` on the struct.
struct Attrs {
    source: Option<Source>,
    model: Option<LitStr>,
    module: Option<syn::Path>,
}

impl Attrs {
    fn parse(input: &DeriveInput, errors: &mut Errors) -> Attrs {
        let mut attrs = Attrs {
            source: None,
            model: None,
            module: None,
        };
        for attr in input.attrs.iter().filter(|a| a.path().is_ident("sheplang")) {
            let result = attr.parse_nested_meta(|meta| {
                let key = meta.path.get_ident().map(Ident::to_string);
                match key.as_deref() {
                    Some("spec" | "file") => {
                        let example = if key.as_deref() == Some("spec") {
                            "spec = \"tasks\""
                        } else {
                            "file = \"specs/tasks.shep\""
                        };
                        let lit = string(&meta, example)?;
                        if attrs.source.is_some() {
                            errors.at(
                                meta.path.span(),
                                "the spec is given twice\nhelp: keep one `spec = \"...\"` or \
                                 `file = \"...\"`",
                            );
                        } else if key.as_deref() == Some("spec") {
                            attrs.source = Some(Source::Registered(lit));
                        } else {
                            attrs.source = Some(Source::File(lit));
                        }
                    }
                    Some("model") => {
                        let lit = string(&meta, "model = \"Task\"")?;
                        if attrs.model.replace(lit).is_some() {
                            errors.at(meta.path.span(), "`model` is given twice\nhelp: keep one");
                        }
                    }
                    Some("module") => {
                        let value = meta.value()?;
                        let path = if value.peek(LitStr) {
                            value.parse::<LitStr>()?.parse::<syn::Path>()?
                        } else {
                            value.parse::<syn::Path>()?
                        };
                        if attrs.module.replace(path).is_some() {
                            errors.at(meta.path.span(), "`module` is given twice\nhelp: keep one");
                        }
                    }
                    _ => {
                        let name = meta
                            .path
                            .get_ident()
                            .map_or_else(|| "?".to_owned(), Ident::to_string);
                        let keys = ["spec", "file", "model", "module"];
                        let help = match closest(&name, keys) {
                            Some(close) => format!("did you mean `{close}`?"),
                            None => "the keys are `spec`, `file`, `model` and `module`".to_owned(),
                        };
                        return Err(meta.error(format!(
                            "unknown `sheplang` attribute key `{name}`\nhelp: {help}"
                        )));
                    }
                }
                Ok(())
            });
            if let Err(e) = result {
                errors.push(e);
            }
        }
        attrs
    }
}

/// The string value of `key = "..."`; an error with an example otherwise.
fn string(meta: &syn::meta::ParseNestedMeta<'_>, example: &str) -> syn::Result<LitStr> {
    let value = meta.value()?;
    value.parse::<LitStr>().map_err(|e| {
        syn::Error::new(
            e.span(),
            format!("{e}\nhelp: the value is a string: `{example}`"),
        )
    })
}

/// The expansion of `#[derive(Model)]`.
pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(e) => return e.into_compile_error(),
    };
    let mut errors = Errors::new();
    let fields = named_fields(&input, &mut errors);
    if !input.generics.params.is_empty() {
        let (lt, gt) = (input.generics.lt_token, input.generics.gt_token);
        let first = lt.map_or_else(|| input.generics.span(), |t| t.span);
        let last = gt.map_or(first, |t| t.span);
        errors.between(
            first,
            last,
            "`#[derive(sheplang::Model)]` does not take generic structs\nhelp: a model row has \
             fixed field types; remove the generic parameters",
        );
    }
    let before = errors.len();
    let attrs = Attrs::parse(&input, &mut errors);
    let attr_errors = errors.len() > before;
    let (source, model) = match (attrs.source, attrs.model) {
        (Some(source), Some(model)) => (source, model),
        // A misspelt key is reported already; "needs `model`" would say it twice.
        _ if attr_errors => return errors.into_tokens(),
        (source, _) => {
            let missing = if source.is_none() {
                "`spec` and `model`"
            } else {
                "`model`"
            };
            errors.at(
                input.ident.span(),
                format!(
                    "`#[derive(sheplang::Model)]` needs {missing}: the spec registered by \
                     `build.rs` and the model this struct stands for\nhelp: add `{USAGE}`"
                ),
            );
            return errors.into_tokens();
        }
    };
    let (loaded, stem) = match &source {
        Source::Registered(lit) => (registry::load(lit), lit.value()),
        Source::File(lit) => {
            let value = lit.value();
            let stem = std::path::Path::new(&value)
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("")
                .to_owned();
            (file::load(lit), stem)
        }
    };
    let source_span = match &source {
        Source::Registered(lit) | Source::File(lit) => lit.span(),
    };
    let loaded = match loaded {
        Ok(loaded) => loaded,
        Err(e) => {
            errors.push(e);
            return errors.into_tokens();
        }
    };
    let Some(layout) = row_layout(&loaded.spec, &model.value()) else {
        errors.push(unknown_model(&loaded.spec, &stem, &model));
        return errors.into_tokens();
    };
    let module = match attrs.module {
        Some(module) => quote!(#module),
        None => match default_module(&stem, source_span) {
            Ok(module) => module,
            Err(e) => {
                errors.push(e);
                return errors.into_tokens();
            }
        },
    };
    let Some(fields) = fields else {
        return errors.into_tokens();
    };
    let Some(ir_model) = loaded.spec.model(&model.value()) else {
        return errors.into_tokens();
    };

    let matched = check_fields(&input.ident, fields, &layout, ir_model, &model, &mut errors);
    let row_ident = match syn::parse_str::<Ident>(&layout.ty) {
        Ok(mut ident) => {
            ident.set_span(model.span());
            ident
        }
        Err(_) => {
            errors.at(
                model.span(),
                "the generated name of this model is not an identifier\nhelp: this is a bug in \
                 sheplang; please report it with the spec",
            );
            return errors.into_tokens();
        }
    };
    if !input.generics.params.is_empty() {
        // Reported above; impls without the parameters would only add errors.
        return errors.into_tokens();
    }
    let row = quote_spanned!(model.span()=> #module::#row_ident);
    let host = &input.ident;
    let complete = errors.is_empty();
    let conversion = complete.then(|| conversion(host, &row, &matched));
    let model_impl = model_impl(host, &row, &matched);
    let serialize = serialize_impl(host, ir_model, &matched);
    let track = loaded.track;
    let errors = errors.into_tokens();
    quote! {
        #errors
        const _: () = {
            #track
            #conversion
            #model_impl
            #serialize
        };
    }
}

/// The named fields of a struct; an error for anything else.
fn named_fields<'a>(
    input: &'a DeriveInput,
    errors: &mut Errors,
) -> Option<&'a syn::punctuated::Punctuated<syn::Field, syn::Token![,]>> {
    match &input.data {
        syn::Data::Struct(data) => match &data.fields {
            syn::Fields::Named(named) => Some(&named.named),
            _ => {
                errors.at(
                    input.ident.span(),
                    "`#[derive(sheplang::Model)]` needs a struct with named fields\nhelp: name \
                     the fields as the generated row does (`id`, then the spec's fields in \
                     snake case)",
                );
                None
            }
        },
        _ => {
            errors.at(
                input.ident.span(),
                "`#[derive(sheplang::Model)]` only applies to a struct\nhelp: a model row is a \
                 struct with one field per spec field",
            );
            None
        }
    }
}

/// `crate::<stem>`, the module `sheplang::include_spec!("<stem>")` goes in by convention.
fn default_module(stem: &str, span: Span) -> Result<TokenStream, syn::Error> {
    match syn::parse_str::<Ident>(stem) {
        Ok(mut ident) => {
            ident.set_span(span);
            let krate = Ident::new("crate", span);
            Ok(quote!(#krate::#ident))
        }
        Err(_) => Err(syn::Error::new(
            span,
            format!(
                "`{stem}` cannot be a module name, so the generated module cannot be found by \
                 the spec's name\nhelp: say where `sheplang::include_spec!(\"{stem}\")` is: \
                 `module = crate::path::to::it`"
            ),
        )),
    }
}

fn unknown_model(spec: &ir::Spec, stem: &str, model: &LitStr) -> syn::Error {
    let name = model.value();
    let names: Vec<&str> = spec.models.iter().map(|m| m.name.as_str()).collect();
    let help = match closest(&name, names.iter().copied()) {
        Some(close) => format!("did you mean `{close}`?"),
        None if names.is_empty() => format!("the spec `{stem}` declares no `data` models"),
        None => format!("the models of `{stem}` are {}", code_list(&names)),
    };
    syn::Error::new(
        model.span(),
        format!(
            "the spec `{stem}` (app `{}`) has no model `{name}`\nhelp: {help}",
            spec.app
        ),
    )
}

/// A host field that matched a field of the generated row.
struct Matched<'a> {
    host: &'a syn::Field,
    layout: &'a RowField,
    /// The index of `layout` in the row: the order of the wire row.
    index: usize,
}

impl Matched<'_> {
    fn ident(&self) -> Option<&Ident> {
        self.host.ident.as_ref()
    }
}

/// Pairs host fields with the row's fields by name; reports unknown and missing fields.
fn check_fields<'a>(
    host: &Ident,
    fields: &'a syn::punctuated::Punctuated<syn::Field, syn::Token![,]>,
    layout: &'a RowLayout,
    model: &ir::Model,
    model_lit: &LitStr,
    errors: &mut Errors,
) -> Vec<Matched<'a>> {
    let unraw = |name: &str| name.strip_prefix("r#").unwrap_or(name).to_owned();
    let rust_names: Vec<String> = layout.fields.iter().map(|f| unraw(&f.name)).collect();
    let mut matched = Vec::new();
    let mut seen = vec![false; layout.fields.len()];
    let mut unknown: Vec<&Ident> = Vec::new();
    for field in fields {
        for attr in field.attrs.iter().filter(|a| a.path().is_ident("sheplang")) {
            errors.at(
                attr.span(),
                "`#[sheplang(...)]` goes on the struct, not on a field\nhelp: a field matches \
                 the row's field of the same name; rename the field instead",
            );
        }
        let Some(ident) = &field.ident else { continue };
        let name = ident.unraw().to_string();
        match rust_names.iter().position(|n| *n == name) {
            Some(i) => {
                seen[i] = true;
                matched.push(Matched {
                    host: field,
                    layout: &layout.fields[i],
                    index: i,
                });
            }
            None => unknown.push(ident),
        }
    }
    // An unknown field is most likely a missing one misspelt or renamed: suggest among the
    // missing fields first, and then do not report that one as missing too.
    let mut suggested = vec![false; layout.fields.len()];
    for ident in unknown {
        let name = ident.unraw().to_string();
        let missing = (0..layout.fields.len()).filter(|&i| !seen[i] && !suggested[i]);
        let by_wire = layout
            .fields
            .iter()
            .position(|f| f.wire == name && unraw(&f.name) != name);
        let missing: Vec<&str> = missing.map(|i| rust_names[i].as_str()).collect();
        let close_missing = closest(&name, missing.iter().copied())
            .and_then(|close| rust_names.iter().position(|n| n == close));
        let help = if let Some(i) = by_wire {
            suggested[i] = !seen[i];
            format!("the spec's `{name}` is the Rust field `{}`", rust_names[i])
        } else if let Some(i) = close_missing {
            suggested[i] = true;
            format!("did you mean `{}`?", rust_names[i])
        } else if let Some(close) = closest(&name, rust_names.iter().map(String::as_str)) {
            format!("did you mean `{close}`?")
        } else {
            format!(
                "the fields of `{}` are {}",
                layout.ty,
                code_list(&rust_names)
            )
        };
        errors.at(
            ident.span(),
            format!(
                "the model `{}` has no field `{name}`\nhelp: {help}",
                model_lit.value()
            ),
        );
    }
    for (i, field) in layout.fields.iter().enumerate() {
        if seen[i] || suggested[i] {
            continue;
        }
        let declared = match field.spec_index.and_then(|i| model.fields.get(i)) {
            Some(f) => format!("the spec declares `{}`", declaration(f)),
            None => "every row has an `id`".to_owned(),
        };
        errors.at(
            host.span(),
            format!(
                "`{host}` lacks the field `{}` of the model `{}`\nhelp: add `{}: {}` ({declared})",
                unraw(&field.name),
                model_lit.value(),
                field.name,
                type_display(&field.ty)
            ),
        );
    }
    matched
}

/// `name: type[] optional` as the spec would write the field.
fn declaration(field: &ir::Field) -> String {
    let mut out = format!("{}: {}", field.name, field.ty.spec_name());
    if field.list {
        out.push_str("[]");
    }
    if field.optional {
        out.push_str(" optional");
    }
    out
}

/// A type as a person writes it: paths shortened to their last segment
/// (`::core::option::Option<::std::string::String>` is `Option<String>`).
fn type_display(ty: &TokenStream) -> String {
    let Ok(ty) = syn::parse2::<syn::Type>(ty.clone()) else {
        return ty.to_string();
    };
    fn show(ty: &syn::Type) -> String {
        match ty {
            syn::Type::Path(p) => match p.path.segments.last() {
                Some(seg) => {
                    let mut out = seg.ident.to_string();
                    if let syn::PathArguments::AngleBracketed(args) = &seg.arguments {
                        let inner: Vec<String> = args
                            .args
                            .iter()
                            .map(|a| match a {
                                syn::GenericArgument::Type(t) => show(t),
                                other => quote!(#other).to_string(),
                            })
                            .collect();
                        out.push('<');
                        out.push_str(&inner.join(", "));
                        out.push('>');
                    }
                    out
                }
                None => quote!(#p).to_string(),
            },
            other => quote!(#other).to_string(),
        }
    }
    show(&ty)
}

/// The first and last token of a type: the span of an expression standing for it.
fn type_spans(ty: &syn::Type) -> (Span, Span) {
    fn last_of(stream: TokenStream) -> Option<Span> {
        stream.into_iter().last().map(|tt| match tt {
            TokenTree::Group(g) => g.span_close(),
            other => other.span(),
        })
    }
    let tokens = quote!(#ty);
    let first = tokens
        .clone()
        .into_iter()
        .next()
        .map_or_else(Span::call_site, |tt| match tt {
            TokenTree::Group(g) => g.span_open(),
            other => other.span(),
        });
    (first, last_of(tokens).unwrap_or(first))
}

/// `impl From<Host> for <row>`: the type check. Each host field moves into the row's field of
/// the same name; the move is spanned at the host field's type.
fn conversion(host: &Ident, row: &TokenStream, matched: &[Matched<'_>]) -> TokenStream {
    let inits = matched.iter().filter_map(|m| {
        let ident = m.ident()?;
        let (first, last) = type_spans(&m.host.ty);
        // Located at the host's type, but from the expansion: rustc reports the mismatch there
        // without suggesting edits to the expression it cannot see (`Some(String)`).
        let (first, last) = (
            Span::call_site().located_at(first),
            Span::call_site().located_at(last),
        );
        let target = syn::parse_str::<Ident>(&m.layout.name).ok()?;
        let from = Ident::new("row", first);
        let field = {
            let mut f = ident.clone();
            f.set_span(last);
            f
        };
        let dot = quote_spanned!(last=> .);
        Some(quote!(#target: #from #dot #field,))
    });
    quote! {
        impl ::core::convert::From<#host> for #row {
            fn from(row: #host) -> Self {
                Self {
                    #(#inits)*
                }
            }
        }
    }
}

/// `impl sheplang::Model for Host`: the generated row's spec, name and channel.
fn model_impl(host: &Ident, row: &TokenStream, matched: &[Matched<'_>]) -> Option<TokenStream> {
    let id = matched.iter().find(|m| m.layout.name == "id")?.ident()?;
    Some(quote! {
        impl ::sheplang::Model for #host {
            type Spec = <#row as ::sheplang::Model>::Spec;
            const NAME: &'static str = <#row as ::sheplang::Model>::NAME;

            fn channel() -> <Self::Spec as ::sheplang::Spec>::Channel {
                <#row as ::sheplang::Model>::channel()
            }

            fn id(&self) -> &str {
                ::core::convert::AsRef::<str>::as_ref(&self.#id)
            }
        }
    })
}

/// `impl Serialize for Host`: the wire row, as the generated row serialises (the spec's names,
/// `id` first, an optional field absent when `None`).
fn serialize_impl(host: &Ident, model: &ir::Model, matched: &[Matched<'_>]) -> TokenStream {
    let serde = quote!(::sheplang::__private::serde);
    let name = &model.name;
    let len = matched.len();
    // In the row's order (`id` first, then the spec's), whatever the host struct's order.
    let mut ordered: Vec<&Matched<'_>> = matched.iter().collect();
    ordered.sort_by_key(|m| m.index);
    let fields = ordered.into_iter().filter_map(|m| {
        let ident = m.ident()?;
        let wire = &m.layout.wire;
        let span = m.host.ty.span();
        Some(if m.layout.optional {
            quote_spanned! {span=>
                if (&__Probe(&self.#ident)).__is_none() {
                    #serde::ser::SerializeStruct::skip_field(&mut row, #wire)?;
                } else {
                    #serde::ser::SerializeStruct::serialize_field(&mut row, #wire, &self.#ident)?;
                }
            }
        } else {
            quote_spanned! {span=>
                #serde::ser::SerializeStruct::serialize_field(&mut row, #wire, &self.#ident)?;
            }
        })
    });
    let probe = format_ident!("__Probe");
    quote! {
        // `(&__Probe(&x)).__is_none()` is `x.is_none()` for an `Option` and `false` for any
        // other type, so a wrong field type is reported once, by the conversion, not here too.
        struct #probe<'a, T: ?Sized>(&'a T);
        trait __IsNoneOption {
            fn __is_none(&self) -> bool;
        }
        impl<T> __IsNoneOption for #probe<'_, ::core::option::Option<T>> {
            fn __is_none(&self) -> bool {
                self.0.is_none()
            }
        }
        trait __IsNoneOther {
            fn __is_none(&self) -> bool {
                false
            }
        }
        impl<T: ?Sized> __IsNoneOther for &#probe<'_, T> {}

        impl #serde::Serialize for #host {
            fn serialize<__S: #serde::Serializer>(
                &self,
                serializer: __S,
            ) -> ::core::result::Result<__S::Ok, __S::Error> {
                let mut row = #serde::Serializer::serialize_struct(serializer, #name, #len)?;
                #(#fields)*
                #serde::ser::SerializeStruct::end(row)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_field_names_are_identifiers() {
        // `conversion` rebuilds the row's field names and `expand` the row's type name; a raw
        // one must parse too.
        assert!(syn::parse_str::<Ident>("r#type").is_ok());
        assert!(syn::parse_str::<Ident>("due_date").is_ok());
        // Every name the generator gives, keywords and generated items' names included.
        let spec = "app Tricky {
            data Spec { fields: { self: text crate: text super: text type: text match: text } }
            data ModelName { fields: { userId: text user_id: text Id: text id: text } }
            data Self { fields: { async: text dueDate: date optional } }
            data order_item { fields: { qty: number } }
        }";
        let (_, result) = sheplang_core::compile_str("tricky.shep", spec);
        let spec = result.expect("the spec compiles").spec;
        for model in &spec.models {
            let layout = row_layout(&spec, &model.name).expect("the model's layout");
            assert!(syn::parse_str::<Ident>(&layout.ty).is_ok(), "{}", layout.ty);
            assert_eq!(layout.fields[0].name, "id");
            for field in &layout.fields {
                assert!(
                    syn::parse_str::<Ident>(&field.name).is_ok(),
                    "{}.{}",
                    model.name,
                    field.name
                );
            }
        }
    }

    #[test]
    fn suggests_through_swapped_letters() {
        assert_eq!(
            sheplang_core::suggest::distance("modle", "model", 1),
            Some(1)
        );
        assert_eq!(
            closest("modle", ["spec", "file", "model", "module"]),
            Some("model")
        );
        assert_eq!(closest("emial", ["name", "email"]), Some("email"));
        assert_eq!(closest("Tsk", ["Task", "User"]), Some("Task"));
        assert_eq!(closest("order", ["Task", "User"]), None);
    }

    /// The suggestion cases shared with the compiler and the facade
    /// (sheplang-core/tests/suggest_cases.txt): a host struct whose only field is the
    /// misspelling, against a model whose fields are the candidates, gets the table's answer.
    #[test]
    fn the_derive_answers_as_the_shared_table_says() {
        let table = include_str!("../../sheplang-core/tests/suggest_cases.txt");
        let mut seen = 0;
        for line in table
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        {
            let (typo, rest) = line.split_once(':').expect("`typo: candidates => answer`");
            let (candidates, answer) = rest.split_once("=>").expect("`=> answer`");
            let (typo, answer) = (typo.trim(), answer.trim());
            let fields: Vec<String> = candidates
                .split_whitespace()
                .map(|c| format!("{c}: text"))
                .collect();
            let spec = format!(
                "app A {{ data M {{ fields: {{ {} }} }} }}",
                fields.join(" ")
            );
            let (_, result) = sheplang_core::compile_str("case.shep", &spec);
            let spec = result.expect("the case's spec compiles").spec;
            let layout = row_layout(&spec, "M").expect("the model's layout");
            let host: syn::FieldsNamed =
                syn::parse_str(&format!("{{ {typo}: String }}")).expect("a field");
            let mut errors = Errors::new();
            check_fields(
                &format_ident!("Host"),
                &host.named,
                &layout,
                &spec.models[0],
                &LitStr::new("M", Span::call_site()),
                &mut errors,
            );
            let messages: Vec<String> = match errors.finish() {
                Ok(()) => Vec::new(),
                Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
            };
            let unknown = messages
                .iter()
                .find(|m| m.contains(&format!("has no field `{typo}`")))
                .unwrap_or_else(|| panic!("`{typo}`: {messages:?}"));
            let got = unknown
                .split_once("did you mean `")
                .and_then(|(_, rest)| rest.split_once('`'))
                .map(|(name, _)| name);
            let want = (answer != "-").then_some(answer);
            assert_eq!(got, want, "`{typo}` among {candidates}: {unknown}");
            seen += 1;
        }
        assert!(seen > 10, "the table lost its cases");
    }

    #[test]
    fn shows_types_as_written() {
        let ty = quote!(::core::option::Option<::std::vec::Vec<::sheplang::Ref<User>>>);
        assert_eq!(type_display(&ty), "Option<Vec<Ref<User>>>");
    }
}
