//! The PostgreSQL backend: several stateless oxiam nodes sharing one database (issue 8).
//!
//! # Address
//! `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?schema=NAME&…]`: libpq-style URL as the
//! `postgres` crate reads it (`postgresql://` too), plus oxiam's own `schema` parameter
//! (default `oxiam`): every table lives in that schema, created by the first node that
//! starts. Tests use a fresh schema each; one database can hold several installations.
//! A schema name is 1–63 characters of `a-z`, `0-9` and `_`, not starting with a digit.
//! Without a `connect_timeout` in the URL, connecting gives up after
//! [`DEFAULT_CONNECT_TIMEOUT`] so a node without its database fails fast instead of hanging.
//!
//! # Tables (in the schema; see [`MIGRATIONS`])
//! `head(id = 1, seq)` — the store's sequence, one row that every commit locks;
//! `records(tbl, key, value)`, `feed(seq, changes)` (entries encoded by `crate::feed`),
//! `meta(key, value)` and `schema_version(id = 1, version)`.
//!
//! # Why a locked head row
//! A commit reads `head` with `SELECT … FOR UPDATE` in a READ COMMITTED transaction: two
//! nodes committing at once queue on that row lock, and the second one then sees the first
//! one's sequence and fails with [`StoreError::Conflict`], exactly as SQLite's write lock
//! does. Every invariant the server checks against its snapshot (unique names, quotas) is
//! therefore checked against the state the commit lands on: no SERIALIZABLE retries needed.
//!
//! # Change notification
//! A commit runs `pg_notify('oxiam_feed', <schema>)` inside its transaction, so the
//! notification goes out only if it commits. [`Store::wait_for_changes`] listens on a
//! dedicated connection; followers still poll by sequence after every wait, so a lost
//! notification (a reconnect) delays a change by one wait at most.
//!
//! # Connections
//! A few idle connections are kept for reuse ([`MAX_IDLE`]); a call takes one, or opens a
//! new one. A reused connection that turns out to be dead (the server restarted, or its
//! backend was terminated) is dropped and the call is retried once on a fresh connection:
//! safe even for a commit, because a retried commit whose first attempt did land finds the
//! sequence moved and reports a conflict instead of applying twice.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use ::postgres::error::SqlState;
use ::postgres::fallible_iterator::FallibleIterator as _;
use ::postgres::{Client, IsolationLevel, NoTls};

use crate::{
    Change, Loaded, MigrationError, Record, Store, StoreError, feed, validate_change,
    validate_meta_key,
};

/// The schema used when the URL names none.
pub const DEFAULT_SCHEMA: &str = "oxiam";
/// How long connecting may take when the URL sets no `connect_timeout`.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Idle connections kept for reuse. The server's writes are group-committed (one commit at a
/// time per node) and reads come from the in-memory snapshot, so few are ever busy at once.
pub const MAX_IDLE: usize = 4;
/// The channel commits notify on; the payload is the schema name.
pub const CHANNEL: &str = "oxiam_feed";
/// The schema version this code writes.
pub const SCHEMA_VERSION: i64 = 1;

/// Schema migrations, in order; entry `i` brings the schema to version `i + 1`. Each runs in
/// the start-up transaction that holds the migration lock.
pub const MIGRATIONS: &[&str] = &["
    CREATE TABLE head (
        id SMALLINT PRIMARY KEY CHECK (id = 1),
        seq BIGINT NOT NULL
    );
    INSERT INTO head (id, seq) VALUES (1, 0);
    CREATE TABLE records (
        tbl TEXT NOT NULL,
        key TEXT NOT NULL,
        value BYTEA NOT NULL,
        PRIMARY KEY (tbl, key)
    );
    CREATE TABLE feed (
        seq BIGINT PRIMARY KEY,
        changes BYTEA NOT NULL
    );
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
"];

/// Why a store URL is not usable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    #[error("a PostgreSQL store URL starts with postgres:// or postgresql://")]
    Scheme,
    #[error(
        "schema name `{0}` is invalid: use 1 to 63 characters from a-z, 0-9 and `_`, not starting with a digit"
    )]
    Schema(String),
    #[error("the PostgreSQL URL is invalid: {0}")]
    Url(String),
}

