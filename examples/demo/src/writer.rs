//! Group commit: the SQLite [`Store`] on a thread of its own, committing the API's writes that
//! queue up while a commit runs in one transaction.
//!
//! SQLite has one writer at a time, so the store's writes are serialised whatever the number
//! of handlers. Each commit has a fixed cost (the WAL's frames for every page the transaction
//! changed, the WAL hook, which also wakes the change log's relay), and with change capture
//! a write changes three more pages (the channel's head, the change table's leaf and its
//! b-tree), all in that serialised time. The writer thread takes every request waiting when it
//! is free, runs them in order in one `BEGIN IMMEDIATE` transaction, each in a savepoint of its
//! own, and commits once: the pages the group's writes share (the table's last leaf, the
//! channel's head, the change table's last leaf) are written to the WAL once, and the relay is
//! woken once. A lone request is a group of one: nothing waits for others to come.
//!
//! Each request is answered after its group's commit, so an answer never shows a write that is
//! not committed. A request that fails is rolled back to its savepoint and answered with its
//! error; the others of its group commit. Should a failure end the whole transaction (SQLite
//! rolls back everything for a few errors, such as a full disk), or the commit fail, every
//! request of the group that had succeeded is answered with that error instead: nothing is
//! reported done that was not committed.

use std::sync::mpsc;

use crate::store::{Store, StoreError};

/// The most requests committed in one transaction.
pub const MAX_GROUP: usize = 64;

/// One request queued for the writer thread.
type Job = Box<dyn Request>;

/// A request: runs on the store inside the group's transaction and leaves the delivery of its
/// answer, which waits for the group's commit; or is refused without running.
trait Request: Send {
    /// Runs the request's work.
    fn run(self: Box<Self>, store: &mut Store) -> Pending;
    /// Answers `failed` without running (no transaction could be opened for it).
    fn refuse(self: Box<Self>, failed: &rusqlite::Error);
}

/// A request of [`Writer::run`].
struct Work<T, F> {
    work: F,
    reply: tokio::sync::oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Request for Work<T, F>
where
    T: Send + 'static,
    F: FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
{
    fn run(self: Box<Self>, store: &mut Store) -> Pending {
        let Work { work, reply } = *self;
        let result = work(store);
        Pending {
            ok: result.is_ok(),
            deliver: Box::new(move |failed: Option<&rusqlite::Error>| {
                let _ = reply.send(match failed {
                    Some(e) if result.is_ok() => Err(again(e)),
                    _ => result,
                });
            }),
        }
    }

    fn refuse(self: Box<Self>, failed: &rusqlite::Error) {
        let _ = self.reply.send(Err(again(failed)));
    }
}

/// Hands a request's answer over: its own when given `None`, else the group's failure.
type Deliver = Box<dyn FnOnce(Option<&rusqlite::Error>) + Send>;

/// A request's answer, held until its group's commit is known.
struct Pending {
    /// Whether the request succeeded (its changes are part of the group).
    ok: bool,
    /// Hands the answer over.
    deliver: Deliver,
}

/// The store's writer thread: [`run`](Self::run) queues work for it and waits for the answer.
#[derive(Debug)]
pub struct Writer {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Writer {
    /// Moves `store` to a new writer thread.
    ///
    /// # Errors
    /// When the thread cannot be started.
    pub fn start(store: Store) -> Result<Writer, StoreError> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("sqlite-writer".to_owned())
            .spawn(move || serve(store, &queue))
            .map_err(StoreError::Thread)?;
        Ok(Writer {
            jobs: Some(jobs),
            thread: Some(thread),
        })
    }

