//! smelt registry (being built).
