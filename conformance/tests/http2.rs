//! Our client over HTTP/2 (RFC 8441) on every adapter, against our server
//! (hyper with `ws_tokio::hyper::server_builder` and `upgrade`, in
//! `conformance::http2`): the cases of `cases/http2.rs` on each runtime.

// The one file of cases, built in once per runtime, each time with its
// module's harness: the duplication is the point.
#![allow(clippy::duplicate_mod)]

#[path = "cases"]
mod tokio {
    /// The harness of this module's cases.
    type Harness = conformance::Tokio;

    #[path = "http2.rs"]
    mod http2;
}

#[path = "cases"]
mod smol {
    /// The harness of this module's cases.
    type Harness = conformance::Smol;

    #[path = "http2.rs"]
    mod http2;
}

#[path = "cases"]
mod async_std {
    /// The harness of this module's cases.
    type Harness = conformance::AsyncStd;

    #[path = "http2.rs"]
    mod http2;
}