/// Why [`PostgresStore::import`] copied nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    #[error(
        "the target store is not empty (sequence {seq}, {records} records): migrate only into a new schema"
    )]
    NotEmpty { seq: u64, records: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<crate::InvalidChange> for ImportError {
    fn from(e: crate::InvalidChange) -> Self {
        ImportError::Store(e.into())
    }
}

/// The PostgreSQL [`Store`].
pub struct PostgresStore {
    config: ::postgres::Config,
    schema: String,
    /// Idle connections, each with `search_path` set to `schema`.
    idle: Mutex<Vec<Client>>,
    /// The connection that LISTENs for commits; `None` until first needed or after it broke.
    listener: Mutex<Option<Client>>,
    /// Where this store points, without the password (for Debug and logs).
    describe: String,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("at", &self.describe)
            .finish_non_exhaustive()
    }
}

/// Whether `url` names a PostgreSQL store (as opposed to a SQLite path).
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Splits oxiam's `schema` parameter off a PostgreSQL URL and parses the rest.
pub fn parse_url(url: &str) -> Result<(::postgres::Config, String), UrlError> {
    if !is_postgres_url(url) {
        return Err(UrlError::Scheme);
    }
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut schema = DEFAULT_SCHEMA.to_owned();
    let mut kept = Vec::new();
    for param in query.split('&').filter(|p| !p.is_empty()) {
        match param.strip_prefix("schema=") {
            Some(name) => schema = name.to_owned(),
            None => kept.push(param),
        }
    }
    if !valid_schema(&schema) {
        return Err(UrlError::Schema(schema));
    }
    let rest = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    let mut config: ::postgres::Config = rest
        .parse()
        // The driver's message can quote the URL, password included: keep only its kind.
        .map_err(|_: ::postgres::Error| {
            UrlError::Url("cannot parse it (see the libpq URL format)".into())
        })?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(DEFAULT_CONNECT_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name("oxiam");
    }
    Ok((config, schema))
}

fn valid_schema(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z' | b'_'))
        && name.len() <= 63
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn describe(config: &::postgres::Config, schema: &str) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            ::postgres::config::Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            ::postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    let ports: Vec<String> = config.get_ports().iter().map(u16::to_string).collect();
    format!(
        "postgres://{}@{}:{}/{}?schema={schema}",
        config.get_user().unwrap_or(""),
        hosts.join(","),
        ports.join(","),
        config.get_dbname().unwrap_or("")
    )
}

