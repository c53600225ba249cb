//! A Socket.IO realtime server for a ShepLang spec, in Rust, on [socketioxide]: the same
//! protocol as the generated Node `RealtimeServer` (`docs/wire.md`), so the generated
//! TypeScript client and React hooks talk to either.
//!
//! TODO(docs): walkthrough.

mod builder;
mod error;
pub mod origin;
mod protocol;
mod server;

pub use builder::{
    DEFAULT_AUTHORIZE_TIMEOUT, DEFAULT_MAX_BUFFER_SIZE, DEFAULT_MAX_PAYLOAD, RealtimeLayer,
    RealtimeServerBuilder,
};
pub use error::EmitError;
pub use origin::Origins;
pub use server::RealtimeServer;

/// The socketioxide version this crate is built on, re-exported so hosts name its types
/// (`SocketRef` in an authorize hook, [`SocketIo`](socketioxide::SocketIo)) without a
/// dependency of their own.
pub use socketioxide;
/// The socket handed to an authorize hook: its handshake request is
/// [`SocketRef::req_parts`](socketioxide::socket::Socket::req_parts).
pub use socketioxide::extract::SocketRef;
