//! Capture by PostgreSQL's logical decoding ([`CaptureOptions::decoding`]): the model tables'
//! changes are read from the write-ahead log, through a replication slot and a publication,
//! instead of being recorded by a trigger inside each writer's commit.
//!
//! One process at a time (a lease in the database, as `relay_into` holds) streams the slot
//! with `pgoutput` and records each batch of committed transactions in the change table, in
//! commit order, through the generated `<table>_capture_apply` functions, together with the end
//! of the last transaction recorded (`_sheplang_decoding.applied`), in one transaction: a
//! transaction is recorded once, whatever crashes when. The slot is told that position only
//! after that commit, so PostgreSQL keeps the write-ahead log of what is not recorded yet. From
//! the change table on, everything is as with the triggers: positions, resume, retention, the
//! relay into Redis.

use core::fmt::Write as _;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use pgwire_replication::{Lsn, ReplicationClient, ReplicationConfig, ReplicationEvent};
use serde_json::{Map, Value as Json};
use tokio_postgres::{Client, NoTls};

use super::pgoutput::{self, ChangeKind, Message, Relation, Value};
use super::{ChangeTable, GATHER, LEASE_MS, unix_now_ms};
use crate::log::LogError;

/// The names of one schema's capture by decoding.
#[derive(Debug)]
pub(super) struct Decoding {
    url: String,
    slot: String,
    schema: String,
}

fn failed(what: &str, e: &tokio_postgres::Error) -> LogError {
    LogError::new(format!("capture by logical decoding: {what}: {e}"))
}

/// How many changes one transaction of the change table records at most (a transaction of the
/// model tables is never split).
const BATCH_CHANGES: usize = 2000;

impl Decoding {
    /// Prepares the database of `client` (the connection of `url`): checks `wal_level`, makes
    /// the slot, moves the captured tables from their triggers to the publication (once).
    pub(super) async fn set_up(client: &Client, url: &str) -> Result<Decoding, LogError> {
        let wal_level: String = client
            .query_one("SHOW wal_level", &[])
            .await
            .map_err(|e| failed("reading `wal_level`", &e))?
            .get(0);
        if wal_level != "logical" {
            return Err(LogError::new(format!(
                "capture by logical decoding needs `wal_level = logical` on the PostgreSQL \
                 server (it is `{wal_level}`): set it in postgresql.conf (or `ALTER SYSTEM SET \
                 wal_level = logical`) and restart the server, or capture with the triggers \
                 (`CaptureOptions::default()`)"
            )));
        }
        let row = client
            .query_one("SELECT current_database(), current_schema()", &[])
            .await
            .map_err(|e| failed("reading the schema", &e))?;
        let (database, schema): (String, String) = (row.get(0), row.get(1));
        let slot = slot_name(&database, &schema);
        client
            .batch_execute("SELECT pg_advisory_lock(hashtext('sheplang decoding'))")
            .await
            .map_err(|e| failed("locking", &e))?;
        let made = make(client, &slot).await;
        let _ = client
            .batch_execute("SELECT pg_advisory_unlock(hashtext('sheplang decoding'))")
            .await;
        made?;
        Ok(Decoding {
            url: url.to_owned(),
            slot,
            schema,
        })
    }
}

/// `sheplang_<database>_<schema>`, in the letters a slot's name may have, at most 63 bytes
/// (slots belong to the whole server, publications to a database).
fn slot_name(database: &str, schema: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect()
    };
    let name = format!("sheplang_{}_{}", clean(database), clean(schema));
    if name.len() <= 63 {
        return name;
    }
    // Long names: a prefix and a hash of the whole, so that two long names stay apart.
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    format!("{}_{hash:016x}", &name[..46])
}

