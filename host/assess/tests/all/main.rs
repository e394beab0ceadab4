//! Integration tests of smelt-assess: worked answer sheets, malformed answers, matching with
//! the six example plugins.

mod errors;
mod matching;
mod scoring;
