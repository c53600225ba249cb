//! The messages of PostgreSQL's `pgoutput` plugin (protocol version 1) that capture by logical
//! decoding reads: a table's description (`Relation`) and its rows' inserts, updates and deletes,
//! with every value in its text form. (`Begin` and `Commit` come parsed from the replication
//! client; the other messages, `Origin`, `Type`, `Truncate`, are skipped.)
//!
//! The format: <https://www.postgresql.org/docs/15/protocol-logicalrep-message-formats.html>.

use core::fmt;

/// A decoded message.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Message {
    /// The description of a table, sent before its first row in a session and after it changes.
    Relation(Relation),
    /// A row's change.
    Change {
        /// The table's id (`Relation::id`).
        relation: u32,
        kind: ChangeKind,
        /// The row after an insert or an update.
        new: Option<Tuple>,
        /// The row before an update or a delete: the whole row under `REPLICA IDENTITY FULL`,
        /// its key columns otherwise, none for an update that did not change the key.
        old: Option<Tuple>,
    },
    /// Any other message.
    Other(u8),
}

/// What a change did to its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChangeKind {
    Insert,
    Update,
    Delete,
}

/// A table as `pgoutput` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Relation {
    pub id: u32,
    pub namespace: String,
    pub name: String,
    pub columns: Vec<String>,
}

/// A column's value in a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    Null,
    /// A TOASTed value that the update did not change: not sent.
    Unchanged,
    Text(String),
}

/// A row's values, in the table's column order.
pub(crate) type Tuple = Vec<Value>;

/// A message that is not what `pgoutput` sends.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Malformed(&'static str);

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a malformed pgoutput message: {}", self.0)
    }
}

impl std::error::Error for Malformed {}

/// Decodes one message.
pub(crate) fn parse(data: &[u8]) -> Result<Message, Malformed> {
    let mut r = Reader(data);
    let tag = r.u8()?;
    let message = match tag {
        b'R' => {
            let id = r.u32()?;
            let namespace = r.cstr()?;
            let name = r.cstr()?;
            let _replica_identity = r.u8()?;
            let count = r.u16()?;
            let mut columns = Vec::with_capacity(usize::from(count));
            for _ in 0..count {
                let _flags = r.u8()?;
                columns.push(r.cstr()?);
                let _type_oid = r.u32()?;
                let _type_modifier = r.u32()?;
            }
            Message::Relation(Relation {
                id,
                namespace,
                name,
                columns,
            })
        }
        b'I' => {
            let relation = r.u32()?;
            r.expect(b'N', "an insert without its new row")?;
            Message::Change {
                relation,
                kind: ChangeKind::Insert,
                new: Some(r.tuple()?),
                old: None,
            }
        }
        b'U' => {
            let relation = r.u32()?;
            let old = match r.u8()? {
                b'K' | b'O' => {
                    let old = r.tuple()?;
                    r.expect(b'N', "an update without its new row")?;
                    Some(old)
                }
                b'N' => None,
                _ => return Err(Malformed("an update's row is neither old nor new")),
            };
            Message::Change {
                relation,
                kind: ChangeKind::Update,
                new: Some(r.tuple()?),
                old,
            }
        }
        b'D' => {
            let relation = r.u32()?;
            match r.u8()? {
                b'K' | b'O' => {}
                _ => return Err(Malformed("a delete without its old row")),
            }
            Message::Change {
                relation,
                kind: ChangeKind::Delete,
                new: None,
                old: Some(r.tuple()?),
            }
        }
        other => return Ok(Message::Other(other)),
    };
    Ok(message)
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], Malformed> {
        if self.0.len() < n {
            return Err(Malformed("it ends early"));
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, Malformed> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, Malformed> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, Malformed> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn expect(&mut self, tag: u8, what: &'static str) -> Result<(), Malformed> {
        if self.u8()? == tag {
            Ok(())
        } else {
            Err(Malformed(what))
        }
    }

    /// A zero-terminated string.
    fn cstr(&mut self) -> Result<String, Malformed> {
        let end = self
            .0
            .iter()
            .position(|&b| b == 0)
            .ok_or(Malformed("a name without its end"))?;
        let text = String::from_utf8(self.0[..end].to_vec())
            .map_err(|_| Malformed("a name that is not UTF-8"))?;
        self.0 = &self.0[end + 1..];
        Ok(text)
    }

    fn tuple(&mut self) -> Result<Tuple, Malformed> {
        let count = self.u16()?;
        let mut values = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            values.push(match self.u8()? {
                b'n' => Value::Null,
                b'u' => Value::Unchanged,
                b't' => {
                    let len = usize::try_from(self.u32()?)
                        .map_err(|_| Malformed("a value longer than memory"))?;
                    let text = String::from_utf8(self.take(len)?.to_vec())
                        .map_err(|_| Malformed("a text value that is not UTF-8"))?;
                    Value::Text(text)
                }
                _ => return Err(Malformed("a value in a format other than text")),
            });
        }
        Ok(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cstr(out: &mut Vec<u8>, s: &str) {
        out.extend_from_slice(s.as_bytes());
        out.push(0);
    }

    fn tuple(out: &mut Vec<u8>, values: &[Option<&str>]) {
        out.extend_from_slice(&u16::try_from(values.len()).unwrap().to_be_bytes());
        for value in values {
            match value {
                None => out.push(b'n'),
                Some(text) => {
                    out.push(b't');
                    out.extend_from_slice(&u32::try_from(text.len()).unwrap().to_be_bytes());
                    out.extend_from_slice(text.as_bytes());
                }
            }
        }
    }

    #[test]
    fn a_relation_and_its_changes() {
        let mut relation = vec![b'R'];
        relation.extend_from_slice(&16_384u32.to_be_bytes());
        cstr(&mut relation, "public");
        cstr(&mut relation, "task");
        relation.push(b'f');
        relation.extend_from_slice(&2u16.to_be_bytes());
        for (name, oid) in [("id", 25u32), ("done", 16)] {
            relation.push(1);
            cstr(&mut relation, name);
            relation.extend_from_slice(&oid.to_be_bytes());
            relation.extend_from_slice(&u32::MAX.to_be_bytes());
        }
        assert_eq!(
            parse(&relation),
            Ok(Message::Relation(Relation {
                id: 16_384,
                namespace: "public".into(),
                name: "task".into(),
                columns: vec!["id".into(), "done".into()],
            }))
        );

        let mut update = vec![b'U'];
        update.extend_from_slice(&16_384u32.to_be_bytes());
        update.push(b'O');
        tuple(&mut update, &[Some("a"), Some("f")]);
        update.push(b'N');
        tuple(&mut update, &[Some("a"), None]);
        assert_eq!(
            parse(&update),
            Ok(Message::Change {
                relation: 16_384,
                kind: ChangeKind::Update,
                new: Some(vec![Value::Text("a".into()), Value::Null]),
                old: Some(vec![Value::Text("a".into()), Value::Text("f".into())]),
            })
        );

        // Cut anywhere, it is an error, never a panic.
        for end in 0..update.len() {
            assert!(parse(&update[..end]).is_err(), "cut at {end}");
        }
        assert_eq!(parse(b"Yanything"), Ok(Message::Other(b'Y')));
    }
}