/// Makes the publication and the slot when missing, then moves the tables to the publication
/// and records the relay's start (both once).
async fn make(client: &Client, slot: &str) -> Result<(), LogError> {
    // The publication first: `pgoutput` looks it up as of each decoded transaction, and fails
    // the stream on a transaction older than the publication (any write of the database
    // between the slot's start and the publication's).
    let published = client
        .query_opt("SELECT 1 FROM pg_publication WHERE pubname = $1", &[&slot])
        .await
        .map_err(|e| failed("reading the publications", &e))?
        .is_some();
    if !published {
        client
            .batch_execute(&format!(
                "CREATE PUBLICATION {} WITH (publish = 'insert, update, delete')",
                identifier(slot)
            ))
            .await
            .map_err(|e| failed("making the publication", &e))?;
    }
    let exists = client
        .query_opt(
            "SELECT 1 FROM pg_replication_slots WHERE slot_name = $1",
            &[&slot],
        )
        .await
        .map_err(|e| failed("reading the slots", &e))?
        .is_some();
    if !exists {
        client
            .execute(
                "SELECT pg_create_logical_replication_slot($1, 'pgoutput')",
                &[&slot],
            )
            .await
            .map_err(|e| {
                failed(
                    "making the replication slot (the user needs the REPLICATION attribute, \
                     and the server a free `max_replication_slots`)",
                    &e,
                )
            })?;
    }
    // The slot exists before the switch: every transaction that commits after the switch is
    // decoded; the earlier ones had their triggers.
    client
        .execute(
            "INSERT INTO \"_sheplang_decoding\" (\"slot\", \"publication\", \"applied\")\n\
             SELECT $1, $1, \"_sheplang_capture_by_decoding\"($1)\n\
             ON CONFLICT (\"slot\") DO NOTHING",
            &[&slot],
        )
        .await
        .map_err(|e| {
            failed(
                "moving the tables from their triggers to the publication (was the generated \
                 `<stem>.capture.postgres.sql` of this version run?)",
                &e,
            )
        })?;
    Ok(())
}