impl PostgresStore {
    /// Connects, creates the schema if needed and migrates it to [`SCHEMA_VERSION`] under a
    /// transaction-level advisory lock, so nodes starting together migrate once. A schema
    /// written by a newer oxiam is refused.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let (config, schema) = parse_url(url).map_err(|e| StoreError::Backend {
            operation: "reading the PostgreSQL URL",
            source: Box::new(e),
        })?;
        let store = PostgresStore {
            describe: describe(&config, &schema),
            config,
            schema,
            idle: Mutex::new(Vec::new()),
            listener: Mutex::new(None),
        };
        let mut client = store.connect()?;
        migrate(&mut client, &store.schema)?;
        store.give_back(client);
        Ok(store)
    }

    /// The schema this store lives in.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// Drops the schema and everything in it (tests clean up with this).
    pub fn drop_schema(self) -> Result<(), StoreError> {
        let schema = self.schema.clone();
        self.with_conn("dropping the schema", |c| {
            c.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
        })
    }

    /// Copies a whole store into this one, which must be empty (no record, no feed entry, no
    /// metadata), in one transaction: every record as it is (sealed secrets stay sealed
    /// under the source's key-encryption key, which the nodes must then use), every
    /// metadata entry, and the source's sequence, so the copy continues the numbering.
    ///
    /// INVARIANT (seq-is-feed-head) holds in the copy: the feed gets one entry at the
    /// source's sequence that puts every record; a follower that was at an older sequence
    /// of the source finds the gap and reloads.
    pub fn import(&self, from: &Loaded, meta: &[(String, String)]) -> Result<(), ImportError> {
        let puts: Vec<Change> = from.records.iter().cloned().map(Change::Put).collect();
        let entry = feed::encode(&puts).map_err(|err| StoreError::Backend {
            operation: "encoding the feed entry",
            source: Box::new(err),
        })?;
        let seq = to_sql_seq(from.seq)?;
        let mut client = self.connect()?;
        let mut tx = client.transaction().map_err(backend("importing"))?;
        let head: i64 = tx
            .query_one("SELECT seq FROM head WHERE id = 1 FOR UPDATE", &[])
            .map_err(backend("importing"))?
            .get(0);
        let count =
            |tx: &mut ::postgres::Transaction<'_>, table: &str| -> Result<i64, StoreError> {
                Ok(tx
                    .query_one(&format!("SELECT count(*) FROM {table}"), &[])
                    .map_err(backend("importing"))?
                    .get(0))
            };
        let (records, entries, metas) = (
            count(&mut tx, "records")?,
            count(&mut tx, "feed")?,
            count(&mut tx, "meta")?,
        );
        if head != 0 || records + entries + metas != 0 {
            return Err(ImportError::NotEmpty {
                seq: from_sql_seq(head)?,
                records: u64::try_from(records).unwrap_or(0),
            });
        }
        if from.seq == 0 && !from.records.is_empty() {
            return Err(StoreError::Corrupt("records at sequence 0".into()).into());
        }
        let put = tx
            .prepare("INSERT INTO records (tbl, key, value) VALUES ($1, $2, $3)")
            .map_err(backend("importing"))?;
        for change in &puts {
            validate_change(change)?;
            if let Change::Put(r) = change {
                tx.execute(&put, &[&r.table, &r.key, &r.value])
                    .map_err(backend("importing"))?;
            }
        }
        for (key, value) in meta {
            validate_meta_key(key)?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ($1, $2)",
                &[key, value],
            )
            .map_err(backend("importing"))?;
        }
        if seq > 0 {
            tx.execute(
                "INSERT INTO feed (seq, changes) VALUES ($1, $2)",
                &[&seq, &entry],
            )
            .map_err(backend("importing"))?;
            tx.execute("UPDATE head SET seq = $1 WHERE id = 1", &[&seq])
                .map_err(backend("importing"))?;
            tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &self.schema])
                .map_err(backend("importing"))?;
        }
        tx.commit().map_err(backend("importing"))?;
        Ok(())
    }

    /// A new connection with `search_path` set to the schema.
    fn connect(&self) -> Result<Client, StoreError> {
        let mut client = self
            .config
            .connect(NoTls)
            .map_err(backend("connecting to PostgreSQL"))?;
        // The schema name is validated to plain identifier characters, so quoting is enough.
        client
            .batch_execute(&format!("SET search_path TO \"{}\"", self.schema))
            .map_err(backend("selecting the schema"))?;
        Ok(client)
    }

    fn idle(&self) -> MutexGuard<'_, Vec<Client>> {
        // A panic while holding this lock cannot leave a half-updated Vec behind.
        self.idle.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn give_back(&self, client: Client) {
        if client.is_closed() {
            return;
        }
        let mut idle = self.idle();
        if idle.len() < MAX_IDLE {
            idle.push(client);
        }
    }

    /// Runs `f` on a pooled connection; once more on a fresh one if a reused connection
    /// turned out to be dead (see the module documentation for why that is safe).
    fn with_conn<T>(
        &self,
        operation: &'static str,
        mut f: impl FnMut(&mut Client) -> Result<T, ::postgres::Error>,
    ) -> Result<T, StoreError> {
        self.with_conn_store(operation, |c| f(c).map_err(Failed::Pg))
    }

    /// Like [`Self::with_conn`], for calls that can also fail with a [`StoreError`] of
    /// their own (a conflict, an invalid change).
    fn with_conn_store<T>(
        &self,
        operation: &'static str,
        mut f: impl FnMut(&mut Client) -> Result<T, Failed>,
    ) -> Result<T, StoreError> {
        let pooled = self.idle().pop();
        let reused = pooled.is_some();
        let mut client = match pooled {
            Some(c) => c,
            None => self.connect()?,
        };
        let err = match f(&mut client) {
            Ok(out) => {
                self.give_back(client);
                return Ok(out);
            }
            Err(Failed::Store(e)) => {
                self.give_back(client);
                return Err(e);
            }
            Err(Failed::Pg(e)) => e,
        };
        if reused && (client.is_closed() || connection_lost(&err)) {
            drop(client);
            let mut fresh = self.connect()?;
            let out = f(&mut fresh);
            self.give_back(fresh);
            return out.map_err(|e| e.into_store(operation));
        }
        self.give_back(client);
        Err(backend(operation)(err))
    }
}

