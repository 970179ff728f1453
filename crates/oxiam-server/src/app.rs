//! The running service: the published snapshot, the store behind it and the one write path.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use oxiam_sigv4::{SecretAccessKey, SigningKeyCache};
use oxiam_store::crypto::Kek;
use oxiam_store::{SqliteStore, Store, StoreError};

use crate::config::Config;
use crate::error::ServerError;
use crate::ids::{self, IdPrefix};
use crate::model::{AccessKey, Account, KeyLastUsed, KeyOwner, KeyStatus, Setting, now_epoch};
use crate::state::{State, Tx, apply_changes};

/// How often a handler is re-run when another writer committed first.
const MAX_WRITE_ATTEMPTS: usize = 8;
/// The setting naming the account created on first start. Committed in the same
/// transaction as that account and its root key, so a crash cannot leave one without the
/// other (and a restart never creates a second account).
const DEFAULT_ACCOUNT: &str = "default_account";

/// Credentials created on first start, shown to the operator once.
#[derive(Debug)]
pub struct FirstStart {
    pub account: String,
    pub access_key_id: String,
    pub secret_access_key: SecretAccessKey,
}

#[derive(Debug)]
pub struct App {
    pub config: Config,
    state: ArcSwap<State>,
    store: Arc<dyn Store>,
    kek: Arc<Kek>,
    /// Serialises commits of this node; readers never take it.
    write_lock: Mutex<()>,
    pub sigv4_cache: SigningKeyCache,
    /// Last use of each access key since the last flush. Not worth a store write per request:
    /// flushed in the background (AWS too reports last use with a delay).
    last_used: Mutex<HashMap<String, KeyLastUsed>>,
    pub default_account: String,
    /// STS's clock and opened sessions.
    pub sts: crate::sts::runtime::Runtime,
}

impl App {
    /// Opens the store (creating it and the default account on first start).
    pub fn open(config: Config) -> Result<(Arc<App>, Option<FirstStart>), ServerError> {
        let (store, kek): (Arc<dyn Store>, Kek) = match &config.data_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    ServerError::Internal(format!(
                        "cannot create data directory {}: {e}",
                        dir.display()
                    ))
                })?;
                let kek = match &config.kek_base64 {
                    Some(b64) => Kek::from_base64(b64),
                    None => Kek::load_or_create(dir),
                }
                .map_err(|e| ServerError::Internal(format!("key-encryption key: {e}")))?;
                (Arc::new(SqliteStore::open(&dir.join("oxiam.db"))?), kek)
            }
            None => (Arc::new(SqliteStore::open_in_memory()?), Kek::generate()),
        };
        Self::with_store(config, store, kek)
    }

    pub fn with_store(
        config: Config,
        store: Arc<dyn Store>,
        kek: Kek,
    ) -> Result<(Arc<App>, Option<FirstStart>), ServerError> {
        let kek = Arc::new(kek);
        let loaded = store.load_all()?;
        let state = State::from_records(&loaded.records, loaded.seq, &kek)?;
        let existing = state.settings.get(DEFAULT_ACCOUNT).map(|s| s.value.clone());
        let default_account = match (&existing, &config.default_account) {
            (Some(id), _) => id.clone(),
            (None, Some(id)) => id.clone(),
            (None, None) => ids::account_id(),
        };
        let app = Arc::new(App {
            config,
            state: ArcSwap::from_pointee(state),
            store,
            kek,
            write_lock: Mutex::new(()),
            sigv4_cache: SigningKeyCache::new(4096),
            last_used: Mutex::new(HashMap::new()),
            default_account,
            sts: crate::sts::runtime::Runtime::default(),
        });
        let first = match existing {
            Some(_) => None,
            None => Some(app.create_default_account()?),
        };
        Ok((app, first))
    }

    fn create_default_account(&self) -> Result<FirstStart, ServerError> {
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
        let (acct, kid) = (account.clone(), key_id.clone());
        self.write(move |tx| {
            tx.put(Setting {
                name: DEFAULT_ACCOUNT.to_owned(),
                value: acct.clone(),
            })?;
            tx.put(Account {
                id: acct.clone(),
                created: now_epoch(),
                alias: None,
            })?;
            tx.put(AccessKey {
                id: kid.clone(),
                account: acct.clone(),
                owner: KeyOwner::Root,
                status: KeyStatus::Active,
                created: now_epoch(),
                secret: secret_for_tx.clone(),
            })
        })?;
        Ok(FirstStart {
            account,
            access_key_id: key_id,
            secret_access_key: secret,
        })
    }

    /// The current snapshot. Cheap; never blocks.
    pub fn snapshot(&self) -> Arc<State> {
        self.state.load_full()
    }

    /// Runs `f` as one atomic write: against the newest snapshot, persisted before it is
    /// published, retried when another writer got there first.
    pub fn write<T>(
        &self,
        mut f: impl FnMut(&mut Tx) -> Result<T, ServerError>,
    ) -> Result<T, ServerError> {
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let mut tx = Tx::new(self.snapshot(), Arc::clone(&self.kek));
            let out = f(&mut tx)?;
            let base = tx.base_seq();
            let Some((changes, mut next)) = tx.finish() else {
                return Ok(out);
            };
            let _guard = self
                .write_lock
                .lock()
                .map_err(|_| ServerError::Internal("write lock poisoned".into()))?;
            if self.state.load().seq != base {
                continue;
            }
            match self.store.commit(base, &changes) {
                Ok(seq) => {
                    next.seq = seq;
                    self.state.store(Arc::new(next));
                    return Ok(out);
                }
                Err(StoreError::Conflict { .. }) => self.catch_up_locked()?,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServerError::Conflict)
    }

    /// Applies what other writers committed since our snapshot. Caller holds `write_lock`.
    fn catch_up_locked(&self) -> Result<(), ServerError> {
        let current = self.snapshot();
        let entries = self.store.changes_since(current.seq)?;
        if entries.is_empty() {
            return Ok(());
        }
        let mut next = State::clone(&current);
        for (seq, changes) in entries {
            apply_changes(&mut next, &changes, &self.kek)?;
            next.seq = seq;
        }
        self.state.store(Arc::new(next));
        Ok(())
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

    /// Persists the pending last-used records of keys that still exist.
    pub fn flush_last_used(&self) -> Result<(), ServerError> {
        let pending: Vec<KeyLastUsed> = match self.last_used.lock() {
            Ok(mut m) => m.drain().map(|(_, v)| v).collect(),
            Err(_) => return Err(ServerError::Internal("last-used map poisoned".into())),
        };
        if pending.is_empty() {
            return Ok(());
        }
        self.write(|tx| {
            for u in &pending {
                if tx.state().access_keys.contains_key(&u.id) {
                    tx.put(u.clone())?;
                }
            }
            Ok(())
        })
    }
}