/// `s` as a quoted SQL identifier.
fn identifier(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Streams the slot into the change table while this process holds the lease, until the log
/// is dropped (`log` then gives none).
pub(super) async fn run<T: ChangeTable>(
    log: impl Fn() -> Option<T> + Send + Sync + 'static,
    decoding: Decoding,
    wake: Arc<tokio::sync::Notify>,
) {
    let holder = crate::log::new_epoch();
    let target = format!("decoding:{}", decoding.slot);
    while let Some(table) = log() {
        let now = unix_now_ms();
        let held = matches!(
            table.lease(&target, &holder, now + LEASE_MS, now).await,
            Ok(true)
        );
        // The log is held only while it is used: dropped, it ends this task.
        drop(table);
        if held && let Err(_e) = stream(&log, &decoding, &target, &holder, &wake).await {
            #[cfg(feature = "tracing")]
            tracing::warn!("{_e}; trying again");
        }
        tokio::time::sleep(Duration::from_millis(
            u64::try_from(LEASE_MS / 3).unwrap_or(1000),
        ))
        .await;
    }
}

/// One replication session: from the last recorded transaction on, until an error or the loss
/// of the lease.
async fn stream<T: ChangeTable>(
    log: &impl Fn() -> Option<T>,
    decoding: &Decoding,
    target: &str,
    holder: &str,
    wake: &tokio::sync::Notify,
) -> Result<(), LogError> {
    let (db, connection) = tokio_postgres::connect(&decoding.url, NoTls)
        .await
        .map_err(|e| failed("connecting", &e))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let applied: String = db
        .query_one(
            "SELECT \"applied\"::text FROM \"_sheplang_decoding\" WHERE \"slot\" = $1",
            &[&decoding.slot],
        )
        .await
        .map_err(|e| failed("reading the position", &e))?
        .get(0);
    let mut applied = Lsn::parse(&applied)
        .map_err(|e| LogError::new(format!("capture by logical decoding: a position: {e}")))?;
    let mut recorder = Recorder::new(db, decoding).await?;
    let mut client = ReplicationClient::connect(replication_config(decoding, applied)?)
        .await
        .map_err(|e| {
            LogError::new(format!(
                "capture by logical decoding: streaming the slot: {e}"
            ))
        })?;
    let mut lease = tokio::time::interval(Duration::from_millis(
        u64::try_from(LEASE_MS / 3).unwrap_or(1000),
    ));
    let mut decoder = Decoder::default();
    let mut last_flush = Instant::now()
        .checked_sub(GATHER)
        .unwrap_or_else(Instant::now);
    loop {
        let event = tokio::select! {
            event = client.recv() => event,
            _ = lease.tick() => {
                let now = unix_now_ms();
                let held = match log() {
                    Some(table) => table.lease(target, holder, now + LEASE_MS, now).await,
                    None => Ok(false),
                };
                if !matches!(held, Ok(true)) {
                    client.stop();
                    return Ok(());
                }
                continue;
            }
        };
        let mut event = event;
        // Everything already received goes into one batch; while transactions keep coming
        // (the last batch was recorded less than `GATHER` ago), so does what arrives until
        // then: one transaction of the change table for many of the writers', instead of
        // one each. A lone transaction is recorded at once.
        loop {
            let Some(ev) = event.map_err(stream_failed)? else {
                return Err(LogError::new(
                    "capture by logical decoding: the stream ended",
                ));
            };
            decoder.take(ev, applied, &mut recorder)?;
            if recorder.pending() >= BATCH_CHANGES {
                break;
            }
            event = match futures_ready(client.recv()) {
                Some(next) => next,
                None if recorder.end.is_some() && last_flush.elapsed() < GATHER => {
                    match tokio::time::timeout_at((last_flush + GATHER).into(), client.recv()).await
                    {
                        Ok(next) => next,
                        Err(_) => break,
                    }
                }
                None => break,
            };
        }
        if let Some(end) = recorder.flush().await? {
            last_flush = Instant::now();
            applied = end;
            client.update_applied_lsn(end);
            wake.notify_one();
        }
    }
}

fn stream_failed(e: pgwire_replication::PgWireError) -> LogError {
    LogError::new(format!(
        "capture by logical decoding: the stream failed: {e}"
    ))
}

/// The value of `future` when it is ready at once.
fn futures_ready<F: core::future::Future>(future: F) -> Option<F::Output> {
    let mut future = core::pin::pin!(future);
    let waker = core::task::Waker::noop();
    let mut cx = core::task::Context::from_waker(waker);
    match future.as_mut().poll(&mut cx) {
        core::task::Poll::Ready(value) => Some(value),
        core::task::Poll::Pending => None,
    }
}

/// The replication connection of the log's URL.
fn replication_config(decoding: &Decoding, start: Lsn) -> Result<ReplicationConfig, LogError> {
    let config: tokio_postgres::Config = decoding.url.parse().map_err(|e| {
        LogError::new(format!(
            "capture by logical decoding: the connection string: {e}"
        ))
    })?;
    let user = config.get_user().unwrap_or("postgres").to_owned();
    let password = config
        .get_password()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .unwrap_or_default();
    let database = config.get_dbname().unwrap_or(&user).to_owned();
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let replication = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Unix(dir)) => ReplicationConfig::unix(
            dir.to_string_lossy(),
            port,
            user,
            password,
            database,
            &decoding.slot,
            decoding.slot.as_str(),
        ),
        tcp => {
            let host = match tcp {
                Some(tokio_postgres::config::Host::Tcp(host)) => host.as_str(),
                _ => "localhost",
            };
            ReplicationConfig::new(
                host,
                user,
                password,
                database,
                &decoding.slot,
                decoding.slot.as_str(),
            )
            .with_port(port)
        }
    };
    Ok(replication
        .with_start_lsn(start)
        .with_status_interval(Duration::from_secs(1))
        .with_application_name("sheplang capture"))
}

/// Follows the stream: the tables' descriptions, and the changes of the transaction being
/// received.
#[derive(Default)]
struct Decoder {
    relations: HashMap<u32, Relation>,
    /// The changes of the current transaction: (table, change).
    changes: Vec<(String, Json)>,
}

