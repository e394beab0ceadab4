//! Taillard's (1993) benchmark generator for the permutation flow shop, used to regenerate the
//! published instances for tests and benchmarks.
//!
//! E. Taillard, "Benchmarks for basic scheduling problems", European Journal of Operational
//! Research 64 (1993) 278–285: processing times U[1, 99] drawn machine by machine, job by job,
//! from the Lehmer generator x ← 16807 x mod (2³¹ − 1) (Schrage's method), one time seed per
//! instance (ta001: 873654221).
//!
//! ```
//! use flowshop_scheduler::taillard::times;
//!
//! // ta001, 20 jobs × 5 machines: the first times on machine 1 as published.
//! assert_eq!(&times(873_654_221, 20, 5)[0][..5], &[54, 83, 15, 71, 77]);
//! ```

use crate::flowshop::Instance;

/// Time seeds of ta001–ta010 (20 jobs × 5 machines), as published.
pub const SEEDS_20_5: [i64; 10] = [
    873_654_221,
    379_008_056,
    1_866_992_158,
    216_771_124,
    495_070_989,
    402_959_317,
    1_369_363_414,
    2_021_925_980,
    573_109_518,
    88_325_120,
];

/// One draw of Taillard's `unif(seed, low, high)`.
fn unif(seed: &mut i64, low: i64, high: i64) -> i64 {
    const M: i64 = 2_147_483_647;
    const A: i64 = 16_807;
    const B: i64 = 127_773;
    const C: i64 = 2_836;
    let k = *seed / B;
    *seed = A * (*seed % B) - k * C;
    if *seed < 0 {
        *seed += M;
    }
    let unit = *seed as f64 / M as f64;
    low + (unit * (high - low + 1) as f64).floor() as i64
}

/// Processing times `d[machine][job]` of the instance with this time seed.
pub fn times(seed: i64, jobs: usize, machines: usize) -> Vec<Vec<i64>> {
    let mut seed = seed;
    (0..machines)
        .map(|_| (0..jobs).map(|_| unif(&mut seed, 1, 99)).collect())
        .collect()
}

/// The instance with this time seed, ready to schedule.
pub fn instance(seed: i64, jobs: usize, machines: usize) -> Instance {
    let d = times(seed, jobs, machines);
    let p = (0..jobs)
        .flat_map(|j| d.iter().map(move |row| row[j] as f64))
        .collect();
    Instance::new(jobs, machines, p)
}
