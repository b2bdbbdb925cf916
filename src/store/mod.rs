//! The state repository: the only code that uses git2 for storage.
