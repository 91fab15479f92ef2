//! The `Sec-WebSocket-Extensions` grammar (RFC 6455 section 9.1) and the
//! negotiation of permessage-deflate (RFC 7692 section 7.1), with both
//! ends' settings and a header value all arbitrary.
//!
//! Checks:
//! - `ExtensionOffer::parse_list` never panics, and what it parses prints
//!   as a value that parses back to the same offers;
//! - a server reading the value in a request agrees with `parse_list`: it
//!   refuses the request exactly when the value does not parse, and
//!   otherwise sees the same offers; the 101 it answers with is
//!   well-formed and accepts permessage-deflate at most once;
//! - through the real handshakes, a client that offers the value (when it
//!   is valid and does not name permessage-deflate itself) and then its
//!   configured permessage-deflate gets an answer it accepts, and both
//!   ends then exchange a compressed message each way.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use ws_proto::deflate::EXTENSION_NAME;
use ws_proto::handshake::{Accept, ClientRequest, ExtensionOffer, ServerHandshake};
use ws_proto::{Config, Connection, Message};
use ws_proto_fuzz::{field, handshake_for, split_head, DeflateParams};

/// A valid request head up to its extensions field.
const REQUEST: &str = "GET / HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
                       Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                       Sec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: ";

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok((client, server)) = <(DeflateParams, DeflateParams)>::arbitrary(&mut u) else {
        return;
    };
    let raw = u.bytes(u.len()).unwrap_or_default();
    let value = String::from_utf8_lossy(raw);
    let client = Config::default().with_deflate(client.config());
    let server = Config::default().with_deflate(server.config());

    let parsed = ExtensionOffer::parse_list(&value);
    if let Ok(offers) = &parsed {
        let printed = offers.iter().map(ToString::to_string).collect::<Vec<_>>();
        let reparsed = ExtensionOffer::parse_list(&printed.join(", "));
        assert_eq!(reparsed.as_ref(), Ok(offers), "{printed:?}");
    }

    // The value as a header field: only where it cannot end the field or
    // be trimmed differently by the HTTP parser.
    let one_field = raw.iter().all(|b| (0x21..0x7f).contains(b) || *b == b' ')
        && raw.first() != Some(&b' ')
        && raw.last() != Some(&b' ');
    if one_field && !raw.is_empty() {
        server_reads(&server, &value, parsed.as_ref().ok());
    }

    let names_deflate = |offers: &[ExtensionOffer]| {
        offers
            .iter()
            .any(|o| o.name.eq_ignore_ascii_case(EXTENSION_NAME))
    };
    let mut request = ClientRequest::new("example.com", "/").expect("a valid request");
    if let Ok(offers) = &parsed {
        if !offers.is_empty() && !names_deflate(offers) {
            request = request
                .extension(value.clone())
                .unwrap_or_else(|e| panic!("{value:?} parses but is refused as an offer: {e:?}"));
        }
    }
    let (client, server) = negotiate(request, client, server);
    exchange(client, server);
});

/// A server reading `value` in a request; `offers` is what `parse_list`
/// made of it.
fn server_reads(config: &Config, value: &str, offers: Option<&Vec<ExtensionOffer>>) {
    let mut handshake = ServerHandshake::new(config.clone());
    let wire = format!("{REQUEST}{value}\r\n\r\n");
    let request = match (handshake.receive(wire.as_bytes()), offers) {
        (Ok(Some(request)), Some(offers)) => {
            assert_eq!(request.extensions(), &offers[..]);
            request
        }
        (Err(_), None) => return,
        (result, _) => panic!("{result:?} for {value:?}, which parses as {offers:?}"),
    };
    let (response, _) = handshake
        .accept(&request, Accept::new())
        .expect("a received request is accepted");
    let (_, fields) = split_head(&response, false);
    if let Some(answer) = field(&fields, "Sec-WebSocket-Extensions") {
        let answer = ExtensionOffer::parse_list(answer).expect("the answer parses");
        assert_eq!(answer.len(), 1, "{answer:?}");
        assert_eq!(answer[0].name, EXTENSION_NAME);
    }
}

/// Both handshakes for `request`; each side must take the other's, and
/// permessage-deflate alone is agreed.
fn negotiate(request: ClientRequest, client: Config, server: Config) -> (Connection, Connection) {
    let (client, server, agreed) = handshake_for(request, client, server);
    let agreed =
        ExtensionOffer::parse_list(agreed.as_deref().unwrap_or("")).expect("the answer parses");
    assert!(
        agreed.len() == 1 && agreed[0].name == EXTENSION_NAME,
        "permessage-deflate agreed alone: {agreed:?}"
    );
    (client, server)
}

/// A compressible message each way must arrive as sent.
fn exchange(mut client: Connection, mut server: Connection) {
    one_way(&mut client, &mut server);
    one_way(&mut server, &mut client);
}

fn one_way(from: &mut Connection, to: &mut Connection) {
    let text = "permessage-deflate ".repeat(8);
    from.send_text(text.as_str())
        .expect("a message can be sent");
    to.receive(&from.take_transmit());
    assert_eq!(
        to.next_message(),
        Ok(Some(Message::text(text))),
        "the message arrives as sent"
    );
}
