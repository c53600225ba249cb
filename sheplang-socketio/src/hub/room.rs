//! A channel's subscribers, indexed so that an event touches only those it may reach
//! (`docs/wire.md`, "Filtered subscriptions").
//!
//! Members without a filter are in one list: every event is for them. A filtered member is
//! filed under one field its filter names and the value it asks that field to equal
//! ([`FilterKey`]); an event's candidates are the members filed under the values its row holds
//! after and before the change, for each field the channel's filters are filed under (a row
//! that moves out of a filter must still reach the members it matched before, as a removal).
//! The full filter and the host's row check then decide, as for any member.
//!
//! Positions: all live subscribers of a channel share its sequence, so the room keeps the last
//! position it sent (`last`), and a sequenced member *in step* has exactly that position: the
//! hole and epoch checks are made once per event for all of them. A sequenced member whose
//! position is another (it joined ahead of the shared log's feed, from another epoch, or before
//! the room's first event) is *out of step*: it is in `out_of_step` and checked one by one, as
//! every member used to be, until its position is the room's.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;
use sheplang::FilterKey;
use socketioxide::socket::Sid;

use super::Member;

/// The filtered members filed under one field: by the value their filter asks it to equal.
type Buckets = HashMap<FilterKey, Vec<Member>>;

/// What the index knows of an event's rows for a member it files under a value: whether the
/// row after the change holds that value, and the row before (when given).
#[derive(Debug, Clone, Copy)]
pub(super) struct Known {
    pub(super) after: bool,
    pub(super) before: bool,
}

/// Where a member is filed.
enum Slot {
    /// No filter.
    Plain,
    /// Under `index[field]`, at `key`.
    Indexed { field: usize, key: FilterKey },
}

/// One channel's members.
#[derive(Default)]
pub(super) struct Room {
    slots: HashMap<Sid, Slot>,
    /// Members without a filter.
    plain: Vec<Member>,
    /// Filtered members: a field, and the members filed under each value of it.
    index: Vec<(Box<str>, Buckets)>,
    /// Sequenced members whose position is not `last`: checked one by one.
    pub(super) out_of_step: Vec<Sid>,
    /// The last position sent to the channel: its epoch and sequence number.
    pub(super) last: Option<(Arc<str>, u64)>,
}

impl Room {
    /// Files a member (replacing one of the same connection, which is returned).
    pub(super) fn insert(&mut self, mut member: Member) -> Option<Member> {
        let sid = member.socket.id;
        let before = self.remove(sid);
        member.in_step = member.sequenced
            && self
                .last
                .as_ref()
                .is_some_and(|(epoch, seq)| *epoch == member.epoch && *seq == member.after);
        if member.sequenced && !member.in_step {
            self.out_of_step.push(sid);
        }
        let keys: Vec<(&str, FilterKey)> = member
            .filter
            .as_deref()
            .map(|f| f.keys().collect())
            .unwrap_or_default();
        // A field the room files under already, else the filter's first.
        let chosen = keys
            .iter()
            .find_map(|(name, key)| {
                let field = self.index.iter().position(|(f, _)| **f == **name)?;
                Some((field, key.clone()))
            })
            .or_else(|| {
                let (name, key) = keys.first()?;
                self.index.push(((*name).into(), HashMap::new()));
                Some((self.index.len() - 1, key.clone()))
            });
        member.filed_exactly = chosen.is_some() && keys.len() == 1;
        let slot = match chosen {
            None => {
                self.plain.push(member);
                Slot::Plain
            }
            Some((field, key)) => {
                self.index[field]
                    .1
                    .entry(key.clone())
                    .or_default()
                    .push(member);
                Slot::Indexed { field, key }
            }
        };
        self.slots.insert(sid, slot);
        before
    }

    /// Takes a member out.
    pub(super) fn remove(&mut self, sid: Sid) -> Option<Member> {
        let slot = self.slots.remove(&sid)?;
        let member = match slot {
            Slot::Plain => take(&mut self.plain, sid),
            Slot::Indexed { field, key } => {
                let buckets = &mut self.index[field].1;
                let bucket = buckets.get_mut(&key)?;
                let member = take(bucket, sid);
                if bucket.is_empty() {
                    buckets.remove(&key);
                }
                member
            }
        }?;
        if member.sequenced && !member.in_step {
            self.out_of_step.retain(|s| *s != sid);
        }
        Some(member)
    }

    pub(super) fn get_mut(&mut self, sid: Sid) -> Option<&mut Member> {
        let bucket = match self.slots.get(&sid)? {
            Slot::Plain => &mut self.plain,
            Slot::Indexed { field, key } => self.index[*field].1.get_mut(key)?,
        };
        bucket.iter_mut().find(|m| m.socket.id == sid)
    }

    /// Every member.
    pub(super) fn iter(&self) -> impl Iterator<Item = &Member> {
        self.plain.iter().chain(
            self.index
                .iter()
                .flat_map(|(_, buckets)| buckets.values().flatten()),
        )
    }

    /// The members an event with these rows (after and before the change) may reach: those
    /// without a filter, and those filed under a value either row holds (with what the index
    /// knows of the rows for them).
    pub(super) fn candidates(
        &mut self,
        after: Option<&Value>,
        before: Option<&Value>,
        mut each: impl FnMut(&mut Member, Option<Known>),
    ) {
        for member in &mut self.plain {
            each(member, None);
        }
        for (field, buckets) in &mut self.index {
            // A row that is not an object matches no filter: it holds no value.
            let key = |row: Option<&Value>| {
                let row = row?.as_object()?;
                FilterKey::of_row(row.get(&**field))
            };
            let after = key(after);
            let before = key(before);
            let same = after.is_some() && after == before;
            let visits = [
                (
                    after.as_ref(),
                    Known {
                        after: true,
                        before: same,
                    },
                ),
                (
                    before.as_ref().filter(|_| !same),
                    Known {
                        after: false,
                        before: true,
                    },
                ),
            ];
            for (key, known) in visits {
                if let Some(bucket) = key.and_then(|key| buckets.get_mut(key)) {
                    for member in bucket {
                        each(member, Some(known));
                    }
                }
            }
        }
    }
}

/// Takes the member of connection `sid` out of a list (its order does not matter).
fn take(list: &mut Vec<Member>, sid: Sid) -> Option<Member> {
    let at = list.iter().position(|m| m.socket.id == sid)?;
    Some(list.swap_remove(at))
}
