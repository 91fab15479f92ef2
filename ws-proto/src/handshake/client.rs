//! The client side of the opening handshake (RFC 6455 sections 4.1 and 3).

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bytes::Bytes;

use super::{
    accept_key, is_token, list_elements, ClientRequest, ExtensionOffer, HandshakeError, Reading,
    Response,
};
use crate::entropy::Entropy;
use crate::extension::{self, Extension};
use crate::frame::Rsv;
use crate::{Config, Connection};

/// The client side of the opening handshake.
///
/// [`new`](Self::new) gives the request bytes to write; feed what the
/// transport reads to [`receive`](Self::receive) until it returns the
/// validated [`Response`], then take the [`Connection`] with
/// [`into_connection`](Self::into_connection).
pub struct ClientHandshake {
    config: Config,
    entropy: Box<dyn Entropy>,
    /// The `Sec-WebSocket-Accept` value the key calls for; `None` in the
    /// HTTP/2 form, which has no key (RFC 8441 section 5).
    expected_accept: Option<String>,
    /// The request as sent, with the configured offers.
    request: ClientRequest,
    extension_names: Vec<String>,
    reading: Reading<()>,
    /// The names of the configured extensions that were offered.
    negotiated: Vec<String>,
    /// The extension the connection runs, as the server accepted it.
    extension: Option<Box<dyn Extension>>,
}

impl fmt::Debug for ClientHandshake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientHandshake")
            .field("state", &self.reading.name())
            .field("subprotocols", &self.request.subprotocols)
            .field("extensions", &self.extension_names)
            .finish()
    }
}

impl ClientHandshake {
    /// Starts the handshake for `request`: draws the 16-byte nonce of
    /// `Sec-WebSocket-Key` from `entropy` (section 4.1: "a randomly
    /// selected 16-byte value that has been base64-encoded"), and returns
    /// the handshake with the request bytes to write. `entropy` then goes
    /// on to the connection for its masking keys.
    ///
    /// `config` is not checked here: check it first with
    /// [`Config::validate`], as the adapters do before they connect. (One
    /// that fails it does no harm beyond what it says: deflate settings out
    /// of range, say, make the handshake fail once the server accepts
    /// compression.)
    pub fn new(
        request: ClientRequest,
        config: Config,
        mut entropy: Box<dyn Entropy>,
    ) -> (ClientHandshake, Bytes) {
        let mut nonce = [0u8; 16];
        entropy.fill(&mut nonce);
        let key = STANDARD.encode(nonce);
        let expected_accept = accept_key(key.as_bytes());
        let handshake = ClientHandshake::start(request, config, entropy, Some(expected_accept));
        let bytes = handshake.request.encode(&key);
        (handshake, bytes)
    }

    /// Starts the HTTP/2 form of the handshake for `request` (RFC 8441
    /// section 5): the extended CONNECT request to send on a new stream of
    /// an HTTP/2 connection whose server enabled
    /// `SETTINGS_ENABLE_CONNECT_PROTOCOL`. Its method is CONNECT, its URI
    /// carries `:scheme` (`https` for `wss://`, `http` for `ws://`),
    /// `:authority` and `:path`, and it has no `Sec-WebSocket-Key`.
    ///
    /// The `http` crate has no field for the `:protocol` pseudo-header:
    /// h2 and hyper take it from the request's extensions, so insert
    /// `h2::ext::Protocol::from_static(ws_proto::handshake::PROTOCOL)`
    /// (`hyper::ext::Protocol` in hyper) before sending. Hand the response
    /// head to [`receive_http`](Self::receive_http).
    ///
    /// ```
    /// use ws_proto::entropy::Seeded;
    /// use ws_proto::handshake::{ClientHandshake, ClientRequest};
    /// use ws_proto::Config;
    ///
    /// let request = ClientRequest::from_url("wss://example.com/chat")?;
    /// let (mut client, connect) =
    ///     ClientHandshake::extended_connect(request, Config::default(), Box::new(Seeded::new(1)))?;
    /// assert_eq!(connect.method(), http::Method::CONNECT);
    /// assert_eq!(connect.uri(), "https://example.com/chat");
    /// assert_eq!(connect.headers()["sec-websocket-version"], "13");
    ///
    /// let (response, ()) = http::Response::new(()).into_parts();
    /// client.receive_http(&response)?;
    /// let _connection = client.into_connection()?;
    /// # Ok::<(), ws_proto::handshake::HandshakeError>(())
    /// ```
    pub fn extended_connect(
        request: ClientRequest,
        config: Config,
        entropy: Box<dyn Entropy>,
    ) -> Result<(ClientHandshake, http::Request<()>), HandshakeError> {
        config.validate()?;
        let handshake = ClientHandshake::start(request, config, entropy, None);
        let connect = super::http2::connect_request(&handshake.request)?;
        Ok((handshake, connect))
    }