/// A failure inside a pooled call: the driver's (maybe retried) or the store's own.
enum Failed {
    Pg(::postgres::Error),
    Store(StoreError),
}

impl Failed {
    fn into_store(self, operation: &'static str) -> StoreError {
        match self {
            Failed::Pg(e) => backend(operation)(e),
            Failed::Store(e) => e,
        }
    }
}

impl From<StoreError> for Failed {
    fn from(e: StoreError) -> Self {
        Failed::Store(e)
    }
}

impl From<::postgres::Error> for Failed {
    fn from(e: ::postgres::Error) -> Self {
        Failed::Pg(e)
    }
}

impl From<crate::InvalidChange> for Failed {
    fn from(e: crate::InvalidChange) -> Self {
        Failed::Store(e.into())
    }
}

/// Whether an error means the connection is gone (rather than the statement failing).
fn connection_lost(err: &::postgres::Error) -> bool {
    if err.is_closed() {
        return true;
    }
    if let Some(code) = err.code() {
        return *code == SqlState::ADMIN_SHUTDOWN
            || *code == SqlState::CRASH_SHUTDOWN
            || *code == SqlState::CANNOT_CONNECT_NOW
            || code.code().starts_with("08");
    }
    std::error::Error::source(err).is_some_and(|s| s.is::<std::io::Error>())
}

fn backend(operation: &'static str) -> impl FnOnce(::postgres::Error) -> StoreError {
    move |err| StoreError::Backend {
        operation,
        source: Box::new(err),
    }
}

