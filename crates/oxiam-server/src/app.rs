//! The running service: the published snapshot, the store behind it and the one write path,
//! and the follower that applies other nodes' commits to the snapshot.
//!
//! # Several nodes on one store
//! Every node keeps the whole state in memory and commits on top of the sequence it knows
//! (see `oxiam_store`). Other nodes' commits reach this node two ways: a commit of ours that
//! conflicts catches up before its handler re-runs, and the [`Follower`] thread applies the
//! feed in order as soon as the store says there is something new (PostgreSQL's NOTIFY;
//! SQLite is polled). While the store is unreachable, requests that the snapshot answers
//! (authentication, authorization, reads) go on from the last snapshot, writes fail with
//! ServiceFailure, [`App::store_status`] says so, and the follower keeps retrying.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use arc_swap::ArcSwap;
use oxiam_sigv4::{SecretAccessKey, SigningKeyCache};
use oxiam_store::crypto::Kek;
use oxiam_store::{Change, PostgresStore, SqliteStore, Store, StoreError};

use crate::model::access::{AccessRecord, EntityKind};
use crate::model::config::Config;
use crate::model::error::ServerError;
use crate::model::ids::{self, IdPrefix};
use crate::model::{AccessKey, Account, KeyLastUsed, KeyOwner, KeyStatus, Setting, now_epoch};
use crate::state::{State, Tx, apply_changes};

/// How often a handler is re-run when another writer committed first.
const MAX_WRITE_ATTEMPTS: usize = 8;
/// How many failed batches are remembered for their writers to find.
const FAILURES_KEPT: usize = 64;
/// The setting naming the account created on first start. Committed in the same
/// transaction as that account and its root key, so a crash cannot leave one without the
/// other (and a restart never creates a second account).
const DEFAULT_ACCOUNT: &str = "default_account";
/// The longest the follower waits for a change notification before polling the feed anyway.
const FOLLOW_WAIT: Duration = Duration::from_secs(1);
/// The follower's longest pause between attempts while the store is unreachable.
const MAX_FOLLOW_BACKOFF: Duration = Duration::from_secs(1);

/// Credentials created on first start, shown to the operator once.
#[derive(Debug)]
pub struct FirstStart {
    pub account: String,
    pub access_key_id: String,
    pub secret_access_key: SecretAccessKey,
    /// The root's console password (a secret type so it never prints by accident).
    pub root_password: SecretAccessKey,
}

/// The state of the write path, under `App::writer`.
#[derive(Debug)]
struct Writer {
    /// The newest state: the published one plus every write queued but not yet durable.
    head: Arc<State>,
    /// The store sequence number the next batch commits on top of.
    durable_seq: u64,
    /// The changes of the open batch, in the order their handlers ran.
    batch: Vec<Change>,
    /// The generation of the open batch; a flush takes it and opens the next.
    open_gen: u64,
    /// Every batch up to this generation is durable or failed.
    settled_gen: u64,
    /// Recently failed batches: `None` to re-run (conflict), `Some(why)` for an error.
    failed: VecDeque<(u64, Option<String>)>,
    /// Whether a writer is committing a batch right now.
    flushing: bool,
}

/// How a queued write ended.
enum Flushed {
    Durable,
    Retry,
}

