//! A log-bucketed latency histogram in the style of HdrHistogram.
//!
//! Values (nanoseconds) below 128 are counted exactly; above, each power of two is split into 128
//! equal sub-buckets, so a recorded value is known to within 1/128 (< 0.8 %) of itself. Recording is
//! one array increment, histograms of different virtual users merge by addition, and the whole range
//! of `u64` fits in 7 424 buckets (~58 KiB).

use std::time::Duration;

/// Sub-bucket bits: 2^7 = 128 sub-buckets per power of two.
const SUB_BITS: u32 = 7;
/// Values below this are counted exactly (one bucket per value).
const SUB_COUNT: u64 = 1 << SUB_BITS;
/// Number of buckets: the exact range plus 128 sub-buckets for each exponent 7..=63.
const BUCKETS: usize = (SUB_COUNT as usize) * (64 - SUB_BITS as usize + 1);

/// A latency histogram with < 0.8 % relative bucket width.
#[derive(Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    min: u64,
    max: u64,
    sum: u128,
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Histogram")
            .field("count", &self.total)
            .field("min_ns", &self.min())
            .field("max_ns", &self.max())
            .finish()
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

/// The bucket index of a value.
fn index_of(value: u64) -> usize {
    if value < SUB_COUNT {
        // Exact range: fits in usize because it is below 128.
        return usize::try_from(value).unwrap_or(0);
    }
    let exponent = 63 - value.leading_zeros(); // >= SUB_BITS here
    let shift = exponent - SUB_BITS;
    let sub = (value >> shift) - SUB_COUNT; // 0..128
    let index = SUB_COUNT + u64::from(shift) * SUB_COUNT + sub;
    usize::try_from(index).unwrap_or(BUCKETS - 1)
}