/// The advisory-lock key of one schema's migrations (FNV-1a of a fixed prefix and the name).
fn migration_lock_key(schema: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in b"oxiam-migrate:".iter().chain(schema.as_bytes()) {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    i64::from_ne_bytes(hash.to_ne_bytes())
}

/// Creates the schema and brings it to [`SCHEMA_VERSION`], in one transaction that holds
/// an advisory lock: a node starting while another migrates waits, then finds it done.
fn migrate(client: &mut Client, schema: &str) -> Result<(), StoreError> {
    let step = |version: i64| {
        move |e: ::postgres::Error| {
            StoreError::Migration(MigrationError::Step {
                version,
                source: Box::new(e),
            })
        }
    };
    let mut tx = client.transaction().map_err(step(0))?;
    tx.execute(
        "SELECT pg_advisory_xact_lock($1)",
        &[&migration_lock_key(schema)],
    )
    .map_err(step(0))?;
    tx.batch_execute(&format!(
        "CREATE SCHEMA IF NOT EXISTS \"{schema}\";
         CREATE TABLE IF NOT EXISTS schema_version (
             id SMALLINT PRIMARY KEY CHECK (id = 1),
             version BIGINT NOT NULL
         );"
    ))
    .map_err(step(0))?;
    let found: i64 = tx
        .query_opt("SELECT version FROM schema_version WHERE id = 1", &[])
        .map_err(step(0))?
        .map_or(0, |row| row.get(0));
    if found > SCHEMA_VERSION {
        return Err(MigrationError::DatabaseTooNew {
            found,
            supported: SCHEMA_VERSION,
        }
        .into());
    }
    for (version, sql) in (1..)
        .zip(MIGRATIONS.iter())
        .skip_while(|(v, _)| *v <= found)
    {
        tx.batch_execute(sql).map_err(step(version))?;
        tx.execute(
            "INSERT INTO schema_version (id, version) VALUES (1, $1)
             ON CONFLICT (id) DO UPDATE SET version = excluded.version",
            &[&version],
        )
        .map_err(step(version))?;
    }
    tx.commit().map_err(step(SCHEMA_VERSION))
}

fn from_sql_seq(seq: i64) -> Result<u64, StoreError> {
    u64::try_from(seq).map_err(|_| StoreError::Corrupt(format!("negative sequence {seq}")))
}

fn to_sql_seq(seq: u64) -> Result<i64, StoreError> {
    i64::try_from(seq).map_err(|_| StoreError::Corrupt(format!("sequence {seq} out of range")))
}

impl Store for PostgresStore {
    fn load_all(&self) -> Result<Loaded, StoreError> {
        self.with_conn_store("loading records", |c| {
            // One snapshot for both queries: a concurrent commit cannot fall between them.
            let mut tx = c
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()?;
            let seq: i64 = tx
                .query_one("SELECT seq FROM head WHERE id = 1", &[])?
                .get(0);
            let records = tx
                .query("SELECT tbl, key, value FROM records", &[])?
                .into_iter()
                .map(|row| Record {
                    table: row.get(0),
                    key: row.get(1),
                    value: row.get(2),
                })
                .collect();
            tx.commit()?;
            Ok(Loaded {
                records,
                seq: from_sql_seq(seq)?,
            })
        })
    }

    fn commit(&self, expected_seq: u64, changes: &[Change]) -> Result<u64, StoreError> {
        let entry = feed::encode(changes).map_err(|err| StoreError::Backend {
            operation: "encoding the feed entry",
            source: Box::new(err),
        })?;
        let expected = to_sql_seq(expected_seq)?;
        let new_seq = expected
            .checked_add(1)
            .ok_or_else(|| StoreError::Corrupt("sequence number exhausted".into()))?;
        self.with_conn_store("committing", |c| {
            let mut tx = c.transaction()?;
            // The row lock orders concurrent commits (see the module documentation).
            let current: i64 = tx
                .query_one("SELECT seq FROM head WHERE id = 1 FOR UPDATE", &[])?
                .get(0);
            if current != expected {
                return Err(StoreError::Conflict {
                    current: from_sql_seq(current)?,
                }
                .into());
            }
            let put = tx.prepare(
                "INSERT INTO records (tbl, key, value) VALUES ($1, $2, $3)
                 ON CONFLICT (tbl, key) DO UPDATE SET value = excluded.value",
            )?;
            let delete = tx.prepare("DELETE FROM records WHERE tbl = $1 AND key = $2")?;
            for change in changes {
                // INVARIANT (all-or-nothing): any error returns before `tx.commit()`, and
                // dropping `tx` rolls back what was applied so far.
                validate_change(change)?;
                match change {
                    Change::Put(r) => tx.execute(&put, &[&r.table, &r.key, &r.value])?,
                    Change::Delete { table, key } => tx.execute(&delete, &[table, key])?,
                };
            }
            tx.execute(
                "INSERT INTO feed (seq, changes) VALUES ($1, $2)",
                &[&new_seq, &entry],
            )?;
            tx.execute("UPDATE head SET seq = $1 WHERE id = 1", &[&new_seq])?;
            tx.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &self.schema])?;
            tx.commit()?;
            Ok(from_sql_seq(new_seq)?)
        })
    }

    fn changes_since(&self, after: u64) -> Result<Vec<(u64, Vec<Change>)>, StoreError> {
        let Ok(after_sql) = i64::try_from(after) else {
            return Ok(Vec::new());
        };
        let entries = self.with_conn_store("reading the feed", |c| {
            let mut tx = c
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()?;
            let oldest: Option<i64> = tx.query_one("SELECT MIN(seq) FROM feed", &[])?.get(0);
            let rows = tx.query(
                "SELECT seq, changes FROM feed WHERE seq > $1 ORDER BY seq",
                &[&after_sql],
            )?;
            tx.commit()?;
            let mut entries = Vec::with_capacity(rows.len());
            for row in rows {
                let seq: i64 = row.get(0);
                let bytes: Vec<u8> = row.get(1);
                let changes = feed::decode(&bytes)
                    .map_err(|err| StoreError::Corrupt(format!("feed entry {seq}: {err}")))?;
                entries.push((from_sql_seq(seq)?, changes));
            }
            Ok((oldest, entries))
        })?;
        let (oldest, entries) = entries;
        if let (Some(oldest), Some((first, _))) = (oldest, entries.first()) {
            // INVARIANT (seq-is-feed-head): sequences are dense, so a gap means pruning.
            if *first != after.saturating_add(1) {
                return Err(StoreError::FeedTruncated {
                    after,
                    oldest: from_sql_seq(oldest)?,
                });
            }
        }
        Ok(entries)
    }

    fn get_meta(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.with_conn("reading metadata", |c| {
            Ok(
                c.query_opt("SELECT value FROM meta WHERE key = $1", &[&key])?
                    .map(|row| row.get(0)),
            )
        })
    }

    fn put_meta(&self, key: &str, value: &str) -> Result<(), StoreError> {
        validate_meta_key(key)?;
        self.with_conn("writing metadata", |c| {
            c.execute(
                "INSERT INTO meta (key, value) VALUES ($1, $2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[&key, &value],
            )
            .map(drop)
        })
    }

    fn list_meta(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.with_conn("reading metadata", |c| {
            Ok(c.query(
                "SELECT key, value FROM meta ORDER BY key COLLATE \"C\"",
                &[],
            )?
            .into_iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect())
        })
    }

    /// Waits for a commit notification on this schema (from any node, this one included),
    /// at most `timeout`. Returns at once after (re)connecting the listener, since
    /// notifications sent while it was away are lost and the caller must poll.
    fn wait_for_changes(&self, _after: u64, timeout: Duration) -> Result<(), StoreError> {
        let mut listener = self.listener.lock().unwrap_or_else(|p| p.into_inner());
        let Some(client) = listener.as_mut().filter(|c| !c.is_closed()) else {
            let mut client = self.connect()?;
            client
                .batch_execute(&format!("LISTEN {CHANNEL}"))
                .map_err(backend("listening for changes"))?;
            *listener = Some(client);
            return Ok(());
        };
        let waited = await_notification(client, &self.schema, timeout);
        if waited.is_err() {
            *listener = None;
        }
        waited
    }
}

