//! Bearer-token authentication and role checks.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use smelt_registry::{Account, Role};

use super::{ApiError, Shared};

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The account.
    pub account: Account,
    /// A hash of the bearer token, for per-token rate limits.
    token_key: u64,
}

impl Caller {
    /// The account name.
    pub fn name(&self) -> &str {
        &self.account.name
    }

    /// A key identifying the token used (not the secret).
    pub fn token_key(&self) -> u64 {
        self.token_key
    }

    /// `Ok` when the caller has one of `roles`, else 403 naming what is needed.
    pub fn require(&self, roles: &[Role], action: &str) -> Result<(), ApiError> {
        if roles.contains(&self.account.role) {
            return Ok(());
        }
        let needed: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        Err(ApiError::forbidden(format!(
            "{action} needs the {} role; `{}` is {}",
            needed.join(" or "),
            self.account.name,
            self.account.role.as_str()
        )))
    }
}

impl FromRequestParts<Shared> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Shared,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(ApiError::unauthenticated)?;
        let token = header
            .strip_prefix("Bearer ")
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 256);
        let token = token.ok_or_else(ApiError::unauthenticated)?;
        match state.registry.authenticate(token) {
            Ok(account) => {
                use std::hash::{Hash, Hasher};
                let mut hasher = std::collections::hash_map::DefaultHasher::new();
                token.hash(&mut hasher);
                Ok(Caller {
                    account,
                    token_key: hasher.finish(),
                })
            }
            Err(smelt_registry::Error::Unauthenticated) => Err(ApiError::unauthenticated()),
            Err(e) => Err(e.into()),
        }
    }
}
