//! The chat example in a real browser: headless Chromium driven over
//! WebDriver (see `chromium/mod.rs`), the server the tokio chat example's
//! own code on a free loopback port, over plain HTTP/1.1.
//!
//! Two pages join one room and chat (`chromium::chat_in_two_browsers`);
//! the server saw each upgrade as an HTTP/1.1 `GET` from an `http://`
//! origin. Screenshots of both pages are left in
//! `target/tmp/chat-browser/`.

mod chat_server;
mod chromium;

use chat_server::Server;
use chromium::Upgrades;

#[test]
fn two_browsers_chat_through_the_server() {
    chromium::run("chat-browser", &[], async |browsers| {
        let server = Server::start().await;
        let page = format!("http://{}/", server.addr);
        let upgrades = Upgrades {
            request_line: "GET /ws?name=alice&room=lobby HTTP/1.1".to_owned(),
            origin: "header: Origin: http://127.0.0.1:".to_owned(),
            version: "HTTP/1.1",
            page_protocol: "http/1.1",
        };
        chromium::chat_in_two_browsers(browsers, &server, &page, &upgrades).await;
    });
}
