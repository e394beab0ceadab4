//! Permutation flow-shop sequencing to minimise makespan, in plain Rust so it is tested and
//! benchmarked natively.
//!
//! Every job visits machines 1..m in the same order and every machine processes the jobs in the
//! same sequence. [`neh`] builds a sequence (Nawaz, Enscore & Ham 1983) with Taillard's (1990)
//! O(nm) best-insertion; [`iterated_greedy`] improves it by destruction, greedy reconstruction,
//! insertion local search and a simulated-annealing-like acceptance (Ruiz & Stützle 2007,
//! IG_RS_LS with d = 4, T = 0.4). The random choices come from a seeded generator, so a run is
//! the same on every machine.
//!
//! ```
//! use flowshop_scheduler::flowshop::{Instance, neh};
//!
//! // Two jobs, two machines: job 0 takes 3 then 1, job 1 takes 1 then 3.
//! let shop = Instance::new(2, 2, vec![3.0, 1.0, 1.0, 3.0]);
//! let (sequence, makespan) = neh(&shop);
//! assert_eq!(sequence, [1, 0]); // Johnson's rule: the short first operation goes first.
//! assert_eq!(makespan, 5.0);
//! ```

// `smelt_sdk::math`: max/min inline in wasm32 (f64::max is a call to `fmax` there), and exp is
// the same bits natively and in the sandbox, so the annealing accepts the same moves on both.
use smelt_sdk::math::{exp, max, min};

/// Processing times of `jobs` jobs on `machines` machines.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    jobs: usize,
    machines: usize,
    /// Job-major: `p[job * machines + machine]`.
    p: Vec<f64>,
}

impl Instance {
    /// An instance from job-major processing times (`p[job * machines + machine]`).
    ///
    /// # Panics
    ///
    /// When `p` does not hold `jobs × machines` times or there is no machine; the smelt layer
    /// builds instances only from checked input.
    pub fn new(jobs: usize, machines: usize, p: Vec<f64>) -> Self {
        assert!(
            machines > 0 && p.len() == jobs * machines,
            "bad instance shape"
        );
        Instance { jobs, machines, p }
    }

    /// Number of jobs.
    pub fn jobs(&self) -> usize {
        self.jobs
    }

    /// Number of machines.
    pub fn machines(&self) -> usize {
        self.machines
    }

    /// Processing time of `job` on `machine` (both zero-based).
    pub fn time(&self, job: usize, machine: usize) -> f64 {
        self.p[job * self.machines + machine]
    }

    fn row(&self, job: usize) -> &[f64] {
        &self.p[job * self.machines..(job + 1) * self.machines]
    }

    /// Makespan of a (partial) sequence.
    pub fn makespan(&self, sequence: &[usize]) -> f64 {
        let mut done = vec![0.0f64; self.machines];
        for &job in sequence {
            let mut previous = 0.0f64;
            for (machine, &p) in done.iter_mut().zip(self.row(job)) {
                *machine = max(*machine, previous) + p;
                previous = *machine;
            }
        }
        done.last().copied().unwrap_or(0.0)
    }

    /// Start and end of every operation of `sequence`, by position then machine.
    pub fn schedule(&self, sequence: &[usize]) -> Vec<(usize, usize, f64, f64)> {
        let mut done = vec![0.0f64; self.machines];
        let mut operations = Vec::with_capacity(sequence.len() * self.machines);
        for &job in sequence {
            let mut previous = 0.0f64;
            for (machine, (free, &p)) in done.iter_mut().zip(self.row(job)).enumerate() {
                let start = max(*free, previous);
                *free = start + p;
                previous = *free;
                operations.push((job, machine, start, *free));
            }
        }
        operations
    }

