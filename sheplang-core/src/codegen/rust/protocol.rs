//! The protocol items: the spec marker, `Channel`, `ModelName` and the event types.

use proc_macro2::TokenStream;
use quote::quote;

use super::Gen;
use super::docs::{self, code};
use super::names::{ident, is_all_caps, variant_names_may_lint};
use super::string_enum::StringEnum;

impl Gen<'_> {
    /// The unit struct implementing `sheplang::Spec`.
    pub(super) fn spec_marker(&self) -> TokenStream {
        let ty = ident(&self.names.spec);
        let channel = ident(&self.names.channel);
        let app = &self.spec.app;
        let fingerprint = &self.spec.fingerprint;
        let mut doc =
            vec![
            format!("App {} as a type: implements [`sheplang::Spec`].", code(app)),
            String::new(),
            "A realtime server is generic over it; its associated items name the protocol: the \
             app, the schema fingerprint sent in `connected`, and the channels."
                .to_owned(),
        ];
        doc.extend(self.renamed_note(&self.names.spec, "Spec"));
        let doc = docs::attrs(&doc);
        quote! {
            #doc
            #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
            pub struct #ty;

            impl #ty {
                /// The app's name as written in the spec.
                pub const APP: &'static str = #app;
                /// The digest of everything in the spec that shapes the wire protocol.
                pub const FINGERPRINT: &'static str = #fingerprint;
            }

            impl ::sheplang::Spec for #ty {
                const APP: &'static str = #app;
                const FINGERPRINT: &'static str = #fingerprint;
                type Channel = #channel;
            }
        }
    }

    /// A note for a generated item that had to give its usual name to a model.
    fn renamed_note(&self, actual: &str, usual: &str) -> Option<String> {
        (actual != usual).then(|| {
            format!("Usually called `{usual}`; renamed because the spec has a model of that name.")
        })
    }

    /// The `Channel` enum.
    pub(super) fn channel_enum(&self) -> TokenStream {
        let ty = ident(&self.names.channel);
        let model_name = ident(&self.names.model_name);
        let serde = self.serde_crate();
        let variants: Vec<_> = self.names.models.iter().map(|m| ident(&m.ty)).collect();
        let strings: Vec<&str> = self
            .spec
            .models
            .iter()
            .map(|m| m.channel.as_str())
            .collect();
        let first = match (self.names.models.first(), strings.first()) {
            (Some(m), Some(s)) => format!(
                "`\"{s}\".parse::<{}>()` is [`{}::{}`]; anything else is a \
                 [`sheplang::UnknownChannel`] error.",
                self.names.channel, self.names.channel, m.ty
            ),
            _ => "The spec has no models, so there are no channels.".to_owned(),
        };
        let mut doc = vec![
            format!(
                "The channels of app {}: one per model, named after it.",
                code(&self.spec.app)
            ),
            String::new(),
            "A channel is the lower-cased model name and the Socket.IO room of the model's \
             events. It prints and serialises as that string and parses only from it:"
                .to_owned(),
            first,
        ];
        doc.extend(self.renamed_note(&self.names.channel, "Channel"));
        let doc = docs::attrs(&doc);
        let defs = self.spec.models.iter().zip(&variants).map(|(m, v)| {
            let s = &m.channel;
            let doc = docs::attrs(&[format!(
                "{}: the events of [`{}`].",
                code(&format!("\"{s}\"")),
                v
            )]);
            quote! {
                #doc
                #[serde(rename = #s)]
                #v,
            }
        });
        let as_str = self.match_self(
            variants
                .iter()
                .zip(&strings)
                .map(|(v, s)| quote!(Self::#v => #s,)),
        );
        let model = self.match_self(
            variants
                .iter()
                .map(|v| quote!(Self::#v => #model_name::#v,)),
        );
        let enum_tokens = StringEnum {
            doc,
            ty: ty.clone(),
            serde,
            allow: self.enum_allows(&self.names.channel),
            variants: defs.collect(),
            inherent: quote! {
                /// Every channel, in the order of the spec.
                pub const ALL: &'static [Self] = &[#(Self::#variants),*];
                /// Every channel string, in the same order.
                pub const NAMES: &'static [&'static str] = &[#(#strings),*];

                /// The lower-case channel string: the room name.
                pub const fn as_str(self) -> &'static str {
                    #as_str
                }

                /// The model whose events this channel carries.
                pub const fn model(self) -> #model_name {
                    #model
                }
            },
            error: quote!(::sheplang::UnknownChannel),
            parse_arms: variants
                .iter()
                .zip(&strings)
                .map(|(v, s)| quote!(#s => ::core::result::Result::Ok(Self::#v),))
                .collect(),
            parse_failure: quote!(::core::result::Result::Err(
                ::sheplang::UnknownChannel::new(s, Self::NAMES)
            )),
        }
        .tokens();
        quote! {
            #enum_tokens

            impl ::sheplang::Channel for #ty {
                const ALL: &'static [Self] = Self::ALL;
                const NAMES: &'static [&'static str] = Self::NAMES;

                fn as_str(self) -> &'static str {
                    Self::as_str(self)
                }

                fn model_name(self) -> &'static str {
                    Self::model(self).as_str()
                }
            }
        }
    }

    /// The `ModelName` enum.
    pub(super) fn model_name_enum(&self) -> TokenStream {
        let ty = ident(&self.names.model_name);
        let channel = ident(&self.names.channel);
        let serde = self.serde_crate();
        let variants: Vec<_> = self.names.models.iter().map(|m| ident(&m.ty)).collect();
        let names: Vec<&str> = self.spec.models.iter().map(|m| m.name.as_str()).collect();
        let mut doc = vec![
            format!("The models of app {}, by name.", code(&self.spec.app)),
            String::new(),
            "A model name travels in the spec's case, as the first argument of the `model_*` \
             events; it prints, parses and serialises as that string."
                .to_owned(),
        ];
        doc.extend(self.renamed_note(&self.names.model_name, "ModelName"));
        let doc = docs::attrs(&doc);
        let defs = variants.iter().zip(&names).map(|(v, n)| {
            let doc = docs::attrs(&[format!("{}: [`{}`].", code(&format!("\"{n}\"")), v)]);
            let rename = (v != n).then(|| quote!(#[serde(rename = #n)]));
            quote! {
                #doc
                #rename
                #v,
            }
        });
        let as_str = self.match_self(
            variants
                .iter()
                .zip(&names)
                .map(|(v, n)| quote!(Self::#v => #n,)),
        );
        let to_channel =
            self.match_self(variants.iter().map(|v| quote!(Self::#v => #channel::#v,)));
        StringEnum {
            doc,
            ty,
            serde,
            allow: self.enum_allows(&self.names.model_name),
            variants: defs.collect(),
            inherent: quote! {
                /// Every model, in the order of the spec.
                pub const ALL: &'static [Self] = &[#(Self::#variants),*];
                /// Every model name, in the same order.
                pub const NAMES: &'static [&'static str] = &[#(#names),*];

                /// The model's name as written in the spec.
                pub const fn as_str(self) -> &'static str {
                    #as_str
                }

                /// The model's channel.
                pub const fn channel(self) -> #channel {
                    #to_channel
                }
            },
            error: quote!(::sheplang::UnknownName),
            parse_arms: variants
                .iter()
                .zip(&names)
                .map(|(v, n)| quote!(#n => ::core::result::Result::Ok(Self::#v),))
                .collect(),
            parse_failure: quote!(::core::result::Result::Err(::sheplang::UnknownName::new(
                "model",
                s,
                Self::NAMES
            ))),
        }
        .tokens()
    }

    /// `match self { arms }`, or `match self {}` for an enum without variants.
    fn match_self(&self, arms: impl Iterator<Item = TokenStream>) -> TokenStream {
        quote!(match self { #(#arms)* })
    }

    /// The clippy allows a model-named enum may need.
    fn enum_allows(&self, enum_name: &str) -> Option<TokenStream> {
        let variants: Vec<String> = self.names.models.iter().map(|m| m.ty.clone()).collect();
        let mut allows = Vec::new();
        if variant_names_may_lint(enum_name, &variants) {
            allows.push(quote!(clippy::enum_variant_names));
        }
        if variants.iter().any(|v| is_all_caps(v)) {
            allows.push(quote!(clippy::upper_case_acronyms));
        }
        (!allows.is_empty()).then(
            || quote!(#[allow(#(#allows),*, reason = "the variants are the spec's model names")]),
        )
    }

    /// The `ServerToClient` enum and the `ClientToServer` alias.
    pub(super) fn events(&self) -> TokenStream {
        let ty = ident(&self.names.server_to_client);
        let client_ty = ident(&self.names.client_to_server);
        let channel = ident(&self.names.channel);
        let model_name = ident(&self.names.model_name);
        let spec_ty = ident(&self.names.spec);
        let notification = ident(&self.names.notification);
        let connected = ident(&self.names.connected);
        let value = quote!(::sheplang::__private::serde_json::Value);
        let string = quote!(::std::string::String);

        let mut defs = Vec::new();
        let mut event_name_arms = Vec::new();
        let mut channel_arms = Vec::new();
        let mut model_arms = Vec::new();
        let mut args_arms = Vec::new();
        let mut parse_arms = Vec::new();
        for ((m, names), [created, updated, deleted]) in self
            .spec
            .models
            .iter()
            .zip(&self.names.models)
            .zip(&self.names.event_variants)
        {
            let row = ident(&names.ty);
            let (c, u, d) = (ident(created), ident(updated), ident(deleted));
            let room = code(&format!("\"{}\"", m.channel));
            let doc_c = docs::attrs(&[format!(
                "{}: a [`{}`] was created; sent to the room {room}.",
                code(&format!("model_created(\"{}\", row)", m.name)),
                names.ty
            )]);
            let doc_u = docs::attrs(&[format!(
                "{}: a [`{}`] changed; sent to the room {room}.",
                code(&format!("model_updated(\"{}\", row)", m.name)),
                names.ty
            )]);
            let doc_d = docs::attrs(&[format!(
                "{}: a [`{}`] was deleted; sent to the room {room}.",
                code(&format!("model_deleted(\"{}\", id)", m.name)),
                names.ty
            )]);
            defs.push(quote! {
                #doc_c
                #c(::std::boxed::Box<#row>),
                #doc_u
                #u(::std::boxed::Box<#row>),
                #doc_d
                #d(::sheplang::Ref<#row>),
            });
            event_name_arms.push(quote! {
                Self::#c(_) => "model_created",
                Self::#u(_) => "model_updated",
                Self::#d(_) => "model_deleted",
            });
            channel_arms.push(quote!(Self::#c(_) | Self::#u(_) | Self::#d(_) => ::core::option::Option::Some(#channel::#row),));
            model_arms.push(quote!(Self::#c(_) | Self::#u(_) | Self::#d(_) => ::core::option::Option::Some(#model_name::#row),));
            args_arms.push(quote! {
                Self::#c(row) | Self::#u(row) => ::sheplang::__private::row_args(#model_name::#row.as_str(), row),
                Self::#d(id) => ::core::result::Result::Ok(::sheplang::__private::id_args(#model_name::#row.as_str(), id.as_str())),
            });
            parse_arms.push(quote! {
                #model_name::#row => match kind {
                    ::sheplang::ModelEventKind::Created => Self::#c(::sheplang::__private::payload(kind, payload)?),
                    ::sheplang::ModelEventKind::Updated => Self::#u(::sheplang::__private::payload(kind, payload)?),
                    ::sheplang::ModelEventKind::Deleted => Self::#d(::sheplang::__private::payload(kind, payload)?),
                },
            });
        }
        let model_parse = if parse_arms.is_empty() {
            quote! {
                let _ = (kind, payload);
                match model {}
            }
        } else {
            quote! {
                ::core::result::Result::Ok(match model {
                    #(#parse_arms)*
                })
            }
        };

        let mut doc = vec![
            format!(
                "A server-to-client event of app {}: the protocol's events, one variant per model \
                 and kind, then `notification` and `connected`.",
                code(&self.spec.app)
            ),
            String::new(),
            "[`event_name`](Self::event_name) and [`args`](Self::args) give what goes on the \
             wire; [`channel`](Self::channel) gives the room (none for a broadcast); \
             [`parse`](Self::parse) reads an event back, as a Rust client would."
                .to_owned(),
        ];
        doc.extend(self.renamed_note(&self.names.server_to_client, "ServerToClient"));
        let doc = docs::attrs(&doc);
        let mut client_doc = vec![
            format!(
                "A client-to-server event of app {}: `subscribe`, `unsubscribe` or `ping`.",
                code(&self.spec.app)
            ),
            String::new(),
            format!(
                "Read one with `{}::parse(event, &args)`: an unknown or malformed event is a \
                 [`sheplang::EventError`] whose message is the protocol's acknowledgement error.",
                self.names.client_to_server
            ),
        ];
        client_doc.extend(self.renamed_note(&self.names.client_to_server, "ClientToServer"));
        let client_doc = docs::attrs(&client_doc);
        let allow = {
            let mut variants: Vec<String> = self
                .names
                .event_variants
                .iter()
                .flatten()
                .cloned()
                .collect();
            variants.push(self.names.notification.clone());
            variants.push(self.names.connected.clone());
            let mut allows = Vec::new();
            if variant_names_may_lint(&self.names.server_to_client, &variants) {
                allows.push(quote!(clippy::enum_variant_names));
            }
            if variants.iter().any(|v| is_all_caps(v)) {
                allows.push(quote!(clippy::upper_case_acronyms));
            }
            (!allows.is_empty()).then(|| quote!(#[allow(#(#allows),*, reason = "the variants are the spec's model names")]))
        };

        quote! {
            #doc
            #[derive(Debug, Clone, PartialEq)]
            #allow
            pub enum #ty {
                #(#defs)*
                /// `notification(message, data?)`: broadcast to everyone.
                #notification {
                    /// The message.
                    message: #string,
                    /// Any JSON data, omitted from the arguments when `None`.
                    data: ::core::option::Option<#value>,
                },
                /// `connected({ app, fingerprint })`: sent once, right after a connection is accepted.
                #connected(::sheplang::ConnectedInfo),
            }

            impl #ty {
                /// Every server-to-client event name.
                pub const EVENT_NAMES: &'static [&'static str] = &["model_created", "model_updated", "model_deleted", "notification", "connected"];

                /// The `connected` event of this spec: its app and fingerprint.
                pub fn connected() -> Self {
                    Self::#connected(<#spec_ty as ::sheplang::Spec>::connected_info())
                }

                /// The Socket.IO event name.
                pub const fn event_name(&self) -> &'static str {
                    match self {
                        #(#event_name_arms)*
                        Self::#notification { .. } => "notification",
                        Self::#connected(_) => "connected",
                    }
                }

                /// The room the event goes to: the model's channel, or `None` for `notification`
                /// (everyone) and `connected` (the new connection only).
                pub const fn channel(&self) -> ::core::option::Option<#channel> {
                    match self {
                        #(#channel_arms)*
                        Self::#notification { .. } | Self::#connected(_) => ::core::option::Option::None,
                    }
                }

                /// The model a `model_*` event is about.
                pub const fn model(&self) -> ::core::option::Option<#model_name> {
                    match self {
                        #(#model_arms)*
                        Self::#notification { .. } | Self::#connected(_) => ::core::option::Option::None,
                    }
                }

                /// The event's arguments, one JSON value each, in protocol order.
                ///
                /// # Errors
                /// Only if a row fails to serialise, which generated rows never do.
                pub fn args(&self) -> ::core::result::Result<::std::vec::Vec<#value>, ::sheplang::__private::serde_json::Error> {
                    match self {
                        #(#args_arms)*
                        Self::#notification { message, data } => ::core::result::Result::Ok(::sheplang::__private::notification_args(message, data.as_ref())),
                        Self::#connected(info) => ::core::result::Result::Ok(::sheplang::__private::connected_args(info)),
                    }
                }

                /// Reads a server-to-client event from its name and JSON arguments.
                ///
                /// # Errors
                /// A [`sheplang::EventError`] for an unknown event, an unknown model name, or
                /// arguments of the wrong shape; never a panic.
                pub fn parse(event: &str, args: &[#value]) -> ::core::result::Result<Self, ::sheplang::EventError> {
                    match ::sheplang::__private::split_server_event(event, args)? {
                        ::sheplang::__private::RawServerEvent::Model { kind, model, payload } => {
                            let model: #model_name = model.parse().map_err(::sheplang::EventError::UnknownModel)?;
                            #model_parse
                        }
                        ::sheplang::__private::RawServerEvent::Notification { message, data } => {
                            ::core::result::Result::Ok(Self::#notification { message, data })
                        }
                        ::sheplang::__private::RawServerEvent::Connected(info) => {
                            ::core::result::Result::Ok(Self::#connected(info))
                        }
                    }
                }
            }

            #client_doc
            pub type #client_ty = ::sheplang::ClientEvent<#channel>;
        }
    }
}
