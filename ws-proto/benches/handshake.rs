//! The server side of the opening handshake on the wire path: a
//! browser-like request (with a permessage-deflate offer and a cookie) is
//! read in one piece, validated and accepted, which builds the 101 and the
//! server connection.
//!
//! `cargo bench -p ws-proto --bench handshake` prints the time per
//! handshake.

use criterion::{black_box, criterion_main, Criterion};
use ws_proto::handshake::{Accept, ServerHandshake};
use ws_proto::Config;

/// What a browser sends, give or take the user agent.
const REQUEST: &[u8] = b"GET /chat?room=1 HTTP/1.1\r\n\
Host: example.com\r\n\
Connection: Upgrade\r\n\
Pragma: no-cache\r\n\
Cache-Control: no-cache\r\n\
User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36\r\n\
Upgrade: websocket\r\n\
Origin: http://example.com\r\n\
Sec-WebSocket-Version: 13\r\n\
Accept-Encoding: gzip, deflate, br, zstd\r\n\
Accept-Language: en-US,en;q=0.9\r\n\
Cookie: session=0123456789abcdef; theme=dark\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\
\r\n";

fn server_handshake(c: &mut Criterion) {
    let config = Config::default();
    c.bench_function("server handshake (wire)", |b| {
        b.iter(|| {
            let mut server = ServerHandshake::new(config.clone());
            let request = server
                .receive(black_box(REQUEST))
                .expect("a valid request")
                .expect("a complete request");
            let (response, connection) = server
                .accept(&request, Accept::new())
                .expect("an acceptable request");
            black_box((response, connection))
        })
    });
}

/// The group `criterion_main!` runs.
mod group {
    // The function the macro writes is `pub` and carries no docs.
    #![allow(unreachable_pub)]
    criterion::criterion_group!(benches, super::server_handshake);
}

criterion_main!(group::benches);