    /// Taillard's (1993) lower bound on the makespan: the larger of the longest job and, over
    /// machines, the least head before the machine + its total load + the least tail after it.
    pub fn lower_bound(&self) -> f64 {
        let m = self.machines;
        let mut bound = (0..self.jobs)
            .map(|j| self.row(j).iter().sum::<f64>())
            .fold(0.0, max);
        for machine in 0..m {
            let mut head = f64::INFINITY;
            let mut tail = f64::INFINITY;
            let mut load = 0.0;
            for job in 0..self.jobs {
                let row = self.row(job);
                head = min(head, row[..machine].iter().sum());
                tail = min(tail, row[machine + 1..].iter().sum());
                load += row[machine];
            }
            if self.jobs > 0 {
                bound = max(bound, head + load + tail);
            }
        }
        bound
    }

    fn total_time(&self) -> f64 {
        self.p.iter().sum()
    }
}

/// Scratch space for Taillard's best insertion, reused between calls, and a count of the work
/// done (machine × position cells visited) so effort can be capped deterministically.
#[derive(Debug, Default)]
struct Inserter {
    zeros: Vec<f64>,
    heads: Vec<f64>,
    tails: Vec<f64>,
    cells: u64,
}

impl Inserter {
    /// Best position for `job` in `sequence` and the makespan it gives; ties go to the earliest
    /// position. Taillard (1990): heads e, tails q and inserted-job completions f, O(nm).
    fn best(&mut self, shop: &Instance, sequence: &[usize], job: usize) -> (usize, f64) {
        let m = shop.machines;
        let len = sequence.len();
        self.zeros.resize(m, 0.0);
        self.heads.clear();
        self.heads.resize(len * m, 0.0);
        self.tails.clear();
        self.tails.resize((len + 1) * m, 0.0);
        // Heads e: completion of the i-th job of the sequence on each machine.
        for (i, &j) in sequence.iter().enumerate() {
            let (done, rest) = self.heads.split_at_mut(i * m);
            let above = if i == 0 {
                &self.zeros[..]
            } else {
                &done[(i - 1) * m..]
            };
            let mut left = 0.0f64;
            for ((e, &up), &p) in rest[..m].iter_mut().zip(above).zip(shop.row(j)) {
                left = max(left, up) + p;
                *e = left;
            }
        }
        // Tails q: time from the start of the i-th job on a machine to the end of the sequence.
        for (i, &j) in sequence.iter().enumerate().rev() {
            let (upto, next) = self.tails.split_at_mut((i + 1) * m);
            let below = &next[..m];
            let mut right = 0.0f64;
            for ((q, &down), &p) in upto[i * m..].iter_mut().zip(below).zip(shop.row(j)).rev() {
                right = max(right, down) + p;
                *q = right;
            }
        }
        // f: completion of `job` inserted before position i; makespan = max over machines f + q.
        let row = shop.row(job);
        let mut best = (0, f64::INFINITY);
        for position in 0..=len {
            let above = if position == 0 {
                &self.zeros[..]
            } else {
                &self.heads[(position - 1) * m..position * m]
            };
            let tail = &self.tails[position * m..(position + 1) * m];
            let mut left = 0.0f64;
            let mut makespan = 0.0f64;
            for ((&up, &q), &p) in above.iter().zip(tail).zip(row) {
                left = max(left, up) + p;
                makespan = max(makespan, left + q);
            }
            if makespan < best.1 {
                best = (position, makespan);
            }
        }
        self.cells = self.cells.saturating_add(3 * (len as u64 + 1) * m as u64);
        best
    }
}

/// NEH: jobs by decreasing total time (ties by index), each inserted where the partial makespan
/// is least (ties to the earliest position). Returns the sequence and its makespan.
pub fn neh(shop: &Instance) -> (Vec<usize>, f64) {
    neh_with(shop, &mut Inserter::default())
}

fn neh_with(shop: &Instance, inserter: &mut Inserter) -> (Vec<usize>, f64) {
    let totals: Vec<f64> = (0..shop.jobs).map(|j| shop.row(j).iter().sum()).collect();
    let mut order: Vec<usize> = (0..shop.jobs).collect();
    order.sort_by(|&a, &b| totals[b].total_cmp(&totals[a]));
    let mut sequence = Vec::with_capacity(shop.jobs);
    let mut makespan = 0.0;
    for job in order {
        let (position, c) = inserter.best(shop, &sequence, job);
        sequence.insert(position, job);
        makespan = c;
    }
    (sequence, makespan)
}

