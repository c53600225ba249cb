//! Test helpers for hosts: an [`Emitter`] that records instead of sending.

use std::marker::PhantomData;
use std::sync::{Mutex, PoisonError};

use serde_json::Value;

use crate::{Emitter, Model, ModelEvent, Spec};

/// One event a [`Recorder`] saw.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    /// The room (channel string) it went to.
    pub room: &'static str,
    /// The Socket.IO event name.
    pub event: &'static str,
    /// The arguments, one JSON value each.
    pub args: Vec<Value>,
}

/// An [`Emitter`] for tests: keeps every event instead of sending it.
///
/// ```text
/// let recorder = sheplang::testing::Recorder::<app::Spec>::new();
/// recorder.created(&task)?;
/// assert_eq!(recorder.take()[0].room, "task");
/// ```
pub struct Recorder<S: Spec> {
    sent: Mutex<Vec<Sent>>,
    spec: PhantomData<fn() -> S>,
}

impl<S: Spec> Recorder<S> {
    /// An empty recorder.
    pub fn new() -> Self {
        Recorder {
            sent: Mutex::new(Vec::new()),
            spec: PhantomData,
        }
    }

    /// Everything recorded so far, leaving the recorder empty.
    pub fn take(&self) -> Vec<Sent> {
        std::mem::take(&mut *self.sent.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// A copy of everything recorded so far.
    pub fn sent(&self) -> Vec<Sent> {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl<S: Spec> Default for Recorder<S> {
    fn default() -> Self {
        Recorder::new()
    }
}

impl<S: Spec> std::fmt::Debug for Recorder<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("spec", &S::APP)
            .field("sent", &self.sent())
            .finish()
    }
}

impl<S: Spec> Emitter for Recorder<S> {
    type Spec = S;
    type Error = serde_json::Error;

    fn emit<M: Model<Spec = S>>(&self, event: ModelEvent<'_, M>) -> Result<(), Self::Error> {
        let sent = Sent {
            room: event.room(),
            event: event.event_name(),
            args: event.to_values()?,
        };
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(sent);
        Ok(())
    }
}
