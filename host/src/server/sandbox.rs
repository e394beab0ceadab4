//! The server's view of the sandbox: plugins by published version, compiled once per digest
//! (off the async threads), with the limits its manifest declares, run on the async threads
//! (yielding at every epoch tick).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use smelt_registry::{Digest, Registry, VersionRecord};
use smelt_runtime::{Descriptor, Input, Limits, Plugin, Run, Runtime, RuntimeConfig};

use super::ApiError;

/// Compiles and runs published components.
#[derive(Clone)]
pub struct Sandbox {
    runtime: Runtime,
    registry: Registry,
    /// Published components compiled by this server, with their stored descriptors.
    loaded: Arc<Mutex<HashMap<Digest, Loaded>>>,
    compile_timeout: Duration,
    /// Uploads compiled at once. Compilation cannot be interrupted, so however many providers
    /// publish at the same time, uploads hold at most one core and trials keep the others.
    uploads_compiling: Arc<tokio::sync::Semaphore>,
    pub compile_hits: Arc<std::sync::atomic::AtomicU64>,
    pub compile_misses: Arc<std::sync::atomic::AtomicU64>,
}

/// A compiled component with what it declared.
#[derive(Clone)]
pub struct Loaded {
    pub plugin: Plugin,
    pub descriptor: Arc<Descriptor>,
}

impl Sandbox {
    /// `cache_dir` keeps compiled components across restarts (written and trusted only by this
    /// host: see `smelt_runtime::CacheStats`); `memory_keep_resident` is
    /// [`RuntimeConfig::memory_keep_resident`].
    pub fn new(
        registry: Registry,
        compile_timeout: Duration,
        cache_dir: PathBuf,
        memory_keep_resident: usize,
    ) -> anyhow::Result<Self> {
        Ok(Sandbox {
            runtime: Runtime::with_config(&RuntimeConfig {
                cache_dir: Some(cache_dir),
                memory_keep_resident,
                ..RuntimeConfig::default()
            })?,
            registry,
            loaded: Arc::default(),
            compile_timeout,
            uploads_compiling: Arc::new(tokio::sync::Semaphore::new(1)),
            compile_hits: Arc::default(),
            compile_misses: Arc::default(),
        })
    }

    /// The runtime (for the conformance suite, which drives it directly).
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// Validates, compiles and describes uploaded bytes, off the async threads, one upload at
    /// a time, and under the compile timeout (waiting for the turn counts). `still_wanted` is
    /// asked once the turn comes, before compiling: an upload whose answer was settled while it
    /// waited (another upload took its name@version) is refused without compile work.
    pub async fn inspect(
        &self,
        bytes: Arc<Vec<u8>>,
        still_wanted: impl FnOnce() -> Result<(), ApiError> + Send + 'static,
    ) -> Result<Loaded, ApiError> {
        let runtime = self.runtime.clone();
        let turn = self.uploads_compiling.clone();
        let work = async move {
            let permit = turn
                .acquire_owned()
                .await
                .map_err(|e| ApiError::internal("waiting to compile", e))?;
            still_wanted()?;
            // The permit moves into the blocking task: a compile that outlives the timeout
            // keeps the turn until it really ends.
            tokio::task::spawn_blocking(move || -> Result<Loaded, smelt_runtime::Error> {
                let _permit = permit;
                let plugin = runtime.load(&bytes)?;
                let descriptor = Arc::new(plugin.describe()?);
                Ok(Loaded { plugin, descriptor })
            })
            .await
            .map_err(|join| ApiError::internal("compiling a component", join))
        };
        match tokio::time::timeout(self.compile_timeout, work).await {
            Err(_) => Err(ApiError::unprocessable(
                "compile_timeout",
                format!(
                    "the component did not compile within {} s",
                    self.compile_timeout.as_secs()
                ),
            )),
            Ok(Err(e)) => Err(e),
            Ok(Ok(result)) => Ok(result?),
        }
    }

