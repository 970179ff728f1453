//! Floor 2: what each node keeps in memory beside the snapshot and outside the store —
//! never shared between nodes, rebuilt at start.
//!
//! - [`sessions`]: the STS clock (movable in dev mode) and recently opened session tokens.
//! - [`oidc`]: the key cache of OpenID Connect issuers (discovery documents and JWKS).
//! - [`access_log`]: attempts of users and roles not yet flushed to the store (the access
//!   advisor's data).
//! - [`audit`]: the decision log of the authorization API (JSON lines, written in batches).
//! - [`policy_cache`]: resource policies compiled once, in a bounded cache.

pub mod access_log;
pub mod audit;
pub mod oidc;
pub mod policy_cache;
pub mod sessions;
