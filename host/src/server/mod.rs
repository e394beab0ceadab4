//! The HTTP API: a router per resource, merged in [`router`]; [`serve`] binds, runs and shuts
//! down gracefully. The sandbox and the registry are reached only through [`sandbox::Sandbox`]
//! and [`smelt_registry::Registry`]; no wasmtime type appears here.

mod accounts;
mod auth;
mod body;
mod deployments;
mod error;
mod listings;
mod meta;
mod packages;
mod program;
mod reviews;
mod sandbox;
mod trials;
mod ui;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use smelt_registry::Registry;

pub use auth::Caller;
pub use error::{ApiError, ApiResult};
pub use meta::Metrics;

/// Server settings (CLI flags and `SMELT_*` variables map onto these).
#[derive(Debug, Clone)]
pub struct Config {
    /// Data directory (registry database and blobs).
    pub data: PathBuf,
    /// Address to listen on; port 0 picks a free one.
    pub addr: SocketAddr,
    /// Largest request body in bytes.
    pub body_limit: usize,
    /// Trials and invocations running at once (half of them at most for one account); more
    /// get 503.
    pub max_concurrent_runs: usize,
    /// Publishes per token per minute; more get 429.
    pub publishes_per_minute: u32,
    /// Longest a component may take to compile.
    pub compile_timeout: Duration,
    /// Bytes of a sandbox slot's memory kept resident between calls
    /// (`smelt_runtime::RuntimeConfig::memory_keep_resident`).
    pub memory_keep_resident: usize,
}

impl Config {
    /// Defaults for `data` and `addr`.
    pub fn new(data: PathBuf, addr: SocketAddr) -> Self {
        Config {
            data,
            addr,
            body_limit: 16 << 20,
            max_concurrent_runs: 8,
            publishes_per_minute: 30,
            compile_timeout: Duration::from_secs(60),
            memory_keep_resident: smelt_runtime::MEMORY_KEEP_RESIDENT,
        }
    }
}

/// Shared by every request.
pub struct AppState {
    pub registry: Registry,
    pub sandbox: sandbox::Sandbox,
    pub runs: sandbox::RunSlots,
    pub metrics: Metrics,
    pub publish_limiter: packages::RateLimiter,
    /// The catalog with review states, scores and matching candidates (search, matching).
    pub listings: listings::Listings,
    /// What trials resolved to, while the catalog stays as it was.
    pub trial_targets: trials::Targets,
    pub config: Config,
}

pub type Shared = Arc<AppState>;

impl AppState {
    /// Opens the registry and the sandbox.
    pub fn open(config: Config) -> anyhow::Result<Shared> {
        let registry = Registry::open(&config.data)
            .with_context(|| format!("opening the registry in {}", config.data.display()))?;
        // Compiled code lives beside the registry it came from, so a restart serves at once.
        let sandbox = sandbox::Sandbox::new(
            registry.clone(),
            config.compile_timeout,
            config.data.join("compiled"),
            config.memory_keep_resident,
        )?;
        Ok(Arc::new(AppState {
            registry,
            sandbox,
            runs: sandbox::RunSlots::new(config.max_concurrent_runs),
            metrics: Metrics::default(),
            publish_limiter: packages::RateLimiter::new(config.publishes_per_minute),
            listings: listings::Listings::default(),
            trial_targets: trials::Targets::default(),
            config,
        }))
    }
}

/// The whole API.
pub fn router(state: Shared) -> Router {
    let routes = Router::new()
        .merge(meta::router())
        .merge(accounts::router())
        .merge(packages::router())
        .merge(trials::router())
        .merge(reviews::router())
        .merge(program::router())
        .merge(deployments::router())
        .merge(ui::router());
    with_layers(routes, state)
}

/// What every route runs inside: shared deployment state, the body limit, the panic guard,
/// logging and metrics.
fn with_layers(routes: Router<Shared>, state: Shared) -> Router {
    let limit = state.config.body_limit;
    routes
        // Deployments' meters and kept inputs, shared by the API and the web UI.
        .layer(axum::Extension(Arc::new(deployments::Live::default())))
        .layer(DefaultBodyLimit::max(limit))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(limit))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(panicked))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// A request whose handling panicked (a bug: bad input is refused by name, never a panic)
/// still gets an answer, a 500 problem like any internal error, and the panic is logged;
/// without this the connection would just close.
fn panicked(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into());
    ApiError::internal("handling the request (it panicked)", message).into_response()
}

