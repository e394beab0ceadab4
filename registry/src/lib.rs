//! smelt registry (being built).
#![deny(missing_docs)]

mod error;
pub mod manifest;
mod types;

pub use error::{Error, Result};
pub use manifest::Manifest;
pub use types::{Digest, PackageName, Version, VersionReq};