/// Waits up to `timeout` for a notification whose payload is `schema`; an error means the
/// listening connection is gone.
/// Slack for telling a timeout from an iterator that ended because its connection did.
const EARLY: Duration = Duration::from_millis(20);

fn await_notification(
    client: &mut Client,
    schema: &str,
    timeout: Duration,
) -> Result<(), StoreError> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(());
        }
        let next = client.notifications().timeout_iter(left).next();
        match next {
            Ok(Some(n)) if n.payload() == schema => {
                // Drain what is already queued: one poll covers them all.
                let mut notifications = client.notifications();
                let mut pending = notifications.iter();
                while let Ok(Some(_)) = pending.next() {}
                return Ok(());
            }
            Ok(Some(_)) => {}
            // A timeout, or the connection ended: the iterator ends early only for the latter.
            Ok(None) if client.is_closed() || Instant::now() + EARLY < deadline => {
                return Err(StoreError::Backend {
                    operation: "listening for changes",
                    source: "the listening connection closed".into(),
                });
            }
            Ok(None) => return Ok(()),
            Err(e) => return Err(backend("listening for changes")(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_carry_an_optional_schema() {
        let (config, schema) =
            parse_url("postgres://postgres@127.0.0.1:5432/test?schema=t_abc").unwrap();
        assert_eq!(schema, "t_abc");
        assert_eq!(config.get_dbname(), Some("test"));
        assert_eq!(config.get_connect_timeout(), Some(&DEFAULT_CONNECT_TIMEOUT));
        let (config, schema) = parse_url(
            "postgresql://u:secret@db.example:6543/iam?connect_timeout=7&schema=x1&application_name=a",
        )
        .unwrap();
        assert_eq!(schema, "x1");
        assert_eq!(config.get_connect_timeout(), Some(&Duration::from_secs(7)));
        assert_eq!(config.get_application_name(), Some("a"));
        assert_eq!(parse_url("postgres://h/db").unwrap().1, DEFAULT_SCHEMA);
    }

    #[test]
    fn bad_urls_are_refused_without_echoing_secrets() {
        assert!(matches!(parse_url("sqlite:x.db"), Err(UrlError::Scheme)));
        for bad in ["Upper", "1st", "a-b", "a\"b", ""] {
            let url = format!("postgres://h/db?schema={bad}");
            assert!(matches!(parse_url(&url), Err(UrlError::Schema(_))), "{bad}");
        }
        let long = "s".repeat(64);
        assert!(parse_url(&format!("postgres://h/db?schema={long}")).is_err());
        let err = parse_url("postgres://u:hunter2@h/db?bogus_option=1").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn debug_hides_the_password() {
        let (config, schema) = parse_url("postgres://u:hunter2@h:5433/db?schema=s").unwrap();
        let text = describe(&config, &schema);
        assert_eq!(text, "postgres://u@h:5433/db?schema=s");
    }

    #[test]
    fn migration_lock_keys_differ_per_schema() {
        assert_ne!(migration_lock_key("a"), migration_lock_key("b"));
        assert_eq!(migration_lock_key("a"), migration_lock_key("a"));
    }
}
