//! The server's view of the sandbox: plugins by published version, compiled once per digest,
//! with the limits its manifest declares, run off the async threads.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
    /// Calls that may run on the async worker that asked for them (see [`Sandbox::run`]).
    inline: Arc<tokio::sync::Semaphore>,
    /// Components whose last call on an async worker ran past [`INLINE_MS`], and until when
    /// they run on the blocking threads only.
    slow: Arc<Mutex<HashMap<String, Instant>>>,
    compile_timeout: Duration,
    /// Uploads compiled at once. Compilation cannot be interrupted, so however many providers
    /// publish at the same time, uploads hold at most one core and trials keep the others.
    uploads_compiling: Arc<tokio::sync::Semaphore>,
    pub compile_hits: Arc<std::sync::atomic::AtomicU64>,
    pub compile_misses: Arc<std::sync::atomic::AtomicU64>,
    /// Calls answered on an async worker, and calls run on a blocking thread.
    pub runs_inline: Arc<std::sync::atomic::AtomicU64>,
    pub runs_blocking: Arc<std::sync::atomic::AtomicU64>,
}

/// A compiled component with what it declared.
#[derive(Clone)]
pub struct Loaded {
    pub plugin: Plugin,
    pub descriptor: Arc<Descriptor>,
}

impl Sandbox {
    /// `cache_dir` keeps compiled components across restarts (written and trusted only by this
    /// host: see `smelt_runtime::CacheStats`).
    pub fn new(
        registry: Registry,
        compile_timeout: Duration,
        cache_dir: PathBuf,
    ) -> anyhow::Result<Self> {
        Ok(Sandbox {
            runtime: Runtime::with_config(&RuntimeConfig {
                cache_dir: Some(cache_dir),
                ..RuntimeConfig::default()
            })?,
            registry,
            loaded: Arc::default(),
            // Half the cores: however many calls arrive, the other half of the async workers
            // keep serving requests.
            inline: Arc::new(tokio::sync::Semaphore::new(
                (std::thread::available_parallelism().map_or(1, |n| n.get()) / 2).max(1),
            )),
            slow: Arc::default(),
            compile_timeout,
            uploads_compiling: Arc::new(tokio::sync::Semaphore::new(1)),
            compile_hits: Arc::default(),
            compile_misses: Arc::default(),
            runs_inline: Arc::default(),
            runs_blocking: Arc::default(),
        })
    }

