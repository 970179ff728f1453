//! oxiam-sigv4 (placeholder, filled in by its own work).