impl Decoder {
    fn take(
        &mut self,
        event: ReplicationEvent,
        applied: Lsn,
        recorder: &mut Recorder,
    ) -> Result<(), LogError> {
        match event {
            ReplicationEvent::Begin { .. } => self.changes.clear(),
            ReplicationEvent::XLogData { data, .. } => {
                let message = pgoutput::parse(&data)
                    .map_err(|e| LogError::new(format!("capture by logical decoding: {e}")))?;
                match message {
                    Message::Relation(relation) => {
                        self.relations.insert(relation.id, relation);
                    }
                    Message::Change {
                        relation,
                        kind,
                        new,
                        old,
                    } => {
                        let Some(relation) = self.relations.get(&relation) else {
                            return Err(LogError::new(
                                "capture by logical decoding: a change of a table not described",
                            ));
                        };
                        if relation.namespace == recorder.schema {
                            let change =
                                change_json(relation, kind, new.as_deref(), old.as_deref());
                            self.changes.push((relation.name.clone(), change));
                        }
                    }
                    Message::Other(_) => {}
                }
            }
            ReplicationEvent::Commit { end_lsn, .. } => {
                // A transaction recorded before (the slot was told later than the change
                // table) is skipped; in a stream, commits come in order.
                if end_lsn > applied {
                    recorder.add(core::mem::take(&mut self.changes), end_lsn);
                } else {
                    self.changes.clear();
                }
            }
            ReplicationEvent::KeepAlive { .. }
            | ReplicationEvent::Message { .. }
            | ReplicationEvent::StoppedAt { .. } => {}
        }
        Ok(())
    }
}

/// A change as the generated `<table>_capture_apply` takes it.
fn change_json(
    relation: &Relation,
    kind: ChangeKind,
    new: Option<&[Value]>,
    old: Option<&[Value]>,
) -> Json {
    let row = |values: &[Value], fallback: Option<&[Value]>| -> Json {
        let mut object = Map::with_capacity(relation.columns.len());
        for (i, (column, value)) in relation.columns.iter().zip(values).enumerate() {
            let value = match value {
                Value::Null => Json::Null,
                Value::Text(text) => Json::String(text.clone()),
                // An unchanged TOASTed value of an update: the old row has it (`REPLICA
                // IDENTITY FULL`).
                Value::Unchanged => match fallback.and_then(|old| old.get(i)) {
                    Some(Value::Text(text)) => Json::String(text.clone()),
                    _ => continue,
                },
            };
            object.insert(column.clone(), value);
        }
        Json::Object(object)
    };
    let mut change = Map::with_capacity(3);
    change.insert(
        "k".into(),
        Json::String(
            match kind {
                ChangeKind::Insert => "c",
                ChangeKind::Update => "u",
                ChangeKind::Delete => "d",
            }
            .into(),
        ),
    );
    if let Some(new) = new {
        change.insert("n".into(), row(new, old));
    }
    if let Some(old) = old {
        change.insert("o".into(), row(old, None));
    }
    Json::Object(change)
}

/// The statement that records the changes of `tables` (`$3`, `$5`, ...: each one's changes
/// as JSON text; `$4`, `$6`, ...: its channel) with the end of the batch (`$2`) as the
/// position of the slot `$1`.
fn record_statement(tables: &[String]) -> String {
    let mut sql = String::from(
        "WITH \"moved\" AS (\n  \
         UPDATE \"_sheplang_decoding\" SET \"applied\" = $2::text::pg_lsn\n  \
         WHERE \"slot\" = $1 AND \"applied\" < $2::text::pg_lsn RETURNING 1\n)\nSELECT 1",
    );
    for (i, table) in tables.iter().enumerate() {
        let _ = write!(
            sql,
            ", {}(${}::text::jsonb), pg_notify('sheplang_change', ${})",
            identifier(&format!("{table}_capture_apply")),
            3 + 2 * i,
            4 + 2 * i
        );
    }
    sql.push_str(" FROM \"moved\"");
    sql
}

/// Records batches of decoded transactions in the change table.
struct Recorder {
    db: Client,
    /// The statement recording a batch of each set of tables, prepared at its first batch.
    records: HashMap<Vec<String>, tokio_postgres::Statement>,
    slot: String,
    schema: String,
    /// The captured tables and their channels.
    channels: HashMap<String, String>,
    /// The batch: each table's changes in commit order, the tables in their first change's order.
    tables: Vec<(String, Vec<Json>)>,
    /// The end of the batch's last transaction.
    end: Option<Lsn>,
}