    /// The compiled plugin of a published version (blob re-hashed on first load).
    pub async fn load(&self, record: &VersionRecord) -> Result<Loaded, ApiError> {
        if let Some(loaded) = lock(&self.loaded).get(&record.component) {
            self.compile_hits
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Ok(loaded.clone());
        }
        let descriptor: Descriptor = serde_json::from_str(&record.descriptor_json)
            .map_err(|e| ApiError::internal("reading a stored descriptor", e))?;
        let descriptor = Arc::new(descriptor);
        let digest = record.component.to_string();
        let plugin = match self.runtime.cached(&digest) {
            // Compiled from an upload, not loaded from the store yet.
            Some(plugin) => {
                self.compile_hits
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                plugin
            }
            None => {
                self.compile_misses
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                self.compile_stored(record.component).await?
            }
        };
        let loaded = Loaded { plugin, descriptor };
        lock(&self.loaded).insert(record.component, loaded.clone());
        Ok(loaded)
    }

    async fn compile_stored(&self, component: Digest) -> Result<Plugin, ApiError> {
        let (runtime, registry) = (self.runtime.clone(), self.registry.clone());
        let work = tokio::task::spawn_blocking(move || -> Result<Plugin, ApiError> {
            let bytes = registry.blob(&component)?;
            Ok(runtime.load(&bytes)?)
        });
        match tokio::time::timeout(self.compile_timeout, work).await {
            Err(_) => Err(ApiError::internal(
                "compiling a stored component",
                "timeout",
            )),
            Ok(Err(join)) => Err(ApiError::internal("compiling a stored component", join)),
            Ok(Ok(plugin)) => plugin,
        }
    }

