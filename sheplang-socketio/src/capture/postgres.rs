//! [`PostgresLog`]: the event log over a PostgreSQL database's change table.

use core::fmt;
use core::future::Future;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use serde_json::value::RawValue;
use tokio::sync::Notify;
use tokio_postgres::{AsyncMessage, Client, IsolationLevel, NoTls, Row};

use super::{
    BATCH, CaptureOptions, ChangeTable, LocalFeed, kind_name, kind_of, relay, relay_into, row_id,
    statement, unix_now,
};
use crate::log::{Entry, EventLog, Feed, LogError, LogEvent, LogFuture, Position, Replay};

const SQL: &str = include_str!("postgres.sql");

fn sql(name: &str) -> &'static str {
    statement(SQL, name)
}

/// The event log over a PostgreSQL database whose model tables carry the generated capture
/// triggers (`<stem>.capture.postgres.sql`): every committed write of a model's row, made by
/// any client, is relayed to the server's subscribers, in commit order.
///
/// It keeps two connections: one for its queries, one that `LISTEN`s on `sheplang_change`. A
/// notification only wakes the relay, which reads the rows from the change table (so a row
/// larger than NOTIFY's 8,000-byte payload travels whole); it also looks every
/// [`poll`](CaptureOptions::poll), in case a notification was lost with a connection.
///
/// The connection string is tokio-postgres's (`postgres://user@host:port/db`, or key=value
/// pairs); `options=-csearch_path=...` selects the schema.
///
/// With [`CaptureOptions::decoding`], the changes are read from the server's logical decoding
/// instead of the triggers (which it turns off): one of the processes on the schema streams a
/// replication slot and records each batch of committed transactions in the change table,
/// exactly once (`docs/capture.md`, "Capture by logical decoding").
pub struct PostgresLog {
    inner: Arc<Inner>,
}

struct Inner {
    client: tokio::sync::Mutex<Client>,
    /// The statement `after` of `client`, prepared once: the relay runs it at every wake-up.
    after: tokio_postgres::Statement,
    /// The statements `relayed` and `set_relayed` of `client`, prepared once `relay_into` has
    /// made their table.
    relay: std::sync::OnceLock<(tokio_postgres::Statement, tokio_postgres::Statement)>,
    /// The connection that `LISTEN`s; the relay stops listening while changes keep coming.
    listener: tokio::sync::Mutex<Listener>,
    epoch: Arc<str>,
    options: CaptureOptions,
    wake: Arc<Notify>,
    feed: LocalFeed,
}

/// The connection of the notifications.
struct Listener {
    client: Client,
    /// Whether it listens.
    listening: bool,
    /// The relays woken by it (`follow` and `relay_into` may both run), and how many of them
    /// paused the wake-ups: it stops listening only when all of them did.
    relays: u32,
    paused: u32,
}

impl Clone for PostgresLog {
    fn clone(&self) -> Self {
        PostgresLog {
            inner: self.inner.clone(),
        }
    }
}

impl fmt::Debug for PostgresLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresLog")
            .field("epoch", &self.inner.epoch)
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

fn failed(e: &tokio_postgres::Error) -> LogError {
    LogError::new(format!("the change log in PostgreSQL failed: {e}"))
}

async fn connect(
    url: &str,
) -> Result<
    (
        Client,
        tokio_postgres::Connection<tokio_postgres::Socket, tokio_postgres::tls::NoTlsStream>,
    ),
    LogError,
> {
    tokio_postgres::connect(url, NoTls).await.map_err(|e| {
        LogError::new(format!(
            "cannot connect to PostgreSQL for the change log: {e}; check the connection string \
             (`postgres://user@host:port/database`)"
        ))
    })
}

impl PostgresLog {
    /// The statements `relayed` and `set_relayed`, which `relay_into` prepares before it
    /// starts the only task that runs them.
    fn relay_statements(
        &self,
    ) -> Result<&(tokio_postgres::Statement, tokio_postgres::Statement), LogError> {
        self.inner.relay.get().ok_or_else(|| {
            LogError::new("the relay's statements are prepared by `relay_into` before it runs")
        })
    }