/// The inclusive range of values counted by a bucket.
fn bucket_range(index: usize) -> (u64, u64) {
    let index = index as u64;
    if index < SUB_COUNT {
        return (index, index);
    }
    let shift = (index - SUB_COUNT) / SUB_COUNT;
    let sub = (index - SUB_COUNT) % SUB_COUNT;
    let low = (SUB_COUNT + sub) << shift;
    let width = 1u64 << shift;
    (low, low.saturating_add(width - 1))
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Self {
            counts: vec![0; BUCKETS],
            total: 0,
            min: u64::MAX,
            max: 0,
            sum: 0,
        }
    }

    /// Records one duration (saturating at `u64::MAX` nanoseconds, ~584 years).
    pub fn record(&mut self, latency: Duration) {
        self.record_nanos(u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX));
    }

    /// Records one value in nanoseconds.
    pub fn record_nanos(&mut self, nanos: u64) {
        if let Some(slot) = self.counts.get_mut(index_of(nanos)) {
            *slot += 1;
        }
        self.total += 1;
        self.min = self.min.min(nanos);
        self.max = self.max.max(nanos);
        self.sum += u128::from(nanos);
    }

    /// Adds every value recorded in `other`.
    pub fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        self.total += other.total;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.sum += other.sum;
    }

    /// How many values were recorded.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// The smallest recorded value, if any.
    pub fn min(&self) -> Option<Duration> {
        (self.total > 0).then(|| Duration::from_nanos(self.min))
    }

    /// The largest recorded value, if any.
    pub fn max(&self) -> Option<Duration> {
        (self.total > 0).then(|| Duration::from_nanos(self.max))
    }

    /// The arithmetic mean, if any value was recorded.
    pub fn mean(&self) -> Option<Duration> {
        let mean = self.sum.checked_div(u128::from(self.total))?;
        Some(Duration::from_nanos(
            u64::try_from(mean).unwrap_or(u64::MAX),
        ))
    }

    /// The value at quantile `q` (0.0..=1.0): the upper end of the bucket holding the
    /// `ceil(q × count)`-th smallest value, clamped to the recorded extremes. `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        if self.total == 0 {
            return None;
        }
        let q = if q.is_nan() { 1.0 } else { q.clamp(0.0, 1.0) };
        // The rank is at least 1 and at most `total`; the float product is exact enough here.
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0u64;
        for (index, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                let (_, high) = bucket_range(index);
                let value = high.clamp(self.min, self.max);
                return Some(Duration::from_nanos(value));
            }
        }
        Some(Duration::from_nanos(self.max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn empty_histogram_has_no_quantiles() {
        let h = Histogram::new();
        assert_eq!(h.count(), 0);
        assert_eq!(h.quantile(0.5), None);
        assert_eq!(h.mean(), None);
        assert_eq!(h.min(), None);
    }

    #[test]
    fn small_values_are_exact() {
        let mut h = Histogram::new();
        for v in 1..=100u64 {
            h.record_nanos(v);
        }
        assert_eq!(h.quantile(0.5), Some(Duration::from_nanos(50)));
        assert_eq!(h.quantile(0.9), Some(Duration::from_nanos(90)));
        assert_eq!(h.quantile(0.99), Some(Duration::from_nanos(99)));
        assert_eq!(h.quantile(1.0), Some(Duration::from_nanos(100)));
        assert_eq!(h.quantile(0.0), Some(Duration::from_nanos(1)));
        assert_eq!(h.mean(), Some(Duration::from_nanos(50)));
    }

    #[test]
    fn quantiles_of_a_uniform_range_are_within_bucket_precision() {
        let mut h = Histogram::new();
        for ms in 1..=1000u64 {
            h.record(Duration::from_micros(ms * 10));
        }
        for (q, expected_us) in [(0.5, 5_000.0), (0.9, 9_000.0), (0.99, 9_900.0)] {
            let got = h.quantile(q).unwrap().as_nanos() as f64 / 1_000.0;
            assert!(
                (got - expected_us).abs() / expected_us < 1.0 / 128.0 + 1e-9,
                "q={q}: got {got} µs, expected {expected_us}"
            );
        }
        assert_eq!(h.max(), Some(Duration::from_millis(10)));
    }

    #[test]
    fn merging_equals_recording_everything_in_one() {
        let mut a = Histogram::new();
        let mut b = Histogram::new();
        let mut all = Histogram::new();
        for v in [5u64, 900, 70_000, 3_000_000, 12] {
            a.record_nanos(v);
            all.record_nanos(v);
        }
        for v in [1u64, 1 << 40, 44_444] {
            b.record_nanos(v);
            all.record_nanos(v);
        }
        a.merge(&b);
        assert_eq!(a.count(), all.count());
        assert_eq!(a.counts, all.counts);
        for q in [0.0, 0.25, 0.5, 0.9, 0.99, 1.0] {
            assert_eq!(a.quantile(q), all.quantile(q));
        }
        assert_eq!(a.min(), all.min());
        assert_eq!(a.max(), all.max());
    }

    #[test]
    fn extreme_values_do_not_overflow() {
        let mut h = Histogram::new();
        h.record_nanos(u64::MAX);
        h.record_nanos(0);
        h.record(Duration::MAX);
        assert_eq!(h.count(), 3);
        assert_eq!(h.quantile(1.0), Some(Duration::from_nanos(u64::MAX)));
        assert_eq!(h.quantile(0.0), Some(Duration::from_nanos(0)));
        assert_eq!(h.quantile(f64::NAN), Some(Duration::from_nanos(u64::MAX)));
    }

    proptest! {
        #[test]
        fn every_value_lies_in_its_bucket_and_buckets_are_narrow(v in any::<u64>()) {
            let index = index_of(v);
            prop_assert!(index < BUCKETS);
            let (low, high) = bucket_range(index);
            prop_assert!(low <= v && v <= high, "{v} not in [{low}, {high}]");
            // Width relative to the value: exact below 128, at most 1/128 above.
            prop_assert!((high - low) <= v / SUB_COUNT);
        }

        #[test]
        fn quantiles_are_monotonic_and_within_extremes(values in proptest::collection::vec(any::<u32>(), 1..200)) {
            let mut h = Histogram::new();
            for v in &values {
                h.record_nanos(u64::from(*v));
            }
            let lo = u64::from(*values.iter().min().unwrap());
            let hi = u64::from(*values.iter().max().unwrap());
            let mut last = 0u64;
            for q in [0.0, 0.1, 0.5, 0.9, 0.99, 1.0] {
                let got = u64::try_from(h.quantile(q).unwrap().as_nanos()).unwrap();
                prop_assert!(got >= last);
                prop_assert!(lo <= got && got <= hi);
                last = got;
            }
        }

        #[test]
        fn quantile_is_close_to_the_exact_order_statistic(values in proptest::collection::vec(1u64..10_000_000_000, 1..300), q in 0.0f64..=1.0) {
            let mut h = Histogram::new();
            for v in &values {
                h.record_nanos(*v);
            }
            let mut sorted = values.clone();
            sorted.sort_unstable();
            let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
            let exact = sorted[rank - 1];
            let got = u64::try_from(h.quantile(q).unwrap().as_nanos()).unwrap();
            prop_assert!(got >= exact && got - exact <= exact / SUB_COUNT, "q={q} exact={exact} got={got}");
        }
    }
}