    /// The runtime (for the conformance suite, which drives it directly).
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// Validates, compiles and describes uploaded bytes, off the async threads, one upload at
    /// a time, and under the compile timeout (waiting for the turn counts).
    pub async fn inspect(&self, bytes: Arc<Vec<u8>>) -> Result<Loaded, ApiError> {
        let runtime = self.runtime.clone();
        let turn = self.uploads_compiling.clone();
        let work = async move {
            let permit = turn
                .acquire_owned()
                .await
                .map_err(|e| ApiError::internal("waiting to compile", e))?;
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

    /// Runs one call. A small one runs right here on the async worker, under a deadline of
    /// [`INLINE_MS`] and on at most half the cores at once: handing it to a blocking thread
    /// and back costs more than the call. A call that needs longer is run again from the
    /// start on a blocking thread under its own limits (a call has no effects and its answer
    /// is deterministic, so only the time is lost), and its component runs only there for
    /// [`SLOW_FOR`]. So an async worker is never held much longer than [`INLINE_MS`].
    pub async fn run(&self, plugin: Plugin, input: Input, limits: Limits) -> Result<Run, ApiError> {
        use std::sync::atomic::Ordering::Relaxed;
        if let Some(run) = self.run_inline(&plugin, &input, &limits) {
            self.runs_inline.fetch_add(1, Relaxed);
            return Ok(run);
        }
        self.runs_blocking.fetch_add(1, Relaxed);
        tokio::task::spawn_blocking(move || plugin.run(&input, &limits))
            .await
            .map_err(|e| ApiError::internal("running a trial", e))
    }

    fn run_inline(&self, plugin: &Plugin, input: &Input, limits: &Limits) -> Option<Run> {
        if input_bytes(input) > INLINE_MAX_INPUT_BYTES {
            return None;
        }
        let _turn = self.inline.try_acquire().ok()?;
        {
            let mut slow = lock(&self.slow);
            match slow.get(plugin.digest()) {
                Some(until) if *until > Instant::now() => return None,
                Some(_) => {
                    slow.remove(plugin.digest());
                }
                None => {}
            }
        }
        let capped = Limits {
            timeout_ms: limits.timeout_ms.min(INLINE_MS),
            ..*limits
        };
        let run = plugin.run(input, &capped);
        let cut_short = limits.timeout_ms > capped.timeout_ms
            && matches!(run.output, Err(smelt_runtime::Error::Timeout { .. }));
        if cut_short || run.usage.wall_ms > INLINE_MS as f64 {
            lock(&self.slow).insert(plugin.digest().to_owned(), Instant::now() + SLOW_FOR);
        }
        (!cut_short).then_some(run)
    }
}

/// Longest a call may run on an async worker before it moves to a blocking thread: two epoch
/// ticks (calls are stopped at the tick after the deadline). A trial of an example solution
/// on a small input takes 30–100 µs.
const INLINE_MS: u64 = 4;

/// How long a component that ran past [`INLINE_MS`] on an async worker runs only on the
/// blocking threads.
const SLOW_FOR: Duration = Duration::from_secs(60);

/// Largest input run on an async worker: converting it into the guest's values happens before
/// the deadline applies (64 KiB take microseconds).
const INLINE_MAX_INPUT_BYTES: usize = 64 << 10;

/// The input's size, roughly, in bytes.
fn input_bytes(input: &Input) -> usize {
    let tables: usize = input
        .tables
        .values()
        .flat_map(|t| t.iter())
        .map(|(name, column)| name.len() + column.approx_bytes())
        .sum();
    let params: usize = input
        .params
        .iter()
        .map(|(name, value)| {
            name.len()
                + match value {
                    smelt_runtime::Value::Text(t) => t.len(),
                    _ => 8,
                }
        })
        .sum();
    tables + params
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
    use std::sync::atomic::Ordering;

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
    async fn a_small_call_is_answered_on_the_async_worker() {
        let (_dir, sandbox) = sandbox();
        let plugin = compile(&sandbox, smelt_artifacts::plugin("dye-lot-color-qc"));
        let run = sandbox
            .run(plugin.clone(), dye_lot_input(&plugin), Limits::default())
            .await
            .unwrap();
        let output = run.output.unwrap();
        assert_eq!(output.metric("fail_count"), Some(1.0), "{output:?}");
        assert_eq!(sandbox.runs_inline.load(Ordering::Relaxed), 1);
        assert_eq!(sandbox.runs_blocking.load(Ordering::Relaxed), 0);
    }

    #[tokio::test]
    async fn a_call_past_the_inline_deadline_runs_again_under_its_own_limits() {
        let (_dir, sandbox) = sandbox();
        let plugin = compile(&sandbox, smelt_artifacts::hostile("infinite-loop"));
        let limits = Limits {
            timeout_ms: 40,
            fuel: u64::MAX / 2,
            ..Limits::default()
        };
        let run = sandbox
            .run(plugin.clone(), Input::default(), limits)
            .await
            .unwrap();
        // The timeout it reports is its own, not the inline one.
        match run.output {
            Err(smelt_runtime::Error::Timeout { limit_ms }) => assert_eq!(limit_ms, 40),
            other => panic!("expected a timeout, got {other:?}"),
        }
        assert!(run.usage.wall_ms >= 30.0, "{:?}", run.usage);
        assert_eq!(sandbox.runs_blocking.load(Ordering::Relaxed), 1);
        assert!(lock(&sandbox.slow).contains_key(plugin.digest()));
        // Marked slow: the next call goes straight to a blocking thread.
        let again = sandbox.run_inline(&plugin, &Input::default(), &limits);
        assert!(again.is_none());
    }

    #[tokio::test]
    async fn a_call_whose_own_deadline_is_short_times_out_inline() {
        let (_dir, sandbox) = sandbox();
        let plugin = compile(&sandbox, smelt_artifacts::hostile("infinite-loop"));
        let limits = Limits {
            timeout_ms: 2,
            fuel: u64::MAX / 2,
            ..Limits::default()
        };
        let run = sandbox.run(plugin, Input::default(), limits).await.unwrap();
        assert!(
            matches!(
                run.output,
                Err(smelt_runtime::Error::Timeout { limit_ms: 2 })
            ),
            "{:?}",
            run.output
        );
        assert_eq!(sandbox.runs_inline.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn large_inputs_and_busy_turns_run_on_blocking_threads() {
        let (_dir, sandbox) = sandbox();
        let plugin = compile(&sandbox, smelt_artifacts::plugin("dye-lot-color-qc"));
        let mut large = Input::default();
        large.tables.entry("data".into()).or_default().insert(
            "x".into(),
            smelt_runtime::ColumnValues::Float64(vec![0.0; INLINE_MAX_INPUT_BYTES / 8 + 1]),
        );
        assert!(
            sandbox
                .run_inline(&plugin, &large, &Limits::default())
                .is_none()
        );
        let turns: Vec<_> = std::iter::from_fn(|| sandbox.inline.try_acquire().ok()).collect();
        assert!(!turns.is_empty());
        assert!(
            sandbox
                .run_inline(&plugin, &dye_lot_input(&plugin), &Limits::default())
                .is_none(),
            "every inline turn is taken"
        );
        drop(turns);
        assert!(
            sandbox
                .run_inline(&plugin, &dye_lot_input(&plugin), &Limits::default())
                .is_some()
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
