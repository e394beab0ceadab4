//! Overall equipment effectiveness and the six big losses, in plain Rust so it is tested and
//! benchmarked natively.
//!
//! The time model (Nakajima's, as oee.com and most TPM texts write it):
//!
//! ```text
//! shift length − planned stops                 = planned production time
//! planned production time − breakdowns − setups = run time
//! availability = run time / planned production time
//! performance  = ideal cycle time × total count / run time
//! quality      = good count / total count
//! OEE          = availability × performance × quality
//!              = ideal cycle time × good count / planned production time
//! ```
//!
//! The time between planned production time and fully productive time (ideal cycle time × good
//! count) is split into the six big losses: breakdowns and setups (availability), small stops
//! and reduced speed (performance), start-up rejects and production rejects (quality).
//!
//! ```
//! use oee_calculator::oee::{Shift, evaluate};
//!
//! let shift = Shift {
//!     shift_length: 480.0, planned_stops: 60.0, breakdowns: 47.0, setups: 0.0,
//!     small_stops: 0.0, ideal_cycle_time: 1.0, total_count: 19_271.0,
//!     startup_rejects: 0.0, production_rejects: 423.0,
//! };
//! let r = evaluate(&shift);
//! assert!((r.oee - 0.7479).abs() < 1e-4);
//! ```

/// Seconds per minute: cycle times are in seconds, times in minutes.
const SECONDS_PER_MINUTE: f64 = 60.0;

/// What was recorded for one machine in one shift. Times in minutes, cycle time in seconds,
/// counts in pieces.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Shift {
    /// Scheduled length of the shift (min).
    pub shift_length: f64,
    /// Breaks, meals, planned maintenance: time the machine was not meant to run (min).
    pub planned_stops: f64,
    /// Unplanned stops for equipment failure (min).
    pub breakdowns: f64,
    /// Setup, changeover and adjustment stops (min).
    pub setups: f64,
    /// Idling and minor stops recorded inside run time (min); the rest of the performance loss is
    /// reduced speed.
    pub small_stops: f64,
    /// Fastest possible time to make one piece (s).
    pub ideal_cycle_time: f64,
    /// Pieces made, good and bad.
    pub total_count: f64,
    /// Pieces rejected while the process stabilised after start-up or changeover.
    pub startup_rejects: f64,
    /// Pieces rejected during steady production.
    pub production_rejects: f64,
}

/// The six big losses, in minutes of planned production time.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Losses {
    /// Equipment failure (availability).
    pub breakdowns: f64,
    /// Setup and adjustments (availability).
    pub setups: f64,
    /// Idling and minor stops (performance).
    pub small_stops: f64,
    /// Reduced speed: run time not explained by pieces at ideal rate or small stops (performance).
    pub reduced_speed: f64,
    /// Start-up rejects at ideal cycle time (quality).
    pub startup_rejects: f64,
    /// Production rejects at ideal cycle time (quality).
    pub production_rejects: f64,
}

impl Losses {
    /// The six in order, with their names and OEE factor.
    pub fn named(&self) -> [(&'static str, &'static str, f64); 6] {
        [
            ("breakdowns", "availability", self.breakdowns),
            ("setups", "availability", self.setups),
            ("small_stops", "performance", self.small_stops),
            ("reduced_speed", "performance", self.reduced_speed),
            ("startup_rejects", "quality", self.startup_rejects),
            ("production_rejects", "quality", self.production_rejects),
        ]
    }

    fn add(&mut self, other: &Losses) {
        self.breakdowns += other.breakdowns;
        self.setups += other.setups;
        self.small_stops += other.small_stops;
        self.reduced_speed += other.reduced_speed;
        self.startup_rejects += other.startup_rejects;
        self.production_rejects += other.production_rejects;
    }
}

/// OEE of one shift, or of a sum of shifts.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Oee {
    /// Shift length − planned stops (min).
    pub planned_time: f64,
    /// Planned production time − breakdowns − setups (min).
    pub run_time: f64,
    /// Ideal cycle time × total count (min).
    pub net_run_time: f64,
    /// Ideal cycle time × good count (min).
    pub fully_productive_time: f64,
    /// Pieces made.
    pub total_count: f64,
    /// Pieces made right first time.
    pub good_count: f64,
    /// Run time / planned production time.
    pub availability: f64,
    /// Net run time / run time; 0 when the machine never ran.
    pub performance: f64,
    /// Good count / total count; 0 when nothing was made.
    pub quality: f64,
    /// Availability × performance × quality.
    pub oee: f64,
    /// The six big losses (min); with the fully productive time they sum to the planned time.
    pub losses: Losses,
}

fn ratio(numerator: f64, denominator: f64) -> f64 {
    if denominator > 0.0 {
        numerator / denominator
    } else {
        0.0
    }
}

impl Oee {
    /// Fills in the ratios from the times and counts.
    fn with_ratios(mut self) -> Self {
        self.availability = ratio(self.run_time, self.planned_time);
        self.performance = ratio(self.net_run_time, self.run_time);
        self.quality = ratio(self.good_count, self.total_count);
        self.oee = self.availability * self.performance * self.quality;
        self
    }