    /// The handshake for `request` with the configured extensions added to
    /// its offers, in either form.
    fn start(
        request: ClientRequest,
        config: Config,
        entropy: Box<dyn Entropy>,
        expected_accept: Option<String>,
    ) -> ClientHandshake {
        // Each configured extension is offered unless the caller made an
        // offer of its own for it, which is then the caller's to handle.
        let mut request = request;
        let by_hand: Vec<String> = request
            .extensions
            .iter()
            .filter_map(|offer| ExtensionOffer::parse_list(offer).ok())
            .flatten()
            .map(|offer| offer.name)
            .collect();
        let mut negotiated = Vec::new();
        for negotiator in config.extensions() {
            let name = negotiator.name();
            if !by_hand.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                request.extensions.push(negotiator.offer());
                negotiated.push(name.to_owned());
            }
        }
        let extension_names = request
            .extensions
            .iter()
            .filter_map(|offer| ExtensionOffer::parse_list(offer).ok())
            .flatten()
            .map(|offer| offer.name)
            .collect();
        ClientHandshake {
            config,
            entropy,
            expected_accept,
            request,
            extension_names,
            reading: Reading::new(),
            negotiated,
            extension: None,
        }
    }

    /// Feeds bytes read from the transport.
    ///
    /// Returns `Ok(None)` while the response head is incomplete and the
    /// validated [`Response`] once it is there; frames that follow it are
    /// kept for the connection. The head is read in linear time within
    /// the config's [`handshake_limits`](Config::handshake_limits).
    ///
    /// Any status but 101 fails with [`HandshakeError::Rejected`], which
    /// carries the response. An error is final and is returned again by
    /// later calls.
    pub fn receive(&mut self, data: &[u8]) -> Result<Option<Response>, HandshakeError> {
        let limits = self.config.handshake_limits();
        let Some(head) = self.reading.push(data, limits)? else {
            return Ok(None);
        };
        let response = Response::parse(head, self.reading.reader.header_count(), limits);
        self.finish(response).map(Some)
    }

    /// Validates a response head an HTTP client already parsed: the 101 of
    /// an HTTP/1.1 upgrade made with [`new`](Self::new) (say, by hyper's
    /// client), or the answer to the extended CONNECT of
    /// [`extended_connect`](Self::extended_connect), where any 2xx opens
    /// the WebSocket (RFC 8441 section 5; RFC 9110 section 9.3.6). Then
    /// take the connection with [`into_connection`](Self::into_connection).
    ///
    /// Fails as [`receive`](Self::receive) does; a response with another
    /// status fails with [`HandshakeError::Rejected`] and an empty body.
    pub fn receive_http(
        &mut self,
        response: &http::response::Parts,
    ) -> Result<Response, HandshakeError> {
        self.reading.expect_reading()?;
        self.finish(Ok(Response::from_http(response)))
    }

    /// Validates a parsed response and moves to the state it leads to.
    fn finish(
        &mut self,
        response: Result<Response, HandshakeError>,
    ) -> Result<Response, HandshakeError> {
        let result = response.and_then(|response| {
            let response = self.validate(response)?;
            self.extension = self.finalize_extensions(&response)?;
            Ok((response, ()))
        });
        self.reading.settle(result)
    }

    /// The configured extensions the server accepted, each checked by its
    /// [`Negotiator`](crate::extension::Negotiator) against our offer
    /// (RFC 7692 section 7.1, for example: a response that breaks the offer
    /// fails the connection), in the order of the response (section 9.1).
    /// Extensions offered by hand are the caller's to run.
    fn finalize_extensions(
        &self,
        response: &Response,
    ) -> Result<Option<Box<dyn Extension>>, HandshakeError> {
        let invalid = |reason| HandshakeError::InvalidHeader {
            name: "Sec-WebSocket-Extensions",
            reason,
        };
        let mut running: Vec<Box<dyn Extension>> = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        let mut owned = Rsv::NONE;
        for answer in &response.extensions {
            let Some(negotiator) = self.config.extensions().find(|n| {
                n.name().eq_ignore_ascii_case(&answer.name)
                    && self
                        .negotiated
                        .iter()
                        .any(|o| o.eq_ignore_ascii_case(n.name()))
            }) else {
                continue;
            };
            if seen.iter().any(|n| n.eq_ignore_ascii_case(&answer.name)) {
                return Err(invalid("an extension is accepted twice"));
            }
            seen.push(&answer.name);
            let extension = negotiator.finalize(answer).map_err(invalid)?;
            // Section 5.2: a reserved bit has one meaning on a connection.
            if !owned.intersection(extension.reserved_bits()).is_empty() {
                return Err(invalid("two accepted extensions use the same reserved bit"));
            }
            owned = owned.union(extension.reserved_bits());
            running.push(extension);
        }
        Ok(extension::stack(running))
    }

    /// Checks a response per section 4.1 and fills in what was agreed.
    fn validate(&self, mut response: Response) -> Result<Response, HandshakeError> {
        // Item 1: "If the status code received from the server is not 101,
        // the client handles the response per HTTP [RFC2616] procedures."
        // In the HTTP/2 form, a 2xx opens the stream as a tunnel (RFC 8441
        // section 5, RFC 9110 section 9.3.6).
        let opened = match &self.expected_accept {
            Some(_) => response.status == 101,
            None => (200..300).contains(&response.status),
        };
        if !opened {
            return Err(HandshakeError::Rejected {
                status: response.status,
                body: Bytes::copy_from_slice(self.reading.reader.rest()),
                response: Box::new(response),
            });
        }
        if let Some(expected_accept) = &self.expected_accept {
            validate_upgrade(&response, expected_accept)?;
        }
        let head = &response.head;
        // Item 5: "If the response includes a |Sec-WebSocket-Extensions|
        // header field and this header field indicates the use of an
        // extension that was not present in the client's handshake [...]
        // the client MUST _Fail the WebSocket Connection_." Extension names
        // are tokens (section 9.1), which compare ignoring ASCII case, as
        // the server matches them.
        let extensions = head.extensions()?;
        let offered = |name: &str| {
            self.extension_names
                .iter()
                .any(|offered| offered.eq_ignore_ascii_case(name))
        };
        if let Some(unoffered) = extensions.iter().find(|e| !offered(&e.name)) {
            return Err(HandshakeError::UnofferedExtension(unoffered.name.clone()));
        }
        // Item 6, the same for |Sec-WebSocket-Protocol|, which section
        // 11.3.4 says "MUST NOT appear more than once in an HTTP response".
        let subprotocol = match head.single("Sec-WebSocket-Protocol")? {
            None => None,
            Some(value) => match std::str::from_utf8(value) {
                Ok(chosen) if self.request.subprotocols.iter().any(|p| p == chosen) => {
                    Some(chosen.to_owned())
                }
                Ok(chosen) if is_token(chosen) => {
                    return Err(HandshakeError::UnofferedSubprotocol(chosen.to_owned()))
                }
                _ => {
                    return Err(HandshakeError::InvalidHeader {
                        name: "Sec-WebSocket-Protocol",
                        reason: "not a single subprotocol",
                    })
                }
            },
        };
        response.subprotocol = subprotocol;
        response.extensions = extensions;
        Ok(response)
    }

    /// The client [`Connection`], once [`receive`](Self::receive) has
    /// returned a response. It has already received the bytes that followed
    /// the response head, and takes over the entropy source for its masking
    /// keys.
    pub fn into_connection(self) -> Result<Connection, HandshakeError> {
        if self.reading.kept().is_none() {
            return Err(HandshakeError::WrongState(
                "into_connection needs a response that receive returned",
            ));
        }
        let mut connection = Connection::client(self.config, self.entropy);
        if let Some(extension) = self.extension {
            connection.set_extension(extension);
        }
        let rest = self.reading.reader.rest();
        if !rest.is_empty() {
            connection.receive(rest);
        }
        Ok(connection)
    }
}