#[derive(Debug)]
pub struct App {
    pub config: Config,
    state: ArcSwap<State>,
    store: Arc<dyn Store>,
    kek: Arc<Kek>,
    /// The write path (see [`App::write`]); readers never take it.
    writer: Mutex<Writer>,
    /// Signalled whenever a batch is settled.
    flushed: Condvar,
    pub sigv4_cache: SigningKeyCache,
    /// Last use of each access key since the last flush. Not worth a store write per request:
    /// flushed in the background (AWS too reports last use with a delay).
    last_used: Mutex<HashMap<String, KeyLastUsed>>,
    /// Console sign-ins since the last flush: user ID → when (`PasswordLastUsed`), batched
    /// and flushed with the access keys' last use.
    password_used: Mutex<HashMap<String, crate::model::Epoch>>,
    /// What users and roles attempted since the last flush (the access advisor's data),
    /// flushed with the access keys' last use.
    pub access: crate::runtime::access_log::AccessLog,
    /// When this node last dropped access records past the retention or of deleted
    /// entities (see [`App::flush_last_used`]).
    access_purged: Mutex<crate::model::Epoch>,
    pub default_account: String,
    /// STS's clock and opened sessions.
    pub sts: crate::runtime::sessions::Runtime,
    /// The decision log of the authorization API.
    pub audit: crate::runtime::audit::AuditLog,
    /// Resource policies the authorization API was sent, compiled (bounded).
    pub resource_policies: crate::runtime::policy_cache::ResourcePolicyCache,
    /// The address the listener is bound to (set once serving; port 0 resolved).
    pub bound: std::sync::OnceLock<std::net::SocketAddr>,
    /// Whether the last store operation reached the store (see [`App::store_status`]).
    store_reachable: AtomicBool,
    /// AWS's services with the custom ones of `config.service_catalogues`; `None` when there
    /// are none (then [`App::catalogue`] is the shared AWS catalogue, parsed on first use).
    catalogue: Option<oxiam_catalogue::Catalogue>,
}

/// What the health endpoint reports about the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreStatus {
    /// False after a store operation failed, until one succeeds again.
    pub reachable: bool,
    /// The sequence of the published snapshot.
    pub seq: u64,
}

/// The background thread that applies other nodes' commits (see [`App::spawn_follower`]).
/// Stopped and joined by [`Follower::stop`]; dropping it only asks it to stop.
#[derive(Debug)]
pub struct Follower {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Follower {
    /// Stops the thread and waits for it (at most one wait for changes, about a second).
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

impl App {
    /// The STS token key to seal a new token with at the STS clock's now, made (and keys
    /// past their retention dropped) when rotation is due. A write only then.
    pub fn token_key(&self) -> Result<Arc<crate::state::token_keys::TokenKey>, ServerError> {
        use crate::state::token_keys::{current, rotate};
        let now = self.sts.now().unix_timestamp();
        if let Some(k) = current(&self.snapshot().sts_keys, now) {
            return Ok(k);
        }
        self.write(|tx| rotate(tx, now))
    }

    /// The URL clients reach this server at: `--public-url`, else the bound address.
    pub fn public_url(&self) -> String {
        match &self.config.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!(
                "{}://{}",
                if self.config.https { "https" } else { "http" },
                self.bound.get().copied().unwrap_or(self.config.listen)
            ),
        }
    }

