//! [`EmitError`]: what can go wrong while sending an event.

use core::fmt;

use socketioxide::BroadcastError;

/// An event could not be sent to every subscriber.
///
/// Subscribers whose queues accepted the event still get it; this reports the rest (a client
/// too slow to keep up with [`max_buffer_size`](crate::RealtimeServerBuilder::max_buffer_size)
/// packets, a connection closing at that moment) or an encoding failure.
#[derive(Debug)]
pub struct EmitError {
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Broadcast(BroadcastError),
    Pending,
}

impl EmitError {
    pub(crate) fn pending() -> Self {
        EmitError {
            kind: Kind::Pending,
        }
    }

    /// How many subscribers did not get the event (0 when the failure was not per subscriber).
    pub fn failed_subscribers(&self) -> usize {
        match &self.kind {
            Kind::Broadcast(BroadcastError::Socket(errors)) => errors.len(),
            _ => 0,
        }
    }

    /// The socketioxide error, when there is one.
    pub fn broadcast_error(&self) -> Option<&BroadcastError> {
        match &self.kind {
            Kind::Broadcast(e) => Some(e),
            Kind::Pending => None,
        }
    }
}

impl From<BroadcastError> for EmitError {
    fn from(e: BroadcastError) -> Self {
        EmitError {
            kind: Kind::Broadcast(e),
        }
    }
}

impl fmt::Display for EmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Broadcast(BroadcastError::Socket(errors)) => write!(
                f,
                "the event did not reach {} subscriber(s): their queues were full or closed; \
                 raise `max_buffer_size` if clients are merely slow",
                errors.len()
            ),
            Kind::Broadcast(e) => write!(f, "the event could not be sent: {e}"),
            Kind::Pending => f.write_str(
                "the event could not be sent: the socket.io adapter did not complete at once; \
                 this server only supports socketioxide's in-process adapter",
            ),
        }
    }
}

impl std::error::Error for EmitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            Kind::Broadcast(e) => Some(e),
            Kind::Pending => None,
        }
    }
}