/// The checks of an HTTP/1.1 101 (section 4.1, items 2 to 4), which the
/// HTTP/2 form replaces with its 2xx.
fn validate_upgrade(response: &Response, expected_accept: &str) -> Result<(), HandshakeError> {
    if response.version != http::Version::HTTP_11 {
        return Err(HandshakeError::HttpVersionNotSupported);
    }
    let head = &response.head;
    // Item 2: "If the response lacks an |Upgrade| header field or the
    // |Upgrade| header field contains a value that is not an ASCII
    // case-insensitive match for the value "websocket", the client MUST
    // _Fail the WebSocket Connection_."
    let websocket = |p: &[u8]| p.eq_ignore_ascii_case(b"websocket");
    let upgrade_ok = {
        let mut upgrade = head.all("Upgrade").flat_map(list_elements);
        upgrade.next().is_some_and(websocket) && upgrade.all(websocket)
    };
    if !upgrade_ok {
        return Err(HandshakeError::InvalidUpgrade { header: "Upgrade" });
    }
    // Item 3: "If the response lacks a |Connection| header field or the
    // |Connection| header field doesn't contain a token that is an ASCII
    // case-insensitive match for the value "Upgrade", the client MUST
    // _Fail the WebSocket Connection_."
    if !head.has_token("Connection", "Upgrade") {
        return Err(HandshakeError::InvalidUpgrade {
            header: "Connection",
        });
    }
    // Item 4: the accept value, "ignoring any leading and trailing
    // whitespace" (the head stores values trimmed). Section 11.3.3: it
    // "MUST NOT appear more than once in an HTTP response".
    match head.single("Sec-WebSocket-Accept")? {
        None => return Err(HandshakeError::MissingHeader("Sec-WebSocket-Accept")),
        Some(value) if value == expected_accept.as_bytes() => {}
        Some(_) => return Err(HandshakeError::AcceptKeyMismatch),
    }
    Ok(())
}
