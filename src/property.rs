//! Settings for every property test (test-only): what proptest needs to make a failure
//! reproducible. Below every other module, so any module's properties can use it.

use proptest::prelude::ProptestConfig;

/// Proptest's settings for every property: 256 cases (`PROPTEST_CASES` overrides), no
/// regression files in the source tree, and a seed chosen here so that it can be printed.
/// libtest shows a test's output only when it fails, so a failure shows the minimal input
/// (proptest prints it) and the line that replays the run: proptest reads
/// `PROPTEST_RNG_SEED` (and `PROPTEST_CASES`) after this config, so the same seed
/// generates the same cases (README "Development").
pub fn config() -> ProptestConfig {
    let seed = std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(random_seed);
    let test = std::thread::current()
        .name()
        .unwrap_or("the failed test")
        .to_string();
    eprintln!(
        "proptest seed {seed}; to replay: PROPTEST_RNG_SEED={seed} cargo test --bin keycard {test}"
    );
    ProptestConfig {
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(seed),
        ..ProptestConfig::default()
    }
}

/// A seed that differs from run to run, so that runs together try more than 256 cases.
fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
}
