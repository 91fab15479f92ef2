//! Masking keys for clients, from the operating system's entropy.

use rand_chacha::ChaCha12Rng;
use rand_core::{RngCore, SeedableRng};
use ws_proto::entropy::Entropy;

/// A ChaCha12 generator seeded once from the operating system: masking
/// keys an observer cannot predict (RFC 6455 section 10.3), without a
/// system call per frame.
pub(crate) struct OsEntropy(ChaCha12Rng);

impl OsEntropy {
    pub(crate) fn new() -> std::io::Result<Self> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)
            .map_err(|e| std::io::Error::other(format!("no entropy from the OS: {e}")))?;
        Ok(OsEntropy(ChaCha12Rng::from_seed(seed)))
    }
}

impl Entropy for OsEntropy {
    fn fill(&mut self, dest: &mut [u8]) {
        self.0.fill_bytes(dest);
    }
}