    /// Runs one call on this async thread: the guest gives the thread back at every epoch
    /// tick, so a long call shares it with the other requests, and a small one (most trials)
    /// costs no hand-off to a blocking thread and back (running them on the blocking pool took
    /// trial throughput from 14.4k to 10.2k a second in the `http` bench).
    pub async fn run(&self, plugin: Plugin, input: Input, limits: Limits) -> Run {
        plugin.run_async(&input, &limits).await
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// The sandbox slots: at most `total` trials and invocations at once, and at most half of them
/// (at least one) for any one account, so one tenant — say, one trying a component that runs to
/// its deadline every time, from many connections — cannot take every slot from the others.
pub struct RunSlots {
    total: Arc<tokio::sync::Semaphore>,
    per_account: usize,
    held: Arc<Mutex<HashMap<String, usize>>>,
}

/// One held slot; freed (for its account too) on drop.
pub struct RunSlot {
    _permit: tokio::sync::OwnedSemaphorePermit,
    account: String,
    held: Arc<Mutex<HashMap<String, usize>>>,
}

impl Drop for RunSlot {
    fn drop(&mut self) {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = held.get_mut(&self.account) {
            *n -= 1;
            if *n == 0 {
                held.remove(&self.account);
            }
        }
    }
}

impl RunSlots {
    pub fn new(total: usize) -> Self {
        RunSlots {
            total: Arc::new(tokio::sync::Semaphore::new(total)),
            per_account: (total / 2).max(1),
            held: Arc::default(),
        }
    }

    /// Slots free right now (for `/metrics`).
    pub fn available_permits(&self) -> usize {
        self.total.available_permits()
    }

    /// A slot for `account`, or 503 with `Retry-After` when its share or every slot is in use.
    pub fn try_acquire(&self, account: &str) -> Result<RunSlot, ApiError> {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        let mine = held.get(account).copied().unwrap_or(0);
        if mine >= self.per_account {
            return Err(ApiError::busy(
                "busy",
                format!(
                    "`{account}` already runs {mine} calls, its share of the sandbox; retry shortly"
                ),
                1,
            ));
        }
        let permit =
            self.total.clone().try_acquire_owned().map_err(|_| {
                ApiError::busy("busy", "all sandbox slots are busy; retry shortly", 1)
            })?;
        held.insert(account.to_owned(), mine + 1);
        Ok(RunSlot {
            _permit: permit,
            account: account.to_owned(),
            held: self.held.clone(),
        })
    }
}

/// The limits a version's manifest declares, for an input of `rows` rows.
pub fn limits_for(record: &VersionRecord, rows: usize) -> Limits {
    smelt_conformance::budget_limits(&record.manifest.budget, rows)
}

/// The platform's compute charge, in CNY per 10⁹ fuel.
pub const COMPUTE_CNY_PER_GFUEL: f64 = 0.01;

/// What a run costs the enterprise: the provider's per-run price (`per_1k_runs_cny / 1000`)
/// plus the platform's compute charge for the fuel used.
pub fn cost_cny(record: &VersionRecord, fuel: u64) -> f64 {
    let price = record.manifest.listing.price.per_1k_runs_cny / 1000.0;
    let compute = fuel as f64 / 1e9 * COMPUTE_CNY_PER_GFUEL;
    ((price + compute) * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_holds_at_most_half_the_slots_and_frees_them_on_drop() {
        let slots = RunSlots::new(4);
        let a1 = slots.try_acquire("mallory").unwrap();
        let a2 = slots.try_acquire("mallory").unwrap();
        let refused = slots.try_acquire("mallory").err().unwrap();
        assert_eq!((refused.code, refused.retry_after), ("busy", Some(1)));
        assert!(refused.message.contains("its share"), "{}", refused.message);
        let b1 = slots.try_acquire("wujiang-dyeing").unwrap();
        let _b2 = slots.try_acquire("wujiang-dyeing").unwrap();
        assert_eq!(slots.available_permits(), 0);
        drop(b1);
        let c = slots.try_acquire("third").unwrap();
        assert!(slots.try_acquire("fourth").is_err(), "every slot is in use");
        drop((a1, a2, c));
        assert_eq!(slots.available_permits(), 3);
        let _again = slots.try_acquire("mallory").unwrap();
        assert!(slots.held.lock().unwrap().get("third").is_none());
    }

    fn sandbox() -> (tempfile::TempDir, Sandbox) {
        let dir = tempfile::tempdir().unwrap();
        let registry = Registry::open(dir.path().join("data")).unwrap();
        let sandbox = Sandbox::new(
            registry,
            Duration::from_secs(60),
            dir.path().join("compiled"),
            smelt_runtime::MEMORY_KEEP_RESIDENT,
        )
        .unwrap();
        (dir, sandbox)
    }

    fn compile(sandbox: &Sandbox, path: &str) -> Plugin {
        sandbox
            .runtime()
            .load(&std::fs::read(path).unwrap())
            .unwrap()
    }

    /// `examples/dye-lot.json` (5 lots, one out of tolerance) as `plugin` takes it.
    fn dye_lot_input(plugin: &Plugin) -> Input {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../examples/dye-lot.json"
        ))
        .unwrap();
        let descriptor = plugin.describe().unwrap();
        smelt_runtime::input_from_json(&serde_json::from_str(&text).unwrap(), &descriptor).unwrap()
    }

    #[tokio::test]
    async fn a_small_call_is_answered() {
        let (_dir, sandbox) = sandbox();
        let plugin = compile(&sandbox, smelt_artifacts::plugin("dye-lot-color-qc"));
        let run = sandbox
            .run(plugin.clone(), dye_lot_input(&plugin), Limits::default())
            .await;
        let output = run.output.unwrap();
        assert_eq!(output.metric("fail_count"), Some(1.0), "{output:?}");
    }

    /// Guests that print (a panic message goes to stderr) reach WASI's output streams; their
    /// blocking bindings block on the ambient Tokio runtime, which panics inside one. The
    /// server's calls run inside it, so they must go through the async bindings.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn printing_guests_answer_with_their_error() {
        let (_dir, sandbox) = sandbox();
        let plugin = compile(&sandbox, smelt_artifacts::hostile("panic"));
        let run = sandbox
            .run(plugin, Input::default(), Limits::default())
            .await;
        assert!(
            matches!(run.output, Err(smelt_runtime::Error::Panic { .. })),
            "{:?}",
            run.output
        );
    }

    #[test]
    fn a_single_slot_is_shared_by_everyone() {
        let slots = RunSlots::new(1);
        let held = slots.try_acquire("a").unwrap();
        assert!(slots.try_acquire("b").is_err());
        drop(held);
        assert!(slots.try_acquire("b").is_ok());
    }
}
