//! A log-linear latency histogram: 32 sub-buckets per power of two (about
//! 3% resolution), fixed size, no allocation while recording.

const SUB_BITS: u32 = 5;
const SUB: usize = 1 << SUB_BITS;
const BUCKETS: usize = 64 * SUB;

/// Counts of recorded values (nanoseconds, as the generators use it).
pub struct Histogram {
    counts: Box<[u64; BUCKETS]>,
    total: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Histogram {
            counts: Box::new([0; BUCKETS]),
            total: 0,
        }
    }

    fn index(v: u64) -> usize {
        let msb = 63 - (v | 1).leading_zeros();
        if msb <= SUB_BITS {
            v as usize
        } else {
            let shift = msb - SUB_BITS;
            ((shift as usize) << SUB_BITS) + (v >> shift) as usize
        }
    }

    /// The smallest value that falls into bucket `i`.
    fn value(i: usize) -> u64 {
        if i < 2 * SUB {
            i as u64
        } else {
            let shift = (i >> SUB_BITS) - 1;
            ((i & (SUB - 1)) + SUB) as u64 * (1 << shift)
        }
    }

    /// Counts one value.
    pub fn record(&mut self, nanos: u64) {
        self.counts[Self::index(nanos)] += 1;
        self.total += 1;
    }

    /// Adds what `other` recorded (another generator thread's share).
    pub fn merge(&mut self, other: &Histogram) {
        for (c, o) in self.counts.iter_mut().zip(other.counts.iter()) {
            *c += o;
        }
        self.total += other.total;
    }

    /// The value at quantile `q` (0..=1), in the unit recorded; 0 if empty.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((self.total as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Self::value(i);
            }
        }
        Self::value(BUCKETS - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotonic_and_close() {
        let mut last = 0;
        for v in (0..1_000_000u64).step_by(7).chain([u64::MAX / 2]) {
            let i = Histogram::index(v);
            assert!(i >= last);
            last = i;
            let lo = Histogram::value(i);
            assert!(lo <= v, "{v} -> {i} -> {lo}");
            assert!(v - lo <= v / 16 + 1, "{v} -> {lo}");
        }
    }

    #[test]
    fn merged_is_as_recorded_in_one() {
        let (mut one, mut a, mut b) = (Histogram::new(), Histogram::new(), Histogram::new());
        for v in 1..=1000 {
            one.record(v * 37);
            if v % 3 == 0 {
                a.record(v * 37)
            } else {
                b.record(v * 37)
            }
        }
        a.merge(&b);
        for q in [0.0, 0.5, 0.99, 1.0] {
            assert_eq!(a.quantile(q), one.quantile(q));
        }
    }

    #[test]
    fn quantiles() {
        let mut h = Histogram::new();
        for v in 1..=1000 {
            h.record(v);
        }
        let p50 = h.quantile(0.5);
        assert!((480..=500).contains(&p50), "{p50}");
        let p99 = h.quantile(0.99);
        assert!((960..=990).contains(&p99), "{p99}");
    }
}
