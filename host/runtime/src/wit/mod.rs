//! Bindings per released WIT version, each with its conversions to and from [`crate::model`].
//! A new WIT version gets a new module beside `v0_1_0` and an arm in the runtime's dispatch.

pub mod v0_1_0;
