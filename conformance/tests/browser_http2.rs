//! The axum chat example (`axum-chat`) in a real browser over HTTP/2:
//! headless Chromium driven over WebDriver (see `chromium/mod.rs`), the
//! server the example's own code on a free loopback port, over HTTPS with
//! a certificate made by the test and `h2` offered in ALPN.
//!
//! Chromium opens a WebSocket over HTTP/2 (RFC 8441) only on an HTTP/2
//! connection it already has to the origin, and only if the server's
//! SETTINGS carried `SETTINGS_ENABLE_CONNECT_PROTOCOL` (section 3): the
//! page load makes that connection, and `ws_tokio::hyper::server_builder()`
//! sends the setting. The test proves the sockets went that way: the
//! page's Navigation Timing names `h2`, and the server logged every upgrade
//! as an extended CONNECT (`CONNECT https://…`, section 4) and every join
//! as over `HTTP/2`. Then two pages chat as over HTTP/1.1
//! (`chromium::chat_in_two_browsers`). Screenshots of both pages are left
//! in `target/tmp/chat-browser-http2/`.
//!
//! The certificate is not one Chromium trusts: the browser runs with
//! `--ignore-certificate-errors`, which keeps HTTP/2 and its WebSockets.
#![cfg(feature = "tls")]

mod chat_server;
mod chromium;

use chat_server::Server;
use chromium::Upgrades;

#[test]
fn two_browsers_chat_over_http2() {
    let chromium_args = ["--ignore-certificate-errors"];
    chromium::run("chat-browser-http2", &chromium_args, async |browsers| {
        let pki = conformance::tls::TestPki::get();
        let server = Server::start_axum(Some(chat_server::axum_tls(&pki.server))).await;
        let page = format!("https://{}/", server.addr);
        let upgrades = Upgrades {
            // RFC 8441 section 4: a CONNECT with `:scheme`, `:authority`
            // and `:path`, which the server sees as an absolute target.
            request_line: format!(
                "CONNECT https://{}/ws?name=alice&room=lobby HTTP/2",
                server.addr
            ),
            origin: format!("header: origin: https://{}", server.addr),
            version: "HTTP/2",
            page_protocol: "h2",
        };
        chromium::chat_in_two_browsers(browsers, &server, &page, &upgrades).await;
        // The page itself came over HTTP/2: its target is absolute too.
        assert!(
            server.logged(&format!("GET https://{}/ -> 200 OK", server.addr)),
            "the page was not served over HTTP/2"
        );
    });
}