    /// Connects to the database of `url` and opens its change log.
    ///
    /// # Errors
    /// When PostgreSQL cannot be reached, or the database has no change table (the capture SQL
    /// was not run). With [`CaptureOptions::decoding`]: when the server's `wal_level` is not
    /// `logical`, or the slot cannot be made (the user lacks `REPLICATION`, no slot is free).
    /// Without it: when the tables are captured by logical decoding (their triggers are off).
    pub async fn connect(url: &str, options: CaptureOptions) -> Result<PostgresLog, LogError> {
        let (client, connection) = connect(url).await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        let wake = Arc::new(Notify::new());
        let (listener, mut listening) = connect(url).await?;
        let woken = wake.clone();
        tokio::spawn(async move {
            while let Some(message) = core::future::poll_fn(|cx| listening.poll_message(cx)).await {
                match message {
                    Ok(AsyncMessage::Notification(_)) => woken.notify_one(),
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        });
        listener
            .batch_execute(sql("listen"))
            .await
            .map_err(|e| failed(&e))?;
        let epoch: Option<String> = client
            .query_opt(sql("epoch"), &[])
            .await
            .map_err(|e| {
                LogError::new(format!(
                    "the database has no change table ({e}); run the generated \
                     `<stem>.capture.postgres.sql` on it after the tables (docs/capture.md)"
                ))
            })?
            .map(|row| row.get(0));
        let Some(epoch) = epoch else {
            return Err(LogError::new(
                "the change log has no epoch; run the generated `<stem>.capture.postgres.sql` \
                 on the database again",
            ));
        };
        let after = client.prepare(sql("after")).await.map_err(|e| failed(&e))?;
        let decoding = if options.decoding {
            client
                .batch_execute(sql("relay_tables"))
                .await
                .map_err(|e| failed(&e))?;
            Some(super::decoding::Decoding::set_up(&client, url).await?)
        } else {
            refuse_decoded(&client).await?;
            None
        };
        let log = PostgresLog {
            inner: Arc::new(Inner {
                client: tokio::sync::Mutex::new(client),
                after,
                relay: std::sync::OnceLock::new(),
                listener: tokio::sync::Mutex::new(Listener {
                    client: listener,
                    listening: true,
                    relays: 0,
                    paused: 0,
                }),
                epoch: epoch.into(),
                options,
                wake,
                feed: LocalFeed::default(),
            }),
        };
        if let Some(decoding) = decoding {
            let inner = Arc::downgrade(&log.inner);
            tokio::spawn(super::decoding::run(
                move || inner.upgrade().map(|inner| PostgresLog { inner }),
                decoding,
                log.inner.wake.clone(),
            ));
        }
        Ok(log)
    }

    /// The changes after each channel's position, read in one snapshot (for one channel, one
    /// statement is its own snapshot: no transaction around it).
    async fn read_batch(
        &self,
        from: &HashMap<String, u64>,
    ) -> Result<Vec<(String, Vec<Entry>)>, LogError> {
        let after = &self.inner.after;
        let mut client = self.inner.client.lock().await;
        let mut out = Vec::new();
        if let [(channel, position)] = from.iter().collect::<Vec<_>>()[..] {
            let rows = client
                .query(after, &[channel, &to_i64(*position), &BATCH])
                .await
                .map_err(|e| failed(&e))?;
            if !rows.is_empty() {
                out.push((channel.clone(), entries(channel, &rows)?));
            }
            return Ok(out);
        }
        let tx = snapshot(&mut client).await?;
        for (channel, position) in from {
            let rows = tx
                .query(after, &[channel, &to_i64(*position), &BATCH])
                .await
                .map_err(|e| failed(&e))?;
            if !rows.is_empty() {
                out.push((channel.clone(), entries(channel, &rows)?));
            }
        }
        tx.commit().await.map_err(|e| failed(&e))?;
        Ok(out)
    }

    async fn prune_relayed(&self, relayed: &HashMap<String, u64>) -> Result<(), LogError> {
        let before = unix_now()
            - i64::try_from(self.inner.options.max_age.as_secs()).unwrap_or(i64::MAX / 2);
        let client = self.inner.client.lock().await;
        for (channel, done) in relayed {
            let head = head(&*client, channel).await?;
            client
                .execute(
                    sql("prune"),
                    &[
                        channel,
                        &to_i64(*done),
                        &before,
                        &to_i64(head.saturating_sub(self.inner.options.capacity)),
                    ],
                )
                .await
                .map_err(|e| failed(&e))?;
        }
        Ok(())
    }
}

impl ChangeTable for PostgresLog {
    fn batch(
        &self,
        from: &HashMap<String, u64>,
    ) -> impl Future<Output = Result<Vec<(String, Vec<Entry>)>, LogError>> + Send {
        self.read_batch(from)
    }

    async fn prune(&self, relayed: &HashMap<String, u64>) {
        let _ = self.prune_relayed(relayed).await;
    }

    /// `UNLISTEN` once every relay of this log paused: the writers' commits then signal no
    /// backend (a `NOTIFY` without listeners is only queued), and this process receives no
    /// notification per commit.
    async fn pause_wakeups(&self) -> bool {
        let mut listener = self.inner.listener.lock().await;
        listener.paused = (listener.paused + 1).min(listener.relays.max(1));
        if listener.paused >= listener.relays
            && listener.listening
            && listener.client.batch_execute(sql("unlisten")).await.is_ok()
        {
            listener.listening = false;
        }
        true
    }

    async fn resume_wakeups(&self) {
        let mut listener = self.inner.listener.lock().await;
        listener.paused = listener.paused.saturating_sub(1);
        listen(&mut listener).await;
    }

    async fn lease(
        &self,
        target: &str,
        holder: &str,
        until: i64,
        now: i64,
    ) -> Result<bool, LogError> {
        let client = self.inner.client.lock().await;
        let changed = client
            .execute(sql("lease"), &[&target, &holder, &until, &now])
            .await
            .map_err(|e| failed(&e))?;
        Ok(changed == 1)
    }

    async fn unrelayed(
        &self,
        target: &str,
        channels: &[String],
    ) -> Result<Vec<(String, Vec<Entry>)>, LogError> {
        let mut client = self.inner.client.lock().await;
        let tx = client.transaction().await.map_err(|e| failed(&e))?;
        let mut out = Vec::new();
        for channel in channels {
            let relayed = tx
                .query_opt(&self.relay_statements()?.0, &[&target, channel])
                .await
                .map_err(|e| failed(&e))?;
            // `relay_into` gave every channel its start.
            let Some(relayed) = relayed else {
                continue;
            };
            let relayed: i64 = relayed.get(0);
            let rows = tx
                .query(&self.inner.after, &[channel, &relayed, &BATCH])
                .await
                .map_err(|e| failed(&e))?;
            if !rows.is_empty() {
                out.push((channel.clone(), entries(channel, &rows)?));
            }
        }
        tx.commit().await.map_err(|e| failed(&e))?;
        Ok(out)
    }

    async fn set_relayed(&self, target: &str, channel: &str, relayed: u64) -> Result<(), LogError> {
        let set_relayed = &self.relay_statements()?.1;
        let client = self.inner.client.lock().await;
        client
            .execute(set_relayed, &[&target, &channel, &to_i64(relayed)])
            .await
            .map_err(|e| failed(&e))?;
        Ok(())
    }
}

impl PostgresLog {
    /// Relays every change committed from now on into `target` (a shared log, such as a
    /// `RedisLog`, that the servers of several processes follow), in order, and keeps doing so
    /// in the background: as [`SqliteLog::relay_into`](crate::SqliteLog::relay_into) (one of
    /// the processes that call it holds a lease in the database and relays; the position
    /// relayed so far is stored there, so a relay that restarts goes on where it stopped; a
    /// change reaches the target at least once). It wakes on the database's notifications.
    ///
    /// Must be called within a Tokio runtime. `name` names the target (its stored position).
    ///
    /// # Errors
    /// When the relay's tables cannot be created.
    pub async fn relay_into(
        &self,
        name: &str,
        channels: &[&str],
        target: Arc<dyn EventLog>,
    ) -> Result<(), LogError> {
        self.inner
            .client
            .lock()
            .await
            .batch_execute(sql("relay_tables"))
            .await
            .map_err(|e| failed(&e))?;
        {
            // Each channel's start, before this returns: a new target starts at the channel's
            // head, so no change committed after the call is missed.
            let client = self.inner.client.lock().await;
            for channel in channels {
                client
                    .execute(sql("start_relay"), &[&name, channel])
                    .await
                    .map_err(|e| failed(&e))?;
            }
        }
        if self.inner.relay.get().is_none() {
            let client = self.inner.client.lock().await;
            let relayed = client
                .prepare(sql("relayed"))
                .await
                .map_err(|e| failed(&e))?;
            let set_relayed = client
                .prepare(sql("set_relayed"))
                .await
                .map_err(|e| failed(&e))?;
            let _ = self.inner.relay.set((relayed, set_relayed));
        }
        {
            let mut listener = self.inner.listener.lock().await;
            listener.relays += 1;
            listen(&mut listener).await;
        }
        let channels = channels.iter().map(|c| (*c).to_owned()).collect();
        tokio::spawn(relay_into(
            self.clone(),
            name.to_owned(),
            channels,
            target,
            self.inner.wake.clone(),
            self.inner.options.poll,
        ));
        Ok(())
    }
}

/// A log without [`CaptureOptions::decoding`] on tables captured by logical decoding would
/// relay nothing (their triggers are off): it is refused, with what to do.
async fn refuse_decoded(client: &Client) -> Result<(), LogError> {
    let has_decoding: bool = client
        .query_one(sql("has_decoding"), &[])
        .await
        .map_err(|e| failed(&e))?
        .get(0);
    if !has_decoding {
        return Ok(());
    }
    let slot = client
        .query_opt(sql("decoded_slot"), &[])
        .await
        .map_err(|e| failed(&e))?;
    match slot.map(|row| row.get::<_, String>(0)) {
        None => Ok(()),
        Some(slot) => Err(LogError::new(format!(
            "the tables of this schema are captured by logical decoding (slot `{slot}`): their \
             triggers are off, so this log would relay nothing; open it with \
             `CaptureOptions::default().decoding()`, or move the tables back to their triggers \
             with `SELECT \"_sheplang_capture_by_triggers\"('{slot}')` while no such log runs \
             (docs/capture.md, \"Capture by logical decoding\")"
        ))),
    }
}

/// `LISTEN`s again on `listener`, unless it does; a connection that fails is left to the poll.
async fn listen(listener: &mut Listener) {
    if !listener.listening && listener.client.batch_execute(sql("listen")).await.is_ok() {
        listener.listening = true;
    }
}

/// A read-only transaction that sees one snapshot of the change table.
async fn snapshot(client: &mut Client) -> Result<tokio_postgres::Transaction<'_>, LogError> {
    client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await
        .map_err(|e| failed(&e))
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

async fn head(client: &impl tokio_postgres::GenericClient, channel: &str) -> Result<u64, LogError> {
    let row = client
        .query_opt(sql("head"), &[&channel])
        .await
        .map_err(|e| failed(&e))?;
    Ok(row.map_or(0, |row| u64::try_from(row.get::<_, i64>(0)).unwrap_or(0)))
}

fn entries(channel: &str, rows: &[Row]) -> Result<Vec<Entry>, LogError> {
    rows.iter()
        .map(|row| {
            let seq: i64 = row.get(0);
            let kind: &str = row.get(1);
            let model: String = row.get(2);
            let payload: String = row.get(3);
            let before: Option<String> = row.get(4);
            let json = |text: String| {
                RawValue::from_string(text).map_err(|e| {
                    LogError::new(format!(
                        "change {seq} of `{channel}` holds no JSON: {e}; the change table is \
                         written only by the generated capture triggers"
                    ))
                })
            };
            let payload = json(payload)?;
            let before = before.map(json).transpose()?;
            Ok(Entry {
                seq: u64::try_from(seq).unwrap_or(0),
                event: Arc::new(LogEvent {
                    kind: kind_of(kind)?,
                    model: Cow::Owned(model),
                    payload,
                    before,
                }),
            })
        })
        .collect()
}

impl EventLog for PostgresLog {
    fn epoch(&self) -> Arc<str> {
        self.inner.epoch.clone()
    }

    fn append<'a>(&'a self, channel: &'a str, event: Arc<LogEvent>) -> LogFuture<'a, Position> {
        Box::pin(async move {
            let mut client = self.inner.client.lock().await;
            let tx = client.transaction().await.map_err(|e| failed(&e))?;
            tx.execute(sql("add_channel"), &[&channel])
                .await
                .map_err(|e| failed(&e))?;
            let payload = event.payload.get();
            let row = tx
                .query_one(
                    sql("append"),
                    &[
                        &channel,
                        &kind_name(event.kind),
                        &&*event.model,
                        &row_id(payload),
                        &payload,
                        &event.before.as_deref().map(RawValue::get),
                    ],
                )
                .await
                .map_err(|e| failed(&e))?;
            tx.execute(sql("wake"), &[&channel])
                .await
                .map_err(|e| failed(&e))?;
            tx.commit().await.map_err(|e| failed(&e))?;
            let seq: i64 = row.get(0);
            Ok(Position {
                seq: u64::try_from(seq).unwrap_or(0),
                epoch: self.inner.epoch.clone(),
            })
        })
    }

    fn read<'a>(&'a self, channel: &'a str, since: Option<u64>) -> LogFuture<'a, Replay> {
        Box::pin(async move {
            let epoch = self.inner.epoch.clone();
            let capacity = self.inner.options.capacity;
            let mut client = self.inner.client.lock().await;
            let tx = snapshot(&mut client).await?;
            let head = head(&tx, channel).await?;
            let replay = match since {
                None => Replay::Events {
                    entries: Vec::new(),
                    head,
                    epoch,
                },
                Some(since) if since == head => Replay::Events {
                    entries: Vec::new(),
                    head,
                    epoch,
                },
                Some(since) if since > head || head - since > capacity => {
                    Replay::Reset { head, epoch }
                }
                Some(since) => {
                    let oldest: Option<i64> = tx
                        .query_one(sql("oldest"), &[&channel])
                        .await
                        .map_err(|e| failed(&e))?
                        .get(0);
                    let oldest = oldest.map_or(head + 1, |o| u64::try_from(o).unwrap_or(0));
                    if since + 1 < oldest {
                        Replay::Reset { head, epoch }
                    } else {
                        let rows = tx
                            .query(
                                sql("after"),
                                &[&channel, &to_i64(since), &to_i64(head - since)],
                            )
                            .await
                            .map_err(|e| failed(&e))?;
                        Replay::Events {
                            entries: entries(channel, &rows)?,
                            head,
                            epoch,
                        }
                    }
                }
            };
            tx.commit().await.map_err(|e| failed(&e))?;
            Ok(replay)
        })
    }

    fn follow(&self, feed: Feed) -> LogFuture<'_, bool> {
        Box::pin(async move {
            let mut heads = HashMap::new();
            {
                let mut client = self.inner.client.lock().await;
                let tx = snapshot(&mut client).await?;
                for channel in feed.channels() {
                    heads.insert((*channel).to_owned(), head(&tx, channel).await?);
                }
                tx.commit().await.map_err(|e| failed(&e))?;
            }
            self.inner.feed.set(feed.clone());
            self.inner.listener.lock().await.relays += 1;
            tokio::spawn(relay(
                self.clone(),
                feed,
                heads,
                self.inner.epoch.clone(),
                self.inner.wake.clone(),
                self.inner.options.poll,
            ));
            Ok(true)
        })
    }

    fn notify<'a>(
        &'a self,
        message: &'a str,
        data: Option<&'a serde_json::Value>,
    ) -> LogFuture<'a, ()> {
        self.inner.feed.notify(message, data)
    }
}