impl Recorder {
    async fn new(db: Client, decoding: &Decoding) -> Result<Recorder, LogError> {
        let mut recorder = Recorder {
            db,
            records: HashMap::new(),
            slot: decoding.slot.clone(),
            schema: decoding.schema.clone(),
            channels: HashMap::new(),
            tables: Vec::new(),
            end: None,
        };
        recorder.read_channels().await?;
        Ok(recorder)
    }

    async fn read_channels(&mut self) -> Result<(), LogError> {
        let rows = self
            .db
            .query(
                "SELECT \"table\", \"channel\" FROM \"_sheplang_captured\"",
                &[],
            )
            .await
            .map_err(|e| failed("reading the captured tables", &e))?;
        self.channels = rows.iter().map(|row| (row.get(0), row.get(1))).collect();
        Ok(())
    }

    /// How many changes the batch holds.
    fn pending(&self) -> usize {
        self.tables.iter().map(|(_, changes)| changes.len()).sum()
    }

    fn add(&mut self, changes: Vec<(String, Json)>, end: Lsn) {
        for (table, change) in changes {
            match self.tables.iter_mut().find(|(t, _)| *t == table) {
                Some((_, list)) => list.push(change),
                None => self.tables.push((table, vec![change])),
            }
        }
        self.end = Some(end);
    }

    /// Records the batch in one transaction with its end: the end, when there was a batch.
    async fn flush(&mut self) -> Result<Option<Lsn>, LogError> {
        let Some(end) = self.end else {
            return Ok(None);
        };
        if self
            .tables
            .iter()
            .any(|(table, _)| !self.channels.contains_key(table))
        {
            // A table captured since this session started (a migration ran the capture SQL).
            self.read_channels().await?;
        }
        // One statement, so one round trip and one commit: first the position (the row's lock
        // orders two relays that would both record: one only holds the lease, but a lease can
        // lapse; the later one updates no row and records nothing), then each table's changes
        // and a notification of its channel.
        let mut tables = Vec::with_capacity(self.tables.len());
        let mut texts = Vec::with_capacity(self.tables.len() * 2);
        for (table, changes) in &self.tables {
            let Some(channel) = self.channels.get(table) else {
                #[cfg(feature = "tracing")]
                tracing::warn!(
                    "capture by logical decoding: `{table}` is in the publication but not \
                     captured; its changes are skipped"
                );
                continue;
            };
            tables.push(table.clone());
            texts.push(
                serde_json::to_string(changes)
                    .map_err(|e| LogError::new(format!("capture by logical decoding: {e}")))?,
            );
            texts.push(channel.clone());
        }
        let statement = match self.records.get(&tables) {
            Some(statement) => statement.clone(),
            None => {
                let statement = self
                    .db
                    .prepare(&record_statement(&tables))
                    .await
                    .map_err(|e| failed("preparing the record of the changes", &e))?;
                self.records.insert(tables, statement.clone());
                statement
            }
        };
        let end_text = end.to_pg_string();
        let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
            Vec::with_capacity(2 + texts.len());
        params.push(&self.slot);
        params.push(&end_text);
        for text in &texts {
            params.push(text);
        }
        self.db
            .execute(&statement, &params)
            .await
            .map_err(|e| failed("recording the changes", &e))?;
        self.tables.clear();
        self.end = None;
        Ok(Some(end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_names_are_valid_and_apart() {
        assert_eq!(slot_name("postgres", "public"), "sheplang_postgres_public");
        assert_eq!(slot_name("My-DB", "s1"), "sheplang_my_db_s1");
        let long_a = slot_name(&"d".repeat(40), &"a".repeat(40));
        let long_b = slot_name(&"d".repeat(40), &"b".repeat(40));
        assert!(long_a.len() <= 63 && long_b.len() <= 63);
        assert_ne!(long_a, long_b);
    }
}
