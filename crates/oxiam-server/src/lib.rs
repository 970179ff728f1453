//! oxiam-server (placeholder, filled in by its own work).
