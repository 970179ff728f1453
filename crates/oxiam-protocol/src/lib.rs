//! oxiam-protocol (placeholder, filled in by its own work).
