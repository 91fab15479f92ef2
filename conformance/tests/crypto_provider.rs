//! No feature choice can make our TLS panic for want of a crypto
//! provider. This test binary has both of rustls' providers compiled in
//! and installs no process default: the condition under which rustls'
//! implicit `ClientConfig::builder()` panics, as it does here. Every
//! adapter's `wss://` still works, because ours names its provider.

use conformance::tls::wss_round_trip;
use conformance::{AsyncStd, Harness, Smol, Tls, Tokio};
use rustls::crypto::CryptoProvider;

#[test]
fn wss_works_where_the_implicit_provider_panics() {
    assert!(CryptoProvider::get_default().is_none());
    let implicit = std::panic::catch_unwind(rustls::ClientConfig::builder);
    assert!(
        implicit.is_err(),
        "rustls' implicit provider should panic in this build"
    );

    Tokio::block_on(wss_round_trip::<Tls<Tokio>>());
    Smol::block_on(wss_round_trip::<Tls<Smol>>());
    AsyncStd::block_on(wss_round_trip::<Tls<AsyncStd>>());

    // Nothing was installed behind the application's back either.
    assert!(CryptoProvider::get_default().is_none());
}
