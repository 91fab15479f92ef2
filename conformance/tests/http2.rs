//! Our client over HTTP/2 (RFC 8441) on every adapter, against our server
//! (hyper with `ws_tokio::hyper::server_builder` and `upgrade`, in
//! `conformance::http2`).

mod tokio {
    conformance::http2_cases!(conformance::Tokio);
}

mod smol {
    conformance::http2_cases!(conformance::Smol);
}

mod async_std {
    conformance::http2_cases!(conformance::AsyncStd);
}