    /// Runs `work` on the store in the next group and returns its answer once the group is
    /// committed (or the error that kept it from committing).
    ///
    /// # Errors
    /// `work`'s error, the group's commit's, or [`StoreError::Thread`] when the writer thread
    /// is gone.
    pub async fn run<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(Work { work, reply });
        let gone = || StoreError::Thread(std::io::Error::other("it stopped"));
        self.jobs
            .as_ref()
            .ok_or_else(gone)?
            .send(job)
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

impl Drop for Writer {
    /// Ends the thread after the work queued so far; the store closes with it.
    fn drop(&mut self) {
        self.jobs.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The writer thread: a group for each time it finds requests waiting, until every sender is
/// gone.
fn serve(mut store: Store, queue: &mpsc::Receiver<Job>) {
    let mut group = Vec::with_capacity(MAX_GROUP);
    while let Ok(first) = queue.recv() {
        group.push(first);
        while group.len() < MAX_GROUP {
            match queue.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        commit_group(&mut store, group.drain(..));
    }
}

/// Runs `jobs` in one transaction, each in a savepoint, commits, and answers each.
fn commit_group(store: &mut Store, jobs: impl Iterator<Item = Job>) {
    let mut done: Vec<Pending> = Vec::with_capacity(MAX_GROUP);
    let mut open = false;
    for job in jobs {
        if !open {
            if let Err(e) = store.begin_group() {
                // No transaction: the request does not run; it gets the reason.
                job.refuse(&e);
                continue;
            }
            open = true;
        }
        if let Err(e) = store.savepoint() {
            settle(&mut done, Some(&e));
            let _ = store.rollback_group();
            open = false;
            job.refuse(&e);
            continue;
        }
        let pending = job.run(store);
        let ended = if pending.ok {
            store.release()
        } else {
            store.rollback_to()
        };
        done.push(pending);
        if let Err(e) = ended {
            settle(&mut done, Some(&e));
            let _ = store.rollback_group();
            open = false;
        } else if store.in_autocommit() {
            // SQLite ended the transaction itself (a failure that rolls back everything):
            // none of the group's writes so far is committed.
            let e = rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ABORT),
                Some("the transaction was rolled back by a failed write; send it again".to_owned()),
            );
            settle(&mut done, Some(&e));
            open = false;
        }
    }
    if open {
        match store.commit_group() {
            Ok(()) => settle(&mut done, None),
            Err(e) => {
                let _ = store.rollback_group();
                settle(&mut done, Some(&e));
            }
        }
    }
}

/// Answers every request in `done`: with its own answer, or with `failed`.
fn settle(done: &mut Vec<Pending>, failed: Option<&rusqlite::Error>) {
    for pending in done.drain(..) {
        (pending.deliver)(failed);
    }
}

/// A copy of a commit's error for each request of the group.
fn again(e: &rusqlite::Error) -> StoreError {
    match e {
        rusqlite::Error::SqliteFailure(code, message) => {
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(*code, message.clone()))
        }
        other => StoreError::Invalid(format!("the database failed: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::store::{Created, Location};

    /// A request of a test.
    type Test<T> = Box<dyn FnOnce(&mut Store) -> Result<T, StoreError> + Send>;

    /// Queues `requests` behind a request that holds the writer thread until they are all
    /// queued, so that they make one group; their answers, in order.
    async fn one_group<T: Send + 'static>(
        writer: &Arc<Writer>,
        requests: Vec<Test<T>>,
    ) -> Vec<Result<T, StoreError>> {
        let (release, held) = std::sync::mpsc::channel::<()>();
        let holder = {
            let writer = writer.clone();
            tokio::spawn(async move {
                writer
                    .run(move |_| {
                        held.recv()
                            .map_err(|e| StoreError::Thread(std::io::Error::other(e)))
                    })
                    .await
            })
        };
        // The holder's request is sent before the others, on the first poll of each.
        tokio::task::yield_now().await;
        let tasks: Vec<_> = requests
            .into_iter()
            .map(|work| {
                let writer = writer.clone();
                tokio::spawn(async move { writer.run(work).await })
            })
            .collect();
        tokio::task::yield_now().await;
        release.send(()).unwrap();
        holder.await.unwrap().unwrap();
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(task.await.unwrap());
        }
        answers
    }

    #[tokio::test]
    async fn a_group_commits_its_requests_and_rolls_back_only_the_one_that_failed() {
        let writer = Arc::new(Writer::start(Store::open(&Location::Memory).unwrap()).unwrap());
        let answers = one_group(
            &writer,
            vec![
                Box::new(|store: &mut Store| store.create("first").map(|t| t.title)),
                Box::new(|store: &mut Store| {
                    // Writes, then fails: its row must not be committed with the others.
                    store.create("half done")?;
                    Err(StoreError::Invalid("refused after its write".to_owned()))
                }),
                Box::new(|store: &mut Store| store.create("   ").map(|t| t.title)),
                Box::new(|store: &mut Store| store.create("last").map(|t| t.title)),
            ],
        )
        .await;
        assert_eq!(answers[0].as_deref().unwrap(), "first");
        assert!(matches!(answers[1], Err(StoreError::Invalid(_))));
        assert!(matches!(answers[2], Err(StoreError::Broken(_))));
        assert_eq!(answers[3].as_deref().unwrap(), "last");
        let titles: Vec<String> = writer
            .run(|store| store.list())
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.title)
            .collect();
        assert_eq!(titles, ["first", "last"]);
    }

    #[tokio::test]
    async fn a_key_used_twice_in_one_group_creates_once() {
        let writer = Arc::new(Writer::start(Store::open(&Location::Memory).unwrap()).unwrap());
        let answers = one_group(
            &writer,
            vec![
                Box::new(|store: &mut Store| store.create_once("k-1", "once")),
                Box::new(|store: &mut Store| store.create_once("k-1", "once")),
                Box::new(|store: &mut Store| store.create_once("k-1", "another")),
            ],
        )
        .await;
        let Ok(Created::New(task)) = &answers[0] else {
            panic!("the first create: {:?}", answers[0]);
        };
        assert!(matches!(&answers[1], Ok(Created::Replayed(again)) if again == task));
        assert!(matches!(answers[2], Err(StoreError::KeyReused(_))));
        assert_eq!(writer.run(|store| store.list()).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn every_request_is_answered_and_the_thread_ends_with_the_writer() {
        let writer = Arc::new(Writer::start(Store::open(&Location::Memory).unwrap()).unwrap());
        let tasks: Vec<_> = (0..200)
            .map(|n| {
                let writer = writer.clone();
                tokio::spawn(async move {
                    writer
                        .run(move |store| store.create(&format!("task {n}")))
                        .await
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert_eq!(writer.run(|store| store.list()).await.unwrap().len(), 200);
        let writer = Arc::into_inner(writer).unwrap();
        drop(writer); // joins the thread: the store is closed once this returns
    }
}
