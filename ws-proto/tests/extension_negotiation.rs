//! An extension written outside the crate, negotiated through the
//! handshake's seam (`Negotiator`) with no change to the handshake: it owns
//! RSV2 on both connections once agreed, and not before; its negotiator's
//! verdict on the server's answer fails the client's handshake.

#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use ws_proto::entropy::Seeded;
use ws_proto::extension::{Extension, ExtensionError, Negotiator};
use ws_proto::frame::Rsv;
use ws_proto::handshake::{
    Accept, ClientHandshake, ClientRequest, ExtensionOffer, HandshakeError, ServerHandshake,
};
use ws_proto::{Config, Connection, Event, MessageKind, ProtocolError};

/// `x-xor; key=N`: every payload byte XORed with `N`, marked with RSV2.
struct Xor(u8);

impl Extension for Xor {
    fn reserved_bits(&self) -> Rsv {
        Rsv::RSV2
    }

    fn encode(
        &mut self,
        _kind: MessageKind,
        payload: Bytes,
        _first: bool,
        _fin: bool,
    ) -> Result<(Bytes, Rsv), ExtensionError> {
        Ok((payload.iter().map(|b| b ^ self.0).collect(), Rsv::RSV2))
    }

    fn decode(
        &mut self,
        rsv: Rsv,
        payload: Bytes,
        _fin: bool,
        _max_len: usize,
    ) -> Result<Bytes, ExtensionError> {
        assert_eq!(rsv, Rsv::RSV2, "only our bit is handed to us");
        Ok(payload.iter().map(|b| b ^ self.0).collect())
    }
}

/// Negotiates `x-xor`: the client proposes its key, the server takes it.
#[derive(Debug)]
struct XorNegotiator {
    key: u8,
}

fn key_of(offer: &ExtensionOffer) -> Option<u8> {
    offer.param("key")??.parse().ok()
}

impl Negotiator for XorNegotiator {
    fn name(&self) -> &str {
        "x-xor"
    }

    fn offer(&self) -> String {
        format!("x-xor; key={}", self.key)
    }

    fn accept(&self, offers: &[ExtensionOffer]) -> Option<(String, Box<dyn Extension>)> {
        let key = offers
            .iter()
            .filter(|o| o.name == "x-xor")
            .find_map(key_of)?;
        Some((format!("x-xor; key={key}"), Box::new(Xor(key))))
    }

    fn finalize(&self, answer: &ExtensionOffer) -> Result<Box<dyn Extension>, &'static str> {
        match key_of(answer) {
            Some(key) if key == self.key => Ok(Box::new(Xor(key))),
            _ => Err("x-xor answered with another key"),
        }
    }
}

/// The two connections of a handshake between `client` and `server`
/// configurations, and the server's 101.
fn connect(client: Config, server: Config) -> (Connection, Connection, String) {
    let request = ClientRequest::new("example.com", "/").unwrap();
    let (mut client, wire) = ClientHandshake::new(request, client, Box::new(Seeded::new(5)));
    let mut handshake = ServerHandshake::new(server);
    let request = handshake.receive(&wire).unwrap().unwrap();
    let (answer, server) = handshake.accept(&request, Accept::new()).unwrap();
    client.receive(&answer).unwrap().unwrap();
    let client = client.into_connection().unwrap();
    (client, server, String::from_utf8(answer.to_vec()).unwrap())
}

/// A short message: under permessage-deflate's threshold, so that only
/// `x-xor` touches it when both are negotiated.
const HELLO: &[u8] = b"hello";

fn text(payload: &[u8]) -> Event {
    Event::Text {
        payload: Bytes::copy_from_slice(payload),
        fin: true,
    }
}

#[test]
fn a_custom_extension_owns_rsv2_end_to_end() {
    let with_xor = || Config::default().with_extension(XorNegotiator { key: 0x2a });
    let (mut client, mut server, answer) = connect(with_xor(), with_xor());
    assert!(answer.contains("x-xor; key=42"), "{answer}");

    // The server's frame is unmasked: RSV2 set, the payload XORed.
    server.send_text("hello").unwrap();
    let wire = server.take_transmit();
    assert_eq!(wire[0] & 0x70, 0x20, "RSV2 only");
    let xored: Vec<u8> = HELLO.iter().map(|b| b ^ 0x2a).collect();
    assert_eq!(&wire[2..], &xored[..]);
    client.receive(&wire);
    assert_eq!(client.next_event().unwrap(), Some(text(HELLO)));

    // And the other way, masked.
    client.send_text("hello").unwrap();
    let wire = client.take_transmit();
    assert_eq!(wire[0] & 0x70, 0x20, "RSV2 only");
    server.receive(&wire);
    assert_eq!(server.next_event().unwrap(), Some(text(HELLO)));
}

#[test]
fn rsv2_is_refused_when_the_server_does_not_negotiate_it() {
    let client_config = Config::default().with_extension(XorNegotiator { key: 1 });
    let (mut client, _server, answer) = connect(client_config, Config::default());
    assert!(!answer.contains("x-xor"), "{answer}");

    // An unmasked text frame with RSV2: the client owns no such bit.
    client.receive(&[0x81 | 0x20, 0x02, b'h', b'i']);
    let err = client.next_event().unwrap_err();
    assert_eq!(
        err,
        ws_proto::Error::Protocol(ProtocolError::ReservedBits(Rsv::RSV2))
    );
}

#[test]
fn the_negotiator_judges_the_servers_answer() {
    let config = Config::default().with_extension(XorNegotiator { key: 3 });
    let request = ClientRequest::new("example.com", "/").unwrap();
    let (mut client, wire) = ClientHandshake::new(request, config, Box::new(Seeded::new(5)));
    let mut server = ServerHandshake::new(Config::default());
    let request = server.receive(&wire).unwrap().unwrap();
    assert!(request.extensions().iter().any(|o| o.name == "x-xor"));
    let (answer, _) = server
        .accept(&request, Accept::new().extension("x-xor; key=4").unwrap())
        .unwrap();
    let err = client.receive(&answer).unwrap_err();
    assert_eq!(
        err,
        HandshakeError::InvalidHeader {
            name: "Sec-WebSocket-Extensions",
            reason: "x-xor answered with another key",
        }
    );
}

/// With permessage-deflate negotiated too, a long message is compressed
/// (RSV1) and XORed (RSV2), in the order of the server's answer, and
/// decoded in reverse on the other end.
#[cfg(feature = "deflate")]
#[test]
fn a_custom_extension_runs_beside_permessage_deflate() {
    let with_xor = || Config::default().with_extension(XorNegotiator { key: 0x55 });
    let (mut client, mut server, answer) = connect(with_xor(), with_xor());
    assert!(
        answer.contains("Sec-WebSocket-Extensions: permessage-deflate, x-xor; key=85"),
        "{answer}"
    );
    let long = "a long message that permessage-deflate compresses ".repeat(20);
    server.send_text(long.as_str()).unwrap();
    let wire = server.take_transmit();
    assert_eq!(wire[0] & 0x70, 0x60, "RSV1 and RSV2");
    assert!(wire.len() < long.len() / 2, "compressed");
    client.receive(&wire);
    assert_eq!(client.next_event().unwrap(), Some(text(long.as_bytes())));
}