/// Logs and counts every request: route, status, latency, request id.
async fn observe(State(state): State<Shared>, mut request: Request, next: Next) -> Response {
    static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = request.method().clone();
    let started = Instant::now();
    request.extensions_mut().insert(body::Arrived(started));
    let mut response = next.run(request).await;
    let latency = started.elapsed();
    let status = response.status().as_u16();
    state
        .metrics
        .request(method.as_str(), &route, status, latency);
    tracing::info!(request_id = id, %method, route, status, latency_ms = latency.as_secs_f64() * 1e3, "request");
    if let Ok(value) = axum::http::HeaderValue::from_str(&id.to_string()) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// Creates the admin account on first start and writes its token to `DIR/admin.token` (0600).
/// The file is written and synced before the account is committed, so a crash in between
/// cannot leave an admin whose only secret was never stored (the next start replaces the file).
fn bootstrap_admin(registry: &Registry, dir: &std::path::Path) -> anyhow::Result<()> {
    let path = dir.join("admin.token");
    let created = registry
        .bootstrap_admin_persisted("admin", |token| {
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            // A leftover from an interrupted first start holds a token that was never
            // committed; remove it rather than write through whatever it is.
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)?;
            writeln!(file, "{}", token.secret)?;
            file.sync_all()?;
            std::fs::File::open(dir)?.sync_all()
        })
        .with_context(|| format!("creating the admin account (token file {})", path.display()))?;
    if created.is_some() {
        println!("admin token written to {}", path.display());
    } else {
        println!("admin token is in {}", path.display());
    }
    Ok(())
}

/// Runs the server until `shutdown` resolves; finishes in-flight requests, then flushes.
/// `ready` receives the bound address.
pub async fn serve(
    config: Config,
    ready: Option<tokio::sync::oneshot::Sender<SocketAddr>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.data)
        .with_context(|| format!("creating {}", config.data.display()))?;
    let state = AppState::open(config.clone())?;
    bootstrap_admin(&state.registry, &config.data)?;
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .with_context(|| format!("binding {}", config.addr))?;
    let addr = listener.local_addr()?;
    match state.sandbox.runtime().pool_stats() {
        Some(pool) if pool.keeps_resident => tracing::info!(
            keep_resident_mib = config.memory_keep_resident >> 20,
            "sandbox slots keep the memory a call wrote resident, zeroed"
        ),
        _ => tracing::warn!(
            "this kernel has no PAGEMAP_SCAN: sandbox slots give every page back after each call, whatever --keep-resident-mib says"
        ),
    }
    println!("smelt listening on http://{addr}");
    if let Some(ready) = ready {
        let _ = ready.send(addr);
    }
    let app = router(state.clone());
    // Answers go out as soon as they are written: with Nagle's algorithm the tail of a large
    // answer waits for the client's acknowledgement of the segments before it.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "setting TCP_NODELAY on a connection");
        }
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving")?;
    // Every registry write is flushed before it is acknowledged; dropping the last handle
    // closes the database cleanly.
    drop(state);
    println!("smelt stopped");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed when this is called (inside a
/// Tokio runtime), not when the future is first polled: a SIGTERM that arrives while the server
/// starts or right after it listens then stops it gracefully instead of killing it.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    use tokio::signal::unix::{SignalKind, signal};
    let term = signal(SignalKind::terminate()).ok();
    let int = signal(SignalKind::interrupt()).ok();
    async move {
        let wait = |s: Option<tokio::signal::unix::Signal>| async move {
            match s {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = wait(term) => {},
            () = wait(int) => {},
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A handler that panics (a bug) is answered with a 500 problem.
    #[tokio::test]
    async fn a_panicking_handler_answers_a_500_problem() {
        use tower::ServiceExt;
        let dir = tempfile::tempdir().unwrap();
        let addr = "127.0.0.1:0".parse().unwrap();
        let state = AppState::open(Config::new(dir.path().to_path_buf(), addr)).unwrap();
        let routes = Router::new().route(
            "/boom",
            axum::routing::get(|| async {
                let lots: Vec<u32> = Vec::new();
                lots[3].to_string()
            }),
        );
        let app = with_layers(routes, state);
        let request = Request::get("/boom")
            .body(axum::body::Body::empty())
            .unwrap();
        let response = app.oneshot(request).await.unwrap();
        assert_eq!(response.status(), 500);
        let body = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(problem["error"]["code"], "internal", "{problem}");
        assert!(
            problem["error"]["message"]
                .as_str()
                .unwrap()
                .contains("panicked"),
            "{problem}"
        );
    }
}