    /// Opens the store (creating it and the default account on first start).
    ///
    /// With a PostgreSQL `store_url`, the key-encryption key must come from the
    /// configuration (`kek_base64`): every node must hold the same one, and a key file made
    /// by one node would not be on the others.
    pub fn open(config: Config) -> Result<(Arc<App>, Option<FirstStart>), ServerError> {
        // Before the store: a bad file must not leave a half-started node or a new data
        // directory behind.
        let catalogue = service_catalogue(&config.service_catalogues)?;
        let (store, kek): (Arc<dyn Store>, Kek) = match (&config.store_url, &config.data_dir) {
            (Some(url), _) => {
                let Some(b64) = &config.kek_base64 else {
                    return Err(ServerError::Startup(
                        "a PostgreSQL store needs the key-encryption key from --kek or \
                         OXIAM_KEK (base64 of 32 bytes), the same on every node"
                            .into(),
                    ));
                };
                let kek = Kek::from_base64(b64)
                    .map_err(|e| ServerError::Startup(format!("key-encryption key: {e}")))?;
                (Arc::new(PostgresStore::open(url)?), kek)
            }
            (None, Some(dir)) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    ServerError::Startup(format!(
                        "cannot create data directory {}: {e}",
                        dir.display()
                    ))
                })?;
                let kek = match &config.kek_base64 {
                    Some(b64) => Kek::from_base64(b64),
                    None => Kek::load_or_create(dir),
                }
                .map_err(|e| ServerError::Startup(format!("key-encryption key: {e}")))?;
                (Arc::new(SqliteStore::open(&dir.join("oxiam.db"))?), kek)
            }
            (None, None) => (Arc::new(SqliteStore::open_in_memory()?), Kek::generate()),
        };
        Self::start(config, store, kek, catalogue)
    }

    pub fn with_store(
        config: Config,
        store: Arc<dyn Store>,
        kek: Kek,
    ) -> Result<(Arc<App>, Option<FirstStart>), ServerError> {
        let catalogue = service_catalogue(&config.service_catalogues)?;
        Self::start(config, store, kek, catalogue)
    }

    fn start(
        config: Config,
        store: Arc<dyn Store>,
        kek: Kek,
        catalogue: Option<oxiam_catalogue::Catalogue>,
    ) -> Result<(Arc<App>, Option<FirstStart>), ServerError> {
        let kek = Arc::new(kek);
        let loaded = store.load_all()?;
        let state = Arc::new(State::from_records(&loaded.records, loaded.seq, &kek)?);
        let existing = state.settings.get(DEFAULT_ACCOUNT).map(|s| s.value.clone());
        let default_account = match (&existing, &config.default_account) {
            (Some(id), _) => id.clone(),
            (None, Some(id)) => id.clone(),
            (None, None) => ids::account_id(),
        };
        let audit_dir = config.audit_dir.clone().or_else(|| {
            config
                .data_dir
                .as_deref()
                .map(crate::runtime::audit::dir_of)
        });
        let audit = match &audit_dir {
            Some(dir) => crate::runtime::audit::AuditLog::open(dir)
                .map_err(|e| ServerError::Startup(format!("cannot open the audit log: {e}")))?,
            None => crate::runtime::audit::AuditLog::disabled(),
        };
        let app = Arc::new(App {
            config,
            state: ArcSwap::new(Arc::clone(&state)),
            store,
            kek,
            writer: Mutex::new(Writer {
                head: Arc::clone(&state),
                durable_seq: state.seq,
                batch: Vec::new(),
                open_gen: 1,
                settled_gen: 0,
                failed: VecDeque::new(),
                flushing: false,
            }),
            flushed: Condvar::new(),
            sigv4_cache: SigningKeyCache::new(4096),
            last_used: Mutex::new(HashMap::new()),
            password_used: Mutex::new(HashMap::new()),
            access: crate::runtime::access_log::AccessLog::default(),
            access_purged: Mutex::new(0),
            default_account,
            sts: crate::runtime::sessions::Runtime::default(),
            audit,
            resource_policies: Default::default(),
            bound: std::sync::OnceLock::new(),
            store_reachable: AtomicBool::new(true),
            catalogue,
        });
        if let Some(path) = &app.config.oidc_ca_file {
            let pem = std::fs::read(path).map_err(|e| {
                ServerError::Startup(format!("cannot read {}: {e}", path.display()))
            })?;
            app.sts
                .oidc_keys
                .trust_pem(&pem)
                .map_err(|e| ServerError::Startup(format!("{}: {e}", path.display())))?;
        }
        let first = match existing {
            Some(_) => None,
            None => app.create_default_account()?,
        };
        Ok((app, first))
    }

    /// Every service whose actions oxiam knows: AWS's (the embedded catalogue) and the
    /// custom services given with `--service-catalogue`.
    pub fn catalogue(&self) -> &oxiam_catalogue::Catalogue {
        self.catalogue
            .as_ref()
            .unwrap_or_else(|| oxiam_catalogue::Catalogue::aws())
    }

    /// Creates the default account, or returns `None` when another node sharing the store
    /// created one first (then it must be the same account: an error otherwise).
    fn create_default_account(&self) -> Result<Option<FirstStart>, ServerError> {
        let account = self.default_account.clone();
        let key_id = self
            .config
            .root_access_key_id
            .clone()
            .unwrap_or_else(|| ids::access_key_id(IdPrefix::AccessKey));
        let secret = SecretAccessKey::new(
            self.config
                .root_secret_access_key
                .clone()
                .unwrap_or_else(ids::secret_access_key),
        );
        let secret_for_tx = secret.clone();
        let root_password = SecretAccessKey::new(
            self.config
                .root_password
                .clone()
                .unwrap_or_else(crate::model::passwords::generate_root_password),
        );
        let root_hash = crate::model::passwords::PasswordHash::new(root_password.expose())?;
        let (acct, kid) = (account.clone(), key_id.clone());
        let created = self.write(move |tx| {
            if tx.state().settings.contains_key(DEFAULT_ACCOUNT) {
                return Ok(false);
            }
            tx.put(Setting {
                name: DEFAULT_ACCOUNT.to_owned(),
                value: acct.clone(),
            })?;
            tx.put(Account {
                id: acct.clone(),
                created: now_epoch(),
                alias: None,
                root_password: Some(root_hash.clone()),
                root_password_last_used: None,
                enforcement: crate::model::EnforcementMode::Enforce,
            })?;
            tx.put(AccessKey {
                id: kid.clone(),
                account: acct.clone(),
                owner: KeyOwner::Root,
                status: KeyStatus::Active,
                created: now_epoch(),
                secret: secret_for_tx.clone(),
            })?;
            Ok(true)
        })?;
        if !created {
            let theirs = self
                .snapshot()
                .settings
                .get(DEFAULT_ACCOUNT)
                .map(|s| s.value.clone());
            return match theirs {
                Some(id) if id == account => Ok(None),
                _ => Err(ServerError::Startup(
                    "another node created the default account at the same time; start this \
                     node again to use it"
                        .into(),
                )),
            };
        }
        Ok(Some(FirstStart {
            account,
            access_key_id: key_id,
            secret_access_key: secret,
            root_password,
        }))
    }

    /// The current snapshot. Cheap; never blocks.
    pub fn snapshot(&self) -> Arc<State> {
        self.state.load_full()
    }

    /// Runs a read against the published snapshot: no lock, and never a state that is not
    /// durable yet. Should `f` turn out to write, it is run again as a write.
    pub fn read<T>(
        &self,
        mut f: impl FnMut(&mut Tx) -> Result<T, ServerError>,
    ) -> Result<T, ServerError> {
        let mut tx = Tx::new(self.snapshot(), Arc::clone(&self.kek));
        let out = f(&mut tx)?;
        match tx.finish() {
            None => Ok(out),
            Some(_) => self.write(f),
        }
    }

    /// Runs `f` as one atomic write and returns once it is durable and published.
    ///
    /// Group commit: `f` runs under the writer lock against the newest state, including
    /// writes queued but not yet durable, and its changes join the open batch. One writer
    /// at a time flushes a whole batch in one store transaction (one fsync), publishes the
    /// state it produces and wakes the batch's writers; handlers keep running and queueing
    /// into the next batch meanwhile. A failed flush fails its batch and the batch built on
    /// top of it: nothing of either was published, so their writers re-run `f` on the state
    /// the store really holds (another node may have committed first).
    pub fn write<T>(
        &self,
        mut f: impl FnMut(&mut Tx) -> Result<T, ServerError>,
    ) -> Result<T, ServerError> {
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let mut w = self.lock_writer()?;
            let mut tx = Tx::new(Arc::clone(&w.head), Arc::clone(&self.kek));
            let out = f(&mut tx)?;
            let Some((changes, next)) = tx.finish() else {
                return Ok(out);
            };
            w.batch.extend(changes);
            w.head = Arc::new(next);
            let generation = w.open_gen;
            match self.await_flush(w, generation)? {
                Flushed::Durable => return Ok(out),
                Flushed::Retry => {}
            }
        }
        Err(ServerError::Conflict)
    }

    fn lock_writer(&self) -> Result<MutexGuard<'_, Writer>, ServerError> {
        self.writer
            .lock()
            .map_err(|_| ServerError::Internal("writer lock poisoned".into()))
    }

    /// Waits until batch `generation` is settled, flushing it when nobody else is.
    fn await_flush<'a>(
        &'a self,
        mut w: MutexGuard<'a, Writer>,
        generation: u64,
    ) -> Result<Flushed, ServerError> {
        loop {
            if w.settled_gen >= generation {
                return match w.failed.iter().find(|(g, _)| *g == generation) {
                    None => Ok(Flushed::Durable),
                    Some((_, None)) => Ok(Flushed::Retry),
                    Some((_, Some(why))) => Err(ServerError::Internal(why.clone())),
                };
            }
            w = if !w.flushing && w.open_gen == generation {
                self.flush(w)?
            } else {
                self.flushed
                    .wait(w)
                    .map_err(|_| ServerError::Internal("writer lock poisoned".into()))?
            };
        }
    }

    /// Commits the open batch without holding the lock, then settles it.
    fn flush<'a>(
        &'a self,
        mut w: MutexGuard<'a, Writer>,
    ) -> Result<MutexGuard<'a, Writer>, ServerError> {
        let batch = std::mem::take(&mut w.batch);
        let generation = w.open_gen;
        w.open_gen += 1;
        w.flushing = true;
        let base = w.durable_seq;
        let produced = Arc::clone(&w.head);
        drop(w);
        let committed = self.store.commit(base, &batch);
        match &committed {
            Ok(_) | Err(StoreError::Conflict { .. }) => self.note_store(true, None),
            Err(e) => self.note_store(false, Some(e)),
        }
        let mut w = self.lock_writer()?;
        w.flushing = false;
        let outcome = match committed {
            Ok(seq) => {
                let mut published = State::clone(&produced);
                published.seq = seq;
                let published = Arc::new(published);
                if Arc::ptr_eq(&w.head, &produced) {
                    w.head = Arc::clone(&published);
                }
                self.state.store(published);
                w.durable_seq = seq;
                w.settled_gen = generation;
                Ok(())
            }
            Err(e) => {
                // The open batch was built on this one: it fails too, to be re-run.
                let why = match e {
                    StoreError::Conflict { .. } => None,
                    e => Some(format!("committing to the store: {e}")),
                };
                w.batch.clear();
                w.open_gen += 1;
                w.settled_gen = generation + 1;
                w.failed.push_back((generation, why));
                w.failed.push_back((generation + 1, None));
                while w.failed.len() > FAILURES_KEPT {
                    w.failed.pop_front();
                }
                self.catch_up(&mut w)
            }
        };
        self.flushed.notify_all();
        outcome.map(|()| w)
    }

    /// Applies what other writers committed since our durable state and makes it the head.
    /// Only while no batch is open or flushing: their changes were computed on the head this
    /// replaces.
    fn catch_up(&self, w: &mut Writer) -> Result<(), ServerError> {
        let mut next = State::clone(&self.snapshot());
        match self.store.changes_since(w.durable_seq) {
            Ok(entries) => {
                for (seq, changes) in entries {
                    apply_changes(&mut next, &changes, &self.kek)?;
                    next.seq = seq;
                }
            }
            // Too far behind to replay: start over from the whole store.
            Err(StoreError::FeedTruncated { .. }) => {
                let loaded = self.store.load_all()?;
                next = State::from_records(&loaded.records, loaded.seq, &self.kek)?;
            }
            Err(e) => return Err(e.into()),
        }
        w.durable_seq = next.seq;
        let next = Arc::new(next);
        w.head = Arc::clone(&next);
        self.state.store(next);
        Ok(())
    }

    /// Applies other nodes' commits to the published snapshot, if there are any. Cheap when
    /// there are none: one feed query, no lock. Leaves the catching up to the write path
    /// while a batch of this node's is being built or committed (that commit conflicts and
    /// catches up itself, or it succeeds and the next call finds the rest).
    pub fn follow(&self) -> Result<(), ServerError> {
        let seen = self.snapshot().seq;
        match self.store.changes_since(seen) {
            Ok(entries) if entries.is_empty() => {
                self.note_store(true, None);
                return Ok(());
            }
            Ok(_) | Err(StoreError::FeedTruncated { .. }) => self.note_store(true, None),
            Err(e) => {
                self.note_store(false, Some(&e));
                return Err(e.into());
            }
        }
        let mut w = self.lock_writer()?;
        if w.flushing || !w.batch.is_empty() || w.durable_seq != seen {
            return Ok(());
        }
        let caught_up = self.catch_up(&mut w);
        drop(w);
        self.flushed.notify_all();
        caught_up
    }

    /// Whether this node follows other writers: every store but a private in-memory one.
    pub fn has_other_writers(&self) -> bool {
        self.config.store_url.is_some() || self.config.data_dir.is_some()
    }

    /// Starts the thread that applies other nodes' commits as they land: it waits on
    /// [`Store::wait_for_changes`] (at most [`FOLLOW_WAIT`], so a missed notification costs
    /// one wait) and calls [`App::follow`]; while the store is unreachable it retries with
    /// a short backoff.
    pub fn spawn_follower(self: &Arc<Self>) -> Result<Follower, ServerError> {
        let stop = Arc::new(AtomicBool::new(false));
        let app = Arc::clone(self);
        let stopping = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("oxiam-follower".into())
            .spawn(move || {
                let mut backoff = Duration::ZERO;
                while !stopping.load(Ordering::SeqCst) {
                    let seq = app.snapshot().seq;
                    let followed = app
                        .store
                        .wait_for_changes(seq, FOLLOW_WAIT)
                        .map_err(|e| {
                            app.note_store(false, Some(&e));
                            ServerError::from(e)
                        })
                        .and_then(|()| {
                            if stopping.load(Ordering::SeqCst) {
                                return Ok(());
                            }
                            app.follow()
                        });
                    match followed {
                        Ok(()) => backoff = Duration::ZERO,
                        Err(e) => {
                            tracing::debug!(error = %e, "following the store failed; retrying");
                            backoff =
                                (backoff * 2).clamp(Duration::from_millis(50), MAX_FOLLOW_BACKOFF);
                            std::thread::sleep(backoff);
                        }
                    }
                }
            })
            .map_err(|e| ServerError::Internal(format!("cannot start the follower thread: {e}")))?;
        Ok(Follower {
            stop,
            thread: Some(thread),
        })
    }

    /// The shared store's address without secrets (`None` for SQLite).
    pub fn store_description(&self) -> Option<String> {
        self.config
            .store_url
            .as_ref()
            .map(|_| format!("{:?}", self.store))
    }

    /// Whether the store is reachable, and the sequence this node serves.
    pub fn store_status(&self) -> StoreStatus {
        StoreStatus {
            reachable: self.store_reachable.load(Ordering::SeqCst),
            seq: self.snapshot().seq,
        }
    }

    /// Records whether a store operation reached the store; logs each change of state once.
    fn note_store(&self, reachable: bool, error: Option<&StoreError>) {
        if self.store_reachable.swap(reachable, Ordering::SeqCst) == reachable {
            return;
        }
        let seq = self.snapshot().seq;
        if reachable {
            tracing::info!(seq, "store reachable again");
        } else {
            let error = error
                .map(|e| oxiam_store::error_chain(e))
                .unwrap_or_default();
            tracing::warn!(
                seq,
                error,
                "store unreachable: authentication and authorization go on from the snapshot at this sequence; writes fail until it returns"
            );
        }
    }

    /// Wipes every record and recreates the default account (dev mode's reset).
    pub fn reset(&self) -> Result<(), ServerError> {
        self.write(|tx| {
            tx.delete_all();
            Ok(())
        })?;
        if let Ok(mut m) = self.last_used.lock() {
            m.clear();
        }
        if let Ok(mut m) = self.password_used.lock() {
            m.clear();
        }
        self.access.clear();
        self.sts.clear();
        self.sts.set_clock_offset(0);
        self.create_default_account()?;
        Ok(())
    }

    /// Makes sure an account exists (dev mode creates accounts on first use).
    pub fn ensure_account(&self, id: &str) -> Result<(), ServerError> {
        if self.snapshot().accounts.contains_key(id) {
            return Ok(());
        }
        self.write(|tx| {
            if !tx.state().accounts.contains_key(id) {
                tx.put(Account {
                    id: id.to_owned(),
                    created: now_epoch(),
                    alias: None,
                    root_password: None,
                    root_password_last_used: None,
                    enforcement: crate::model::EnforcementMode::Enforce,
                })?;
            }
            Ok(())
        })
    }

    pub fn note_key_used(&self, used: KeyLastUsed) {
        if let Ok(mut m) = self.last_used.lock() {
            m.insert(used.id.clone(), used);
        }
    }

    /// Last use of a key: the unflushed one if any, else the stored one.
    pub fn key_last_used(&self, id: &str) -> Option<KeyLastUsed> {
        let pending = self.last_used.lock().ok().and_then(|m| m.get(id).cloned());
        pending.or_else(|| {
            self.snapshot()
                .key_last_used
                .get(id)
                .map(|k| KeyLastUsed::clone(k))
        })
    }

    /// Records a console sign-in of a user (its `PasswordLastUsed`), or of an account's root
    /// under the account ID (a user ID never is one: it starts with `AIDA`).
    pub fn note_password_used(&self, user_id: &str, at: crate::model::Epoch) {
        if let Ok(mut m) = self.password_used.lock() {
            m.insert(user_id.to_owned(), at);
        }
    }

    /// When a user last signed in with its password: the unflushed sign-in if any, else the
    /// stored one.
    pub fn password_last_used(&self, user_id: &str) -> Option<crate::model::Epoch> {
        let pending = self
            .password_used
            .lock()
            .ok()
            .and_then(|m| m.get(user_id).copied());
        pending.or_else(|| {
            let state = self.snapshot();
            match state.accounts.get(user_id) {
                Some(account) => account.root_password_last_used,
                None => state.user_by_id(user_id).and_then(|u| u.password_last_used),
            }
        })
    }

    /// Persists the pending last-used records of keys and users that still exist, and the
    /// access advisor's attempts (merged into the stored records, so nodes add up).
    pub fn flush_last_used(&self) -> Result<(), ServerError> {
        let pending: Vec<KeyLastUsed> = match self.last_used.lock() {
            Ok(mut m) => m.drain().map(|(_, v)| v).collect(),
            Err(_) => return Err(ServerError::Internal("last-used map poisoned".into())),
        };
        let signed_in: Vec<(String, crate::model::Epoch)> = match self.password_used.lock() {
            Ok(mut m) => m.drain().collect(),
            Err(_) => return Err(ServerError::Internal("password-used map poisoned".into())),
        };
        let attempts = self.access.drain();
        let now = now_epoch();
        let purge = self.access_purge_due(now);
        if pending.is_empty() && signed_in.is_empty() && attempts.is_empty() && !purge {
            return Ok(());
        }
        let result = self.write(|tx| {
            for u in &pending {
                if tx.state().access_keys.contains_key(&u.id) {
                    tx.put(u.clone())?;
                }
            }
            for (user_id, at) in &signed_in {
                if let Some(account) = tx.state().accounts.get(user_id) {
                    if account.root_password_last_used.is_none_or(|t| t < *at) {
                        let mut account = crate::model::Account::clone(account);
                        account.root_password_last_used = Some(*at);
                        tx.put(account)?;
                    }
                    continue;
                }
                let Some(user) = tx.state().user_by_id(user_id) else {
                    continue;
                };
                if user.password_last_used.is_some_and(|t| t >= *at) {
                    continue;
                }
                let mut user = crate::model::User::clone(user);
                user.password_last_used = Some(*at);
                tx.put(user)?;
            }
            for a in &attempts {
                let key = AccessRecord::store_key(&a.account, &a.entity_id, &a.action);
                let merged = match tx.state().access_records.get(&key) {
                    Some(stored) => stored.merged(a),
                    None => a.clone(),
                };
                tx.put(merged)?;
            }
            if purge {
                self.purge_access_records(tx, now);
            }
            Ok(())
        });
        if result.is_err() {
            self.access.restore(attempts);
        }
        result
    }

    /// Whether this node should drop stale access records now (at most hourly).
    fn access_purge_due(&self, now: crate::model::Epoch) -> bool {
        const EVERY: crate::model::Epoch = 3600;
        match self.access_purged.lock() {
            Ok(mut last) if now - *last >= EVERY => {
                *last = now;
                true
            }
            _ => false,
        }
    }

    /// Drops the access records older than the retention, and those of users and roles
    /// that no longer exist (their unique IDs are never reused).
    fn purge_access_records(&self, tx: &mut Tx, now: crate::model::Epoch) {
        let retention = i64::from(self.config.access_retention_days) * 86_400;
        let state = tx.state().clone();
        let roles: std::collections::HashSet<&str> =
            state.roles.values().map(|r| r.id.as_str()).collect();
        for (key, r) in &state.access_records {
            let gone = match r.kind {
                EntityKind::User => state.user_by_id(&r.entity_id).is_none(),
                EntityKind::Role => !roles.contains(r.entity_id.as_str()),
            };
            if gone || now - r.last > retention {
                tx.delete::<AccessRecord>(key);
            }
        }
    }
}

