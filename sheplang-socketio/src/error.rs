//! [`EmitError`]: what can go wrong while sending an event.

use core::fmt;

/// An event could not be queued.
///
/// A subscriber too slow to keep up is not an emit error: it is disconnected and resumes (see
/// [`Metrics::overflow_disconnects`](crate::Metrics::overflow_disconnects)).
#[derive(Debug)]
pub struct EmitError {
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Encode(serde_json::Error),
    Stopped,
}

impl EmitError {
    pub(crate) fn encode(e: serde_json::Error) -> Self {
        EmitError {
            kind: Kind::Encode(e),
        }
    }

    pub(crate) fn stopped() -> Self {
        EmitError {
            kind: Kind::Stopped,
        }
    }
}

impl fmt::Display for EmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Encode(e) => write!(f, "the event could not be encoded: {e}"),
            Kind::Stopped => f.write_str(
                "the event could not be sent: the server's dispatcher has stopped; \
                 emit while the Tokio runtime that serves the server is running",
            ),
        }
    }
}

impl std::error::Error for EmitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            Kind::Encode(e) => Some(e),
            Kind::Stopped => None,
        }
    }
}