    /// Adds another result's times, counts and losses, and recomputes the ratios, so a machine's
    /// or plant's OEE weighs each shift by its time, not by averaging percentages.
    pub fn accumulate(&mut self, other: &Oee) {
        self.planned_time += other.planned_time;
        self.run_time += other.run_time;
        self.net_run_time += other.net_run_time;
        self.fully_productive_time += other.fully_productive_time;
        self.total_count += other.total_count;
        self.good_count += other.good_count;
        self.losses.add(&other.losses);
        *self = self.with_ratios();
    }
}

/// Evaluates one shift. The caller has checked that times and counts are finite and not
/// negative, that the stops fit in the shift and that rejects do not exceed the count.
pub fn evaluate(shift: &Shift) -> Oee {
    let minutes_per_piece = shift.ideal_cycle_time / SECONDS_PER_MINUTE;
    let planned_time = shift.shift_length - shift.planned_stops;
    let run_time = planned_time - shift.breakdowns - shift.setups;
    let net_run_time = minutes_per_piece * shift.total_count;
    let good_count = shift.total_count - shift.startup_rejects - shift.production_rejects;
    Oee {
        planned_time,
        run_time,
        net_run_time,
        fully_productive_time: minutes_per_piece * good_count,
        total_count: shift.total_count,
        good_count,
        losses: Losses {
            breakdowns: shift.breakdowns,
            setups: shift.setups,
            small_stops: shift.small_stops,
            reduced_speed: run_time - net_run_time - shift.small_stops,
            startup_rejects: minutes_per_piece * shift.startup_rejects,
            production_rejects: minutes_per_piece * shift.production_rejects,
        },
        ..Oee::default()
    }
    .with_ratios()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// oee.com (Vorne Industries), "OEE Calculation", worked example for one shift: shift length
    /// 480 min, breaks 2 × 15 min + 30 min meal, down time 47 min, ideal cycle time 1.0 s,
    /// total count 19,271, reject count 423.
    fn vorne() -> Shift {
        Shift {
            shift_length: 480.0,
            planned_stops: 60.0,
            breakdowns: 47.0,
            ideal_cycle_time: 1.0,
            total_count: 19_271.0,
            production_rejects: 423.0,
            ..Shift::default()
        }
    }

    #[test]
    fn vorne_oee_com_worked_example() {
        // Published: planned production time 420 min, run time 373 min, good count 18,848;
        // availability 0.8881, performance 0.8611, quality 0.9780, OEE 0.7479 (4 decimals).
        let r = evaluate(&vorne());
        assert_eq!(r.planned_time, 420.0);
        assert_eq!(r.run_time, 373.0);
        assert_eq!(r.good_count, 18_848.0);
        for (got, published) in [
            (r.availability, 0.8881),
            (r.performance, 0.8611),
            (r.quality, 0.9780),
            (r.oee, 0.7479),
        ] {
            assert!((got - published).abs() < 0.00005, "{got} vs {published}");
        }
    }

    #[test]
    fn mobley_2002_table_18_2() {
        // R. K. Mobley, An Introduction to Predictive Maintenance, 2nd ed. (2002), Table 18-2:
        // planned time available 7,200 min (15 shifts of 480), planned downtime 250 min,
        // net available run time 6,950 min, downtime losses 695 min, actual operating time
        // 6,255 min, availability 90%; output 54,516 units at design cycle time 0.109 min/unit,
        // operational efficiency 95%; 545 rejects, rate of quality 99%; OEE 85%.
        let r = evaluate(&Shift {
            shift_length: 7_200.0,
            planned_stops: 250.0,
            breakdowns: 695.0,
            ideal_cycle_time: 0.109 * 60.0,
            total_count: 54_516.0,
            production_rejects: 545.0,
            ..Shift::default()
        });
        assert_eq!(r.planned_time, 6_950.0);
        assert_eq!(r.run_time, 6_255.0);
        for (got, published) in [
            (r.availability, 0.90),
            (r.performance, 0.95),
            (r.quality, 0.99),
            (r.oee, 0.85),
        ] {
            assert!(
                ((got * 100.0).round() - published * 100.0).abs() < 1e-9,
                "{got} vs {published}"
            );
        }
    }

    #[test]
    fn losses_and_productive_time_fill_the_planned_time() {
        let shift = Shift {
            setups: 20.0,
            small_stops: 15.0,
            startup_rejects: 100.0,
            ..vorne()
        };
        let r = evaluate(&shift);
        let lost: f64 = r.losses.named().iter().map(|l| l.2).sum();
        assert!((lost + r.fully_productive_time - r.planned_time).abs() < 1e-9);
        // OEE is also fully productive time over planned time.
        assert!((r.oee - r.fully_productive_time / r.planned_time).abs() < 1e-12);
    }

    #[test]
    fn accumulating_weighs_by_time_not_by_percentages() {
        let a = evaluate(&vorne());
        let idle = evaluate(&Shift {
            shift_length: 480.0,
            planned_stops: 60.0,
            breakdowns: 420.0,
            ideal_cycle_time: 1.0,
            ..Shift::default()
        });
        assert_eq!(
            (idle.availability, idle.performance, idle.quality),
            (0.0, 0.0, 0.0)
        );
        let mut sum = Oee::default();
        sum.accumulate(&a);
        sum.accumulate(&idle);
        assert!((sum.availability - 373.0 / 840.0).abs() < 1e-12);
        assert!((sum.oee - a.oee / 2.0).abs() < 1e-12);
    }
}