/// AWS's catalogue with the custom services of `files`, each file in the catalogue's JSON
/// form; `None` without files. A file that does not parse, or names a prefix AWS or an
/// earlier file has, stops the start.
fn service_catalogue(
    files: &[std::path::PathBuf],
) -> Result<Option<oxiam_catalogue::Catalogue>, ServerError> {
    let mut merged: Option<oxiam_catalogue::Catalogue> = None;
    for path in files {
        let refused = |why: String| {
            ServerError::Startup(format!("--service-catalogue {}: {why}", path.display()))
        };
        let text =
            std::fs::read_to_string(path).map_err(|e| refused(format!("cannot read it: {e}")))?;
        let custom =
            oxiam_catalogue::Catalogue::from_json(&text).map_err(|e| refused(e.to_string()))?;
        let base = merged
            .as_ref()
            .unwrap_or_else(|| oxiam_catalogue::Catalogue::aws());
        merged = Some(
            base.with_services(custom)
                .map_err(|e| refused(e.to_string()))?,
        );
    }
    Ok(merged)
}

/// What unit tests across the crate share: a node of their own.
#[cfg(test)]
pub(crate) mod test_support {
    use std::sync::Arc;

    use super::App;
    use crate::model::config::Config;

    /// A node on an in-memory store whose default account is `account`, its root's console
    /// password `root_password` when given.
    pub fn app(account: &str, root_password: Option<&str>) -> Arc<App> {
        let config = Config {
            default_account: Some(account.into()),
            root_password: root_password.map(str::to_owned),
            ..Config::default()
        };
        App::open(config).unwrap().0
    }
}

#[cfg(test)]
mod tests;
