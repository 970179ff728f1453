//! oxiam-store (placeholder, filled in by its own work).
