//! The API's error type: a status, a stable code and a message; internals stay in the log.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error answer: `{"error": {"code", "message"}}` with the right status.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub retry_after: Option<u64>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "missing, malformed or revoked bearer token",
        )
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    pub fn busy(code: &'static str, message: impl Into<String>, retry_after: u64) -> Self {
        let status = if code == "rate_limited" {
            StatusCode::TOO_MANY_REQUESTS
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        ApiError {
            retry_after: Some(retry_after),
            ..Self::new(status, code, message)
        }
    }

    pub fn internal(context: &str, error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "{context}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("internal error while {context}"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(json!({"error": {"code": self.code, "message": self.message}}));
        let mut response = (self.status, body).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<smelt_registry::Error> for ApiError {
    fn from(e: smelt_registry::Error) -> Self {
        use smelt_registry::Error as E;
        let status = match &e {
            E::InvalidName { .. }
            | E::InvalidVersion { .. }
            | E::InvalidVersionReq { .. }
            | E::InvalidDigest { .. } => StatusCode::BAD_REQUEST,
            E::InvalidArgument { .. } => StatusCode::BAD_REQUEST,
            E::InvalidManifest { .. } | E::ManifestMismatch { .. } | E::InvalidJson { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            E::AlreadyExists { .. } | E::AccountExists { .. } => StatusCode::CONFLICT,
            E::NotOwner { .. } | E::Forbidden { .. } => StatusCode::FORBIDDEN,
            E::Unauthenticated => return ApiError::unauthenticated(),
            E::NotFound { .. } | E::NoMatch { .. } => StatusCode::NOT_FOUND,
            E::DigestMismatch { expected, .. } => {
                tracing::error!(error = %e, "stored blob failed its integrity check");
                return ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "digest_mismatch",
                    format!(
                        "stored blob {expected} failed its integrity check (its bytes on disk \
                         no longer match their digest); it was not served or run"
                    ),
                );
            }
            e if e.is_storage_full() => {
                tracing::error!(error = %e, "storage full: write refused");
                return ApiError::new(
                    StatusCode::INSUFFICIENT_STORAGE,
                    "insufficient_storage",
                    "the server's storage is full (no space left on the data disk); nothing \
                     was stored: retry once space has been freed",
                );
            }
            _ => return ApiError::internal("accessing the registry", e),
        };
        ApiError::new(status, e.code(), e.to_string())
    }
}

impl From<smelt_runtime::Error> for ApiError {
    fn from(e: smelt_runtime::Error) -> Self {
        use smelt_runtime::Error as E;
        let status = match &e {
            E::NotWasm(_) | E::CoreModule => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            E::Internal(_) => return ApiError::internal("running the sandbox", e),
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError::new(status, e.code(), e.to_string())
    }
}
