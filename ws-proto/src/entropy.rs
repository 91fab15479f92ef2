//! Where client masking keys and handshake keys come from.
//!
//! The core has no randomness of its own (it reads no clock, opens no
//! device): a client is handed an [`Entropy`] source. Adapters hand it one
//! seeded by the operating system; tests and fuzzers hand it a
//! [`Seeded`] source so that every byte on the wire is reproducible.
//!
//! RFC 6455 section 10.3 asks for masking keys an attacker cannot predict,
//! so that a script cannot choose the bytes an intermediary sees; give
//! production clients a cryptographically secure generator.

/// A source of random bytes.
///
/// Any `FnMut(&mut [u8]) + Send` closure is one, so a generator from another
/// crate can be passed as `move |buf: &mut [u8]| rng.fill_bytes(buf)`.
pub trait Entropy: Send {
    /// Fills `dest` with random bytes.
    fn fill(&mut self, dest: &mut [u8]);
}

impl<F: FnMut(&mut [u8]) + Send> Entropy for F {
    fn fill(&mut self, dest: &mut [u8]) {
        self(dest)
    }
}

/// A deterministic generator (SplitMix64) for tests and fuzzing.
///
/// Its output is predictable from its seed and from what it has produced:
/// do not use it where section 10.3 applies.
///
/// ```
/// use ws_proto::entropy::{Entropy, Seeded};
///
/// let (mut a, mut b) = (Seeded::new(7), Seeded::new(7));
/// let (mut x, mut y) = ([0u8; 4], [0u8; 4]);
/// a.fill(&mut x);
/// b.fill(&mut y);
/// assert_eq!(x, y);
/// ```
#[derive(Debug, Clone)]
pub struct Seeded(u64);

impl Seeded {
    /// A generator whose whole output is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        Seeded(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Entropy for Seeded {
    fn fill(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_differ_and_closures_work() {
        let mut a = [0u8; 16];
        let mut b = [0u8; 16];
        Seeded::new(1).fill(&mut a);
        Seeded::new(2).fill(&mut b);
        assert_ne!(a, b);
        let mut counter = 0u8;
        let mut source = move |buf: &mut [u8]| {
            for x in buf {
                counter += 1;
                *x = counter;
            }
        };
        let mut c = [0u8; 3];
        source.fill(&mut c);
        assert_eq!(c, [1, 2, 3]);
    }
}