/// SplitMix64 (Steele, Lea & Flood 2014): small, fast and the same everywhere.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0); the modulo bias is below 2^-40 for any n a shop has.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn shuffle(&mut self, items: &mut [usize]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

/// Settings of the iterated greedy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Effort {
    /// Destruction–construction iterations after NEH; 0 returns NEH's sequence as it is.
    pub iterations: u64,
    /// Seed of the random choices.
    pub seed: u64,
    /// Stop once this many insertion cells (positions × machines) have been evaluated, so the
    /// work of a call is bounded whatever the instance size.
    pub max_cells: u64,
}

/// What [`iterated_greedy`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// Job indices in processing order.
    pub sequence: Vec<usize>,
    /// Its makespan.
    pub makespan: f64,
    /// The NEH makespan it started from.
    pub neh_makespan: f64,
    /// Iterations completed (fewer than asked when `max_cells` ran out).
    pub iterations: u64,
    /// Insertion cells evaluated.
    pub cells: u64,
}

/// Number of jobs removed per destruction (Ruiz & Stützle 2007 calibrated d = 4).
const DESTROY: usize = 4;

/// Temperature factor T of the acceptance criterion (Ruiz & Stützle 2007 calibrated T = 0.4).
const TEMPERATURE_FACTOR: f64 = 0.4;

/// Insertion local search (Ruiz & Stützle 2007, Fig. 4): take the jobs in random order, move
/// each to its best position if that shortens the makespan, repeat until a pass finds nothing.
fn local_search(
    shop: &Instance,
    sequence: &mut Vec<usize>,
    mut makespan: f64,
    rng: &mut SplitMix64,
    inserter: &mut Inserter,
    max_cells: u64,
) -> f64 {
    let mut jobs: Vec<usize> = sequence.clone();
    let mut improved = true;
    while improved && inserter.cells < max_cells {
        improved = false;
        rng.shuffle(&mut jobs);
        for &job in &jobs {
            let Some(from) = sequence.iter().position(|&j| j == job) else {
                continue;
            };
            sequence.remove(from);
            let (to, c) = inserter.best(shop, sequence, job);
            if c < makespan {
                sequence.insert(to, job);
                makespan = c;
                improved = true;
            } else {
                sequence.insert(from, job);
            }
        }
    }
    makespan
}

