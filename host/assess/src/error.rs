//! The crate's one error type.

/// Everything that can go wrong in this crate. Each message names the offending item, option,
/// scene, field or rule, so the server can pass it on as a 422 unchanged.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The shipped or supplied index data is inconsistent (points do not add up, …).
    #[error("invalid index data: {0}")]
    InvalidIndex(String),

    /// A level rule or level-rule file is malformed.
    #[error("invalid level rule `{rule}`: {reason}")]
    InvalidRule {
        /// The rule's name, or `(file)` for the file as a whole.
        rule: String,
        /// What is wrong.
        reason: String,
    },

    /// No level rule has this name.
    #[error("unknown level rule `{name}`; expected one of {expected}")]
    UnknownRule {
        /// The name asked for.
        name: String,
        /// The names on offer.
        expected: String,
    },

    /// An answer names an item the index does not have.
    #[error(
        "unknown item `{item}`; expected an item id such as D1.S1.I1 or an area name such as 网络建设"
    )]
    UnknownItem {
        /// The key as given.
        item: String,
    },

    /// The same item is answered twice (by its id and by its area name).
    #[error("item {item} ({area}) is answered twice")]
    DuplicateItem {
        /// Item id.
        item: String,
        /// Area name.
        area: String,
    },

    /// An item's answer has no option.
    #[error("item {item} ({area}): no option given")]
    NoOption {
        /// Item id.
        item: String,
        /// Area name.
        area: String,
    },

    /// An option letter the item does not have.
    #[error("item {item} ({area}): unknown option `{option}`; expected one of {expected}")]
    InvalidOption {
        /// Item id.
        item: String,
        /// Area name.
        area: String,
        /// The option as given.
        option: String,
        /// The letters on offer.
        expected: String,
    },

    /// The same option twice in one answer.
    #[error("item {item} ({area}): option `{option}` is given twice")]
    DuplicateOption {
        /// Item id.
        item: String,
        /// Area name.
        area: String,
        /// The repeated letter.
        option: String,
    },

    /// "无" combined with other options on a multiple-choice item.
    #[error("item {item} ({area}): option `{none}` (无) cannot be combined with {others}")]
    NoneCombined {
        /// Item id.
        item: String,
        /// Area name.
        area: String,
        /// The letter of "无".
        none: String,
        /// The other letters given.
        others: String,
    },

    /// More than one option on a single-choice item.
    #[error("item {item} ({area}) is single-choice: found {count} options {options}")]
    SingleChoice {
        /// Item id.
        item: String,
        /// Area name.
        area: String,
        /// How many were given.
        count: usize,
        /// The letters given.
        options: String,
    },

    /// Evidence for a field the item does not collect.
    #[error("item {item} ({area}): unknown evidence field `{field}`; expected one of {expected}")]
    UnknownEvidence {
        /// Item id.
        item: String,
        /// Area name.
        area: String,
        /// The field as given.
        field: String,
        /// The fields on offer (`none` when the item collects no evidence).
        expected: String,
    },

    /// Evidence that is not a finite number ≥ 0.
    #[error("item {item} ({area}): evidence `{field}` must be a finite number >= 0, found {value}")]
    InvalidEvidence {
        /// Item id.
        item: String,
        /// Area name.
        area: String,
        /// The field.
        field: String,
        /// The value given.
        value: f64,
    },

    /// A scene that is not one of the 16.
    #[error("unknown scene `{scene}`; expected a slug or Chinese name such as quality or 质量管理")]
    UnknownScene {
        /// The scene as given.
        scene: String,
    },

    /// The same scene rated twice (by slug and by Chinese name).
    #[error("scene {scene} ({zh}) is rated twice")]
    DuplicateScene {
        /// Slug.
        scene: String,
        /// Chinese name.
        zh: String,
    },

    /// A scene level outside 1–4.
    #[error("scene {scene} ({zh}): level {level} is outside 1-4")]
    SceneLevel {
        /// Slug.
        scene: String,
        /// Chinese name.
        zh: String,
        /// The level given.
        level: i64,
    },

    /// An enterprise profile with an impossible value.
    #[error("invalid profile: `{field}` {reason}")]
    InvalidProfile {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },

    /// A need with an impossible value.
    #[error("invalid need: `{field}` {reason}")]
    InvalidNeed {
        /// The field.
        field: String,
        /// What is wrong.
        reason: String,
    },

    /// Matching weights, pilot targets or another configuration value is unusable.
    #[error("invalid configuration: `{field}` {reason}")]
    InvalidConfig {
        /// The field.
        field: String,
        /// What is wrong.
        reason: String,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
