//! The traits generated code implements: [`Spec`], [`Channel`] and [`Model`].

use core::fmt::{Debug, Display};
use core::hash::Hash;
use core::str::FromStr;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{ConnectedInfo, UnknownChannel};

/// One compiled spec: its protocol identity and its channels.
///
/// Generated code implements it on a unit struct named `Spec` (so `include_spec!("app")` inside
/// `mod app` gives `app::Spec`). A realtime server is generic over it:
///
/// ```
/// use sheplang::{Channel, Spec};
///
/// fn describe<S: Spec>() -> String {
///     let channels: Vec<&str> = S::channels().iter().map(|c| c.as_str()).collect();
///     format!("{} ({}) on {}", S::APP, S::FINGERPRINT, channels.join(", "))
/// }
/// ```
///
/// The associated constants make this trait unusable as `dyn Spec`; [`DynSpec`], implemented
/// for every `Spec`, is the object-safe view of the same facts.
pub trait Spec: 'static {
    /// The app's name as written in the spec (`app TaskManager` gives `"TaskManager"`).
    const APP: &'static str;
    /// A stable hex digest of everything that shapes the wire protocol (models, fields, types,
    /// optionality, states). Sent to clients in the `connected` event so both sides can check
    /// they were built from the same spec.
    const FINGERPRINT: &'static str;
    /// The spec's channel enum: one variant per model.
    type Channel: Channel;

    /// Every channel, in spec order.
    fn channels() -> &'static [Self::Channel] {
        <Self::Channel as Channel>::ALL
    }

    /// Parses a channel string (`"task"`), rejecting anything else with the wire error.
    ///
    /// # Errors
    /// [`UnknownChannel`] when `channel` is not exactly one of [`Spec::channels`].
    fn parse_channel(channel: &str) -> Result<Self::Channel, UnknownChannel> {
        channel.parse()
    }

    /// The argument of the `connected` event for this spec.
    fn connected_info() -> ConnectedInfo {
        ConnectedInfo {
            app: Self::APP.to_owned(),
            fingerprint: Self::FINGERPRINT.to_owned(),
        }
    }
}

/// The object-safe view of a [`Spec`], for code that keeps several specs behind one pointer.
///
/// Implemented for every `S: Spec` (the generated marker is a unit struct, so
/// `&app::Spec as &dyn DynSpec` works).
pub trait DynSpec: Send + Sync {
    /// [`Spec::APP`].
    fn app(&self) -> &'static str;
    /// [`Spec::FINGERPRINT`].
    fn fingerprint(&self) -> &'static str;
    /// Every channel string, in spec order.
    fn channel_names(&self) -> &'static [&'static str];
    /// The channel string if `channel` is one of this spec's channels.
    ///
    /// # Errors
    /// [`UnknownChannel`] otherwise.
    fn check_channel(&self, channel: &str) -> Result<&'static str, UnknownChannel>;
}

impl<S: Spec + Send + Sync> DynSpec for S {
    fn app(&self) -> &'static str {
        S::APP
    }

    fn fingerprint(&self) -> &'static str {
        S::FINGERPRINT
    }

    fn channel_names(&self) -> &'static [&'static str] {
        <S::Channel as Channel>::NAMES
    }

    fn check_channel(&self, channel: &str) -> Result<&'static str, UnknownChannel> {
        S::parse_channel(channel).map(Channel::as_str)
    }
}

/// A spec's channel enum (generated as `Channel`): exactly the models' channels.
///
/// A channel is the lower-cased model name (`OrderItem` is `"orderitem"`) and names the
/// Socket.IO room that carries the model's events. It prints and serialises as that string and
/// parses only from it: `"task".parse()` is `Channel::Task`, `"tasks".parse()` is an
/// [`UnknownChannel`] error.
pub trait Channel:
    Copy
    + Eq
    + Ord
    + Hash
    + Debug
    + Display
    + FromStr<Err = UnknownChannel>
    + Serialize
    + DeserializeOwned
    + Send
    + Sync
    + 'static
{
    /// Every channel, in spec order.
    const ALL: &'static [Self];
    /// Every channel string, in spec order (`ALL[i].as_str() == NAMES[i]`).
    const NAMES: &'static [&'static str];

    /// The lower-case channel string, which is also the room name.
    fn as_str(self) -> &'static str;

    /// The model this channel carries, in its original case (`"OrderItem"`).
    fn model_name(self) -> &'static str;

    /// The fields of the channel's model a subscription may filter on (`docs/wire.md`,
    /// "Filtered subscriptions"): the id and every field that holds one value. Generated from
    /// the spec; a hand-written channel type without it allows no filter.
    fn filter_fields(self) -> &'static [crate::FilterField] {
        &[]
    }
}

/// A typed filter of one model: generated per model (`TaskFilter`), one `Option` per field
/// that can be filtered on, so that a filter on a field the model lacks, or with a value of the
/// wrong type, does not compile. Converts into the checked [`Filter`](crate::Filter).
pub trait ModelFilter: Into<crate::Filter> {
    /// The model it filters.
    type Model: Model;
}

/// A row type of a spec's model: generated for each `data` model.
///
/// The model type alone decides where its events go: [`Model::channel`] takes no argument, so
/// there is no way to send a `Task` on the `user` channel. The host-struct derive of
/// `sheplang-macros` may implement it for a host's own struct that matches a model.
///
/// Implementations must serialise to the wire row: a JSON object whose keys are the spec's field
/// names, with `id` (a string) first.
pub trait Model: Serialize {
    /// The spec the model belongs to.
    type Spec: Spec;
    /// The model's name as written in the spec (`"OrderItem"`): the first argument of the
    /// `model_*` events.
    const NAME: &'static str;

    /// The model's channel (`Channel::OrderItem`, the room `"orderitem"`).
    fn channel() -> <Self::Spec as Spec>::Channel;

    /// The row's id.
    fn id(&self) -> &str;
}