/// NEH followed by `effort.iterations` rounds of iterated greedy (Ruiz & Stützle 2007,
/// IG_RS_LS). Deterministic for a given instance and effort.
pub fn iterated_greedy(shop: &Instance, effort: Effort) -> Solution {
    let mut inserter = Inserter::default();
    let (mut current, neh_makespan) = neh_with(shop, &mut inserter);
    let mut solution = Solution {
        sequence: current.clone(),
        makespan: neh_makespan,
        neh_makespan,
        iterations: 0,
        cells: 0,
    };
    if effort.iterations == 0 || shop.jobs < 2 {
        solution.cells = inserter.cells;
        return solution;
    }
    let mut rng = SplitMix64(effort.seed);
    let temperature =
        TEMPERATURE_FACTOR * shop.total_time() / (shop.jobs * shop.machines * 10) as f64;
    let mut current_makespan = local_search(
        shop,
        &mut current,
        neh_makespan,
        &mut rng,
        &mut inserter,
        effort.max_cells,
    );
    if current_makespan < solution.makespan {
        solution.sequence.clone_from(&current);
        solution.makespan = current_makespan;
    }
    let destroy = DESTROY.min(shop.jobs - 1);
    let mut removed = Vec::with_capacity(destroy);
    while solution.iterations < effort.iterations && inserter.cells < effort.max_cells {
        let mut candidate = current.clone();
        removed.clear();
        for _ in 0..destroy {
            let at = rng.below(candidate.len());
            removed.push(candidate.remove(at));
        }
        let mut makespan = 0.0;
        for &job in &removed {
            let (at, c) = inserter.best(shop, &candidate, job);
            candidate.insert(at, job);
            makespan = c;
        }
        makespan = local_search(
            shop,
            &mut candidate,
            makespan,
            &mut rng,
            &mut inserter,
            effort.max_cells,
        );
        if makespan < current_makespan {
            current = candidate;
            current_makespan = makespan;
            if makespan < solution.makespan {
                solution.sequence.clone_from(&current);
                solution.makespan = makespan;
            }
        } else if rng.unit() <= exp(-(makespan - current_makespan) / temperature) {
            current = candidate;
            current_makespan = makespan;
        }
        solution.iterations += 1;
    }
    solution.cells = inserter.cells;
    solution
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute_force(shop: &Instance) -> f64 {
        fn permute(
            shop: &Instance,
            prefix: &mut Vec<usize>,
            rest: &mut Vec<usize>,
            best: &mut f64,
        ) {
            if rest.is_empty() {
                *best = best.min(shop.makespan(prefix));
                return;
            }
            for i in 0..rest.len() {
                let job = rest.remove(i);
                prefix.push(job);
                permute(shop, prefix, rest, best);
                prefix.pop();
                rest.insert(i, job);
            }
        }
        let mut best = f64::INFINITY;
        permute(
            shop,
            &mut Vec::new(),
            &mut (0..shop.jobs()).collect(),
            &mut best,
        );
        best
    }

    #[test]
    fn best_insertion_agrees_with_trying_every_position() {
        let shop = crate::taillard::instance(873_654_221, 20, 5);
        let sequence: Vec<usize> = (0..19).collect();
        let (position, c) = Inserter::default().best(&shop, &sequence, 19);
        let mut best = (0, f64::INFINITY);
        for at in 0..=sequence.len() {
            let mut s = sequence.clone();
            s.insert(at, 19);
            let c = shop.makespan(&s);
            if c < best.1 {
                best = (at, c);
            }
        }
        assert_eq!((position, c), best);
    }

    #[test]
    fn iterated_greedy_finds_the_optimum_of_small_shops() {
        // 7 jobs on 4 machines from Taillard's generator: small enough to enumerate all 5040
        // sequences; Johnson's two-machine example in the module doc is the other check.
        let shop = crate::taillard::instance(479_340_445, 7, 4);
        let solution = iterated_greedy(
            &shop,
            Effort {
                iterations: 200,
                seed: 1,
                max_cells: u64::MAX,
            },
        );
        assert_eq!(solution.makespan, brute_force(&shop));
        assert_eq!(solution.makespan, shop.makespan(&solution.sequence));
    }

    #[test]
    fn the_work_cap_stops_the_search() {
        let shop = crate::taillard::instance(873_654_221, 20, 5);
        let capped = iterated_greedy(
            &shop,
            Effort {
                iterations: 1_000_000,
                seed: 1,
                max_cells: 100_000,
            },
        );
        assert!(capped.iterations < 1_000_000);
        // The cap is checked between steps, so it may overshoot by one local-search pass.
        assert!(
            capped.cells < 100_000 + 3 * 21 * 5 * 20 * 2,
            "{}",
            capped.cells
        );
    }

    #[test]
    fn one_job_and_zero_times_are_fine() {
        let shop = Instance::new(1, 3, vec![1.0, 2.0, 3.0]);
        assert_eq!(
            iterated_greedy(
                &shop,
                Effort {
                    iterations: 10,
                    seed: 0,
                    max_cells: 1000
                }
            )
            .makespan,
            6.0
        );
        let shop = Instance::new(3, 2, vec![0.0; 6]);
        assert_eq!(neh(&shop).1, 0.0);
    }
}
