//! The protocol items: the spec marker, `Channel`, `ModelName` and the event types.

use super::docs::code;
use super::names::{is_all_caps, variant_names_may_lint};
use super::out::{Out, lit, ln};
use super::string_enum::{StringEnum, Variant, match_self, slice};
use super::{ALLOW_UNUSED, Gen};

impl Gen<'_> {
    /// The unit struct implementing `sheplang::Spec`.
    pub(super) fn spec_marker(&self, out: &mut Out) {
        let ty = &self.names.spec;
        let app = lit(&self.spec.app);
        let fingerprint = lit(&self.spec.fingerprint);
        let mut doc = vec![
            format!(
                "App {} as a type: implements [`sheplang::Spec`].",
                code(&self.spec.app)
            ),
            String::new(),
            "A realtime server is generic over it; its associated items name the protocol: the \
             app, the schema fingerprint sent in `connected`, and the channels."
                .to_owned(),
        ];
        doc.extend(self.renamed_note(ty, "Spec"));
        out.doc(&doc);
        out.line(ALLOW_UNUSED);
        out.line("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]");
        ln!(out, "pub struct {ty};");
        out.blank();
        out.line(ALLOW_UNUSED);
        out.open(&format!("impl {ty} {{"));
        out.doc(&["The app's name as written in the spec."]);
        ln!(out, "pub const APP: &'static str = {app};");
        out.doc(&["The digest of everything in the spec that shapes the wire protocol."]);
        ln!(out, "pub const FINGERPRINT: &'static str = {fingerprint};");
        out.close("}");
        out.blank();
        out.open(&format!("impl ::sheplang::Spec for {ty} {{"));
        ln!(out, "const APP: &'static str = {app};");
        ln!(out, "const FINGERPRINT: &'static str = {fingerprint};");
        ln!(out, "type Channel = {};", self.names.channel);
        out.close("}");
        out.blank();
    }

    /// A note for a generated item that had to give its usual name to a model.
    fn renamed_note(&self, actual: &str, usual: &str) -> Option<String> {
        (actual != usual).then(|| {
            format!("Usually called `{usual}`; renamed because the spec has a model of that name.")
        })
    }

    /// The model types, which are also the variants of `Channel` and `ModelName`.
    fn model_variants(&self) -> Vec<&str> {
        self.names.models.iter().map(|m| m.ty.as_str()).collect()
    }

    /// The `Channel` enum.
    pub(super) fn channel_enum(&self, out: &mut Out) {
        let ty = &self.names.channel;
        let model_name = &self.names.model_name;
        let variants = self.model_variants();
        let strings: Vec<String> = self.spec.models.iter().map(|m| lit(&m.channel)).collect();
        let first = match (variants.first(), self.spec.models.first()) {
            (Some(v), Some(m)) => format!(
                "`\"{}\".parse::<{ty}>()` is [`{ty}::{v}`]; anything else is a \
                 [`sheplang::UnknownChannel`] error.",
                m.channel
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
        doc.extend(self.renamed_note(ty, "Channel"));
        let defs = self
            .spec
            .models
            .iter()
            .zip(&variants)
            .map(|(m, v)| Variant {
                doc: format!(
                    "{}: the events of [`{v}`].",
                    code(&format!("\"{}\"", m.channel))
                ),
                name: (*v).to_owned(),
                wire: m.channel.clone(),
            })
            .collect();
        let all: Vec<String> = variants.iter().map(|v| format!("Self::{v}")).collect();
        StringEnum {
            doc,
            ty,
            allow: self.enum_allows(ty),
            variants: defs,
            error: "::sheplang::UnknownChannel",
            parse_failure: "::core::result::Result::Err(::sheplang::UnknownChannel::new(s, \
                            Self::NAMES))"
                .to_owned(),
        }
        .write(out, |out| {
            out.doc(&["Every channel, in the order of the spec."]);
            slice(out, "pub const ALL: &'static [Self]", &all);
            out.doc(&["Every channel string, in the same order."]);
            slice(out, "pub const NAMES: &'static [&'static str]", &strings);
            out.blank();
            out.doc(&["The lower-case channel string: the room name."]);
            out.line("#[inline]");
            out.open("pub const fn as_str(self) -> &'static str {");
            match_self(out, variants.iter().copied().zip(strings.iter().cloned()));
            out.close("}");
            out.blank();
            out.doc(&["The model whose events this channel carries."]);
            out.line("#[inline]");
            out.open(&format!("pub const fn model(self) -> {model_name} {{"));
            match_self(
                out,
                variants.iter().map(|v| (*v, format!("{model_name}::{v}"))),
            );
            out.close("}");
        });
        out.open(&format!("impl ::sheplang::Channel for {ty} {{"));
        out.line("const ALL: &'static [Self] = Self::ALL;");
        out.line("const NAMES: &'static [&'static str] = Self::NAMES;");
        out.blank();
        out.line("#[inline]");
        out.open("fn as_str(self) -> &'static str {");
        out.line("Self::as_str(self)");
        out.close("}");
        out.blank();
        out.line("#[inline]");
        out.open("fn model_name(self) -> &'static str {");
        out.line("Self::model(self).as_str()");
        out.close("}");
        out.blank();
        out.line("#[inline]");
        out.open("fn filter_fields(self) -> &'static [::sheplang::FilterField] {");
        let fields: Vec<(&str, String)> = (0..self.spec.models.len())
            .map(|i| {
                let rows: Vec<String> = self
                    .filter_fields(i)
                    .iter()
                    .map(|r| {
                        format!(
                            "::sheplang::FilterField {{ name: {}, kind: ::sheplang::FilterKind::{}, optional: {} }}",
                            lit(r.name),
                            r.kind,
                            r.optional
                        )
                    })
                    .collect();
                (variants[i], format!("&[{}]", rows.join(", ")))
            })
            .collect();
        match_self(out, fields);
        out.close("}");
        out.close("}");
        out.blank();
    }

    /// The `ModelName` enum.
    pub(super) fn model_name_enum(&self, out: &mut Out) {
        let ty = &self.names.model_name;
        let channel = &self.names.channel;
        let variants = self.model_variants();
        let names: Vec<String> = self.spec.models.iter().map(|m| lit(&m.name)).collect();
        let mut doc = vec![
            format!("The models of app {}, by name.", code(&self.spec.app)),
            String::new(),
            "A model name travels in the spec's case, as the first argument of the `model_*` \
             events; it prints, parses and serialises as that string."
                .to_owned(),
        ];
        doc.extend(self.renamed_note(ty, "ModelName"));
        let defs = self
            .spec
            .models
            .iter()
            .zip(&variants)
            .map(|(m, v)| Variant {
                doc: format!("{}: [`{v}`].", code(&format!("\"{}\"", m.name))),
                name: (*v).to_owned(),
                wire: m.name.clone(),
            })
            .collect();
        let all: Vec<String> = variants.iter().map(|v| format!("Self::{v}")).collect();
        StringEnum {
            doc,
            ty,
            allow: self.enum_allows(ty),
            variants: defs,
            error: "::sheplang::UnknownName",
            parse_failure: "::core::result::Result::Err(::sheplang::UnknownName::new(\"model\", \
                            s, Self::NAMES))"
                .to_owned(),
        }
        .write(out, |out| {
            out.doc(&["Every model, in the order of the spec."]);
            slice(out, "pub const ALL: &'static [Self]", &all);
            out.doc(&["Every model name, in the same order."]);
            slice(out, "pub const NAMES: &'static [&'static str]", &names);
            out.blank();
            out.doc(&["The model's name as written in the spec."]);
            out.line("#[inline]");
            out.open("pub const fn as_str(self) -> &'static str {");
            match_self(out, variants.iter().copied().zip(names.iter().cloned()));
            out.close("}");
            out.blank();
            out.doc(&["The model's channel."]);
            out.line("#[inline]");
            out.open(&format!("pub const fn channel(self) -> {channel} {{"));
            match_self(
                out,
                variants.iter().map(|v| (*v, format!("{channel}::{v}"))),
            );
            out.close("}");
        });
    }

    /// The clippy allows a model-named enum may need.
    fn enum_allows(&self, enum_name: &str) -> Option<String> {
        let variants: Vec<String> = self.names.models.iter().map(|m| m.ty.clone()).collect();
        variant_allows(enum_name, &variants)
    }

    /// The `ServerToClient` enum and the `ClientToServer` alias.
    pub(super) fn events(&self, out: &mut Out) {
        let ty = &self.names.server_to_client;
        let client_ty = &self.names.client_to_server;
        let channel = &self.names.channel;
        let model_name = &self.names.model_name;
        let spec_ty = &self.names.spec;
        let notification = &self.names.notification;
        let connected = &self.names.connected;
        const VALUE: &str = "::sheplang::__private::serde_json::Value";
        let events: Vec<_> = self
            .spec
            .models
            .iter()
            .zip(&self.names.models)
            .zip(&self.names.event_variants)
            .map(|((m, names), [c, u, d])| (m, names.ty.as_str(), c, u, d))
            .collect();

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
        doc.extend(self.renamed_note(ty, "ServerToClient"));
        out.doc(&doc);
        out.line(ALLOW_UNUSED);
        out.line("#[derive(Debug, Clone, PartialEq)]");
        let mut all_variants: Vec<String> = self
            .names
            .event_variants
            .iter()
            .flatten()
            .cloned()
            .collect();
        all_variants.push(notification.clone());
        all_variants.push(connected.clone());
        if let Some(allow) = variant_allows(ty, &all_variants) {
            out.line(&allow);
        }
        out.open(&format!("pub enum {ty} {{"));
        for (m, row, c, u, d) in &events {
            let room = code(&format!("\"{}\"", m.channel));
            out.doc(&[format!(
                "{}: a [`{row}`] was created; sent to the room {room}.",
                code(&format!("model_created(\"{}\", row)", m.name))
            )]);
            ln!(out, "{c}(::std::boxed::Box<{row}>),");
            out.doc(&[format!(
                "{}: a [`{row}`] changed; sent to the room {room}.",
                code(&format!("model_updated(\"{}\", row)", m.name))
            )]);
            ln!(out, "{u}(::std::boxed::Box<{row}>),");
            out.doc(&[format!(
                "{}: a [`{row}`] was deleted; sent to the room {room}.",
                code(&format!("model_deleted(\"{}\", id)", m.name))
            )]);
            ln!(out, "{d}(::sheplang::Ref<{row}>),");
        }
        out.doc(&["`notification(message, data?)`: broadcast to everyone."]);
        out.open(&format!("{notification} {{"));
        out.doc(&["The message."]);
        out.line("message: ::std::string::String,");
        out.doc(&["Any JSON data, omitted from the arguments when `None`."]);
        ln!(out, "data: ::core::option::Option<{VALUE}>,");
        out.close("},");
        out.doc(&[
            "`connected({ app, fingerprint })`: sent once, right after a connection is accepted.",
        ]);
        ln!(out, "{connected}(::sheplang::ConnectedInfo),");
        out.close("}");
        out.blank();

        out.line(ALLOW_UNUSED);
        out.open(&format!("impl {ty} {{"));
        out.doc(&["Every server-to-client event name."]);
        out.list(
            "pub const EVENT_NAMES: &'static [&'static str] = &[",
            &[
                "\"model_created\"",
                "\"model_updated\"",
                "\"model_deleted\"",
                "\"notification\"",
                "\"connected\"",
            ],
            "];",
        );
        out.blank();
        out.doc(&["The `connected` event of this spec: its app and fingerprint."]);
        out.line("#[inline]");
        out.open("pub fn connected() -> Self {");
        ln!(
            out,
            "Self::{connected}(<{spec_ty} as ::sheplang::Spec>::connected_info())"
        );
        out.close("}");
        out.blank();

        out.doc(&["The Socket.IO event name."]);
        out.line("#[inline]");
        out.open("pub const fn event_name(&self) -> &'static str {");
        out.open("match self {");
        for (_, _, c, u, d) in &events {
            ln!(out, "Self::{c}(_) => \"model_created\",");
            ln!(out, "Self::{u}(_) => \"model_updated\",");
            ln!(out, "Self::{d}(_) => \"model_deleted\",");
        }
        ln!(out, "Self::{notification} {{ .. }} => \"notification\",");
        ln!(out, "Self::{connected}(_) => \"connected\",");
        out.close("}");
        out.close("}");
        out.blank();

        for (what, doc, target) in [
            (
                "channel",
                &[
                    "The room the event goes to: the model's channel, or `None` for `notification`",
                    "(everyone) and `connected` (the new connection only).",
                ][..],
                channel,
            ),
            (
                "model",
                &["The model a `model_*` event is about."][..],
                model_name,
            ),
        ] {
            out.doc(doc);
            out.line("#[inline]");
            out.open(&format!(
                "pub const fn {what}(&self) -> ::core::option::Option<{target}> {{"
            ));
            out.open("match self {");
            for (_, row, c, u, d) in &events {
                ln!(
                    out,
                    "Self::{c}(_) | Self::{u}(_) | Self::{d}(_) => \
                     ::core::option::Option::Some({target}::{row}),"
                );
            }
            ln!(
                out,
                "Self::{notification} {{ .. }} | Self::{connected}(_) => ::core::option::Option::None,"
            );
            out.close("}");
            out.close("}");
            out.blank();
        }

        out.doc(&[
            "The event's arguments, one JSON value each, in protocol order.",
            "",
            "# Errors",
            "Only if a row fails to serialise, which generated rows never do.",
        ]);
        out.line("#[inline]");
        out.open("pub fn args(");
        out.line("&self,");
        out.close(&format!(
            ") -> ::core::result::Result<::std::vec::Vec<{VALUE}>, ::sheplang::__private::serde_json::Error> {{"
        ));
        out.depth_in();
        out.open("match self {");
        for (_, row, c, u, d) in &events {
            ln!(
                out,
                "Self::{c}(row) | Self::{u}(row) => \
                 ::sheplang::__private::row_args({model_name}::{row}.as_str(), row),"
            );
            ln!(
                out,
                "Self::{d}(id) => ::core::result::Result::Ok(::sheplang::__private::id_args(\
                 {model_name}::{row}.as_str(), id.as_str())),"
            );
        }
        ln!(
            out,
            "Self::{notification} {{ message, data }} => ::core::result::Result::Ok(\
             ::sheplang::__private::notification_args(message, data.as_ref())),"
        );
        ln!(
            out,
            "Self::{connected}(info) => ::core::result::Result::Ok(\
             ::sheplang::__private::connected_args(info)),"
        );
        out.close("}");
        out.close("}");
        out.blank();

        out.doc(&[
            "Reads a server-to-client event from its name and JSON arguments.",
            "",
            "# Errors",
            "A [`sheplang::EventError`] for an unknown event, an unknown model name, or",
            "arguments of the wrong shape; never a panic.",
        ]);
        out.line("#[inline]");
        out.open("pub fn parse(");
        out.line("event: &str,");
        ln!(out, "args: &[{VALUE}],");
        out.close(") -> ::core::result::Result<Self, ::sheplang::EventError> {");
        out.depth_in();
        out.open("match ::sheplang::__private::split_server_event(event, args)? {");
        out.open("::sheplang::__private::RawServerEvent::Model { kind, model, payload } => {");
        ln!(
            out,
            "let model: {model_name} = model.parse().map_err(::sheplang::EventError::UnknownModel)?;"
        );
        if events.is_empty() {
            out.line("let _ = (kind, payload);");
            out.line("match model {}");
        } else {
            out.open("::core::result::Result::Ok(match model {");
            for (_, row, c, u, d) in &events {
                out.open(&format!("{model_name}::{row} => match kind {{"));
                for (kind, variant) in [("Created", c), ("Updated", u), ("Deleted", d)] {
                    ln!(
                        out,
                        "::sheplang::ModelEventKind::{kind} => Self::{variant}(\
                         ::sheplang::__private::payload(kind, payload)?),"
                    );
                }
                out.close("},");
            }
            out.close("})");
        }
        out.close("}");
        out.open("::sheplang::__private::RawServerEvent::Notification { message, data } => {");
        ln!(
            out,
            "::core::result::Result::Ok(Self::{notification} {{ message, data }})"
        );
        out.close("}");
        out.open("::sheplang::__private::RawServerEvent::Connected(info) => {");
        ln!(out, "::core::result::Result::Ok(Self::{connected}(info))");
        out.close("}");
        out.close("}");
        out.close("}");
        out.close("}");
        out.blank();

        let mut client_doc = vec![
            format!(
                "A client-to-server event of app {}: `subscribe`, `unsubscribe` or `ping`.",
                code(&self.spec.app)
            ),
            String::new(),
            format!(
                "Read one with `{client_ty}::parse(event, &args)`: an unknown or malformed event \
                 is a [`sheplang::EventError`] whose message is the protocol's acknowledgement \
                 error."
            ),
        ];
        client_doc.extend(self.renamed_note(client_ty, "ClientToServer"));
        out.doc(&client_doc);
        out.line(ALLOW_UNUSED);
        ln!(
            out,
            "pub type {client_ty} = ::sheplang::ClientEvent<{channel}>;"
        );
    }
}

/// The `#[allow(...)]` line for an enum whose variants are the spec's model names, if needed.
fn variant_allows(enum_name: &str, variants: &[String]) -> Option<String> {
    let mut allows = Vec::new();
    if variant_names_may_lint(enum_name, variants) {
        allows.push("clippy::enum_variant_names");
    }
    if variants.iter().any(|v| is_all_caps(v)) {
        allows.push("clippy::upper_case_acronyms");
    }
    (!allows.is_empty()).then(|| {
        format!(
            "#[allow({}, reason = \"the variants are the spec's model names\")]",
            allows.join(", ")
        )
    })
}
