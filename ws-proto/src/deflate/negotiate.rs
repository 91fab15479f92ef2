//! Negotiation of permessage-deflate (RFC 7692 section 7.1).

use std::fmt::Write;

use super::{DeflateConfig, EXTENSION_NAME};
use crate::handshake::ExtensionOffer;

/// What both ends agreed, seen from this end: how our compressor works and
/// how the peer's does (which our decompressor must follow).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Agreed {
    pub(crate) send_window_bits: u8,
    pub(crate) send_no_context_takeover: bool,
    pub(crate) recv_window_bits: u8,
    pub(crate) recv_no_context_takeover: bool,
}

/// The parameters of one offer or response.
#[derive(Debug, Default)]
struct Params {
    server_no_context_takeover: bool,
    client_no_context_takeover: bool,
    server_max_window_bits: Option<u8>,
    /// `Some(None)`: present without a value (allowed in an offer only).
    client_max_window_bits: Option<Option<u8>>,
}

/// Section 7.1.2: window bits are "a decimal integer value without leading
/// zeroes between 8 to 15, inclusive".
fn parse_bits(value: &str) -> Result<u8, &'static str> {
    match value.parse::<u8>() {
        Ok(bits) if (8..=15).contains(&bits) && !value.starts_with('0') => Ok(bits),
        _ => Err("window bits must be a number from 8 to 15"),
    }
}

/// Section 7.1: a parameter not defined for the extension, an invalid
/// value, or "multiple extension parameters with the same name" make an
/// offer (or response) invalid.
fn parse_params(offer: &ExtensionOffer) -> Result<Params, &'static str> {
    let mut p = Params::default();
    for (name, value) in &offer.params {
        let name = name.to_ascii_lowercase();
        let value = value.as_deref();
        let duplicate = match name.as_str() {
            "server_no_context_takeover" | "client_no_context_takeover" => {
                if value.is_some() {
                    return Err("no_context_takeover takes no value");
                }
                let flag = if name.starts_with("server") {
                    &mut p.server_no_context_takeover
                } else {
                    &mut p.client_no_context_takeover
                };
                std::mem::replace(flag, true)
            }
            "server_max_window_bits" => {
                let bits = parse_bits(value.ok_or("server_max_window_bits needs a value")?)?;
                p.server_max_window_bits.replace(bits).is_some()
            }
            "client_max_window_bits" => {
                let bits = value.map(parse_bits).transpose()?;
                p.client_max_window_bits.replace(bits).is_some()
            }
            _ => return Err("unknown permessage-deflate parameter"),
        };
        if duplicate {
            return Err("duplicate permessage-deflate parameter");
        }
    }
    Ok(p)
}

/// The offer a client sends for `config` (section 7.1): it always accepts
/// a `client_max_window_bits` from the server, and asks for the limits it
/// wants.
pub(crate) fn client_offer(config: &DeflateConfig) -> String {
    let mut offer = format!("{EXTENSION_NAME}; client_max_window_bits");
    if config.client_max_window_bits() < 15 {
        let _ = write!(offer, "={}", config.client_max_window_bits());
    }
    if config.server_max_window_bits() < 15 {
        let _ = write!(
            offer,
            "; server_max_window_bits={}",
            config.server_max_window_bits()
        );
    }
    if config.server_no_context_takeover() {
        offer.push_str("; server_no_context_takeover");
    }
    if config.client_no_context_takeover() {
        offer.push_str("; client_no_context_takeover");
    }
    offer
}

/// Chooses the first acceptable permessage-deflate offer, as a server
/// configured with `config`, and returns what was agreed with the
/// `Sec-WebSocket-Extensions` value that says so. Invalid offers are
/// declined (section 7.1: "A server MUST decline an extension negotiation
/// offer for this extension if ..."), and the next one is tried.
pub(crate) fn accept_offer(
    config: &DeflateConfig,
    offers: &[ExtensionOffer],
) -> Option<(Agreed, String)> {
    let offer = offers
        .iter()
        .filter(|o| o.name.eq_ignore_ascii_case(EXTENSION_NAME))
        .find_map(|o| parse_params(o).ok())?;
    // Section 7.1.2.1: the server may lower its own window whether or not
    // the client asked, but never raise it above what the client asked.
    let send_window_bits = offer
        .server_max_window_bits
        .map_or(config.server_max_window_bits(), |asked| {
            asked.min(config.server_max_window_bits())
        });
    // Section 7.1.2.2: the client's window may only be limited if the
    // client offered `client_max_window_bits`, and not above its value.
    let recv_window_bits = match offer.client_max_window_bits {
        None => 15,
        Some(None) => config.client_max_window_bits(),
        Some(Some(offered)) => offered.min(config.client_max_window_bits()),
    };
    let agreed = Agreed {
        send_window_bits,
        send_no_context_takeover: offer.server_no_context_takeover
            || config.server_no_context_takeover(),
        recv_window_bits,
        recv_no_context_takeover: offer.client_no_context_takeover
            || config.client_no_context_takeover(),
    };
    let mut response = EXTENSION_NAME.to_owned();
    if agreed.send_no_context_takeover {
        response.push_str("; server_no_context_takeover");
    }
    if agreed.recv_no_context_takeover {
        response.push_str("; client_no_context_takeover");
    }
    if send_window_bits < 15 || offer.server_max_window_bits.is_some() {
        let _ = write!(response, "; server_max_window_bits={send_window_bits}");
    }
    if offer.client_max_window_bits.is_some() && recv_window_bits < 15 {
        let _ = write!(response, "; client_max_window_bits={recv_window_bits}");
    }
    Some((agreed, response))
}

/// Checks the server's response to our offer, as a client configured with
/// `config` (section 7.1: a response that breaks the offer makes the client
/// "_Fail the WebSocket Connection_"), and returns what was agreed.
pub(crate) fn read_response(
    config: &DeflateConfig,
    response: &ExtensionOffer,
) -> Result<Agreed, &'static str> {
    let p = parse_params(response)?;
    // Section 7.1.2.1: asked for a server window limit, the server must
    // answer with one no larger.
    let server_bits = match p.server_max_window_bits {
        Some(bits) if bits > config.server_max_window_bits() => {
            return Err("server_max_window_bits larger than offered")
        }
        Some(bits) => bits,
        None if config.server_max_window_bits() < 15 => {
            return Err("server_max_window_bits offered but not answered")
        }
        None => 15,
    };
    // Section 7.1.1.1: asked for, server_no_context_takeover must be
    // answered.
    if config.server_no_context_takeover() && !p.server_no_context_takeover {
        return Err("server_no_context_takeover offered but not answered");
    }
    // Section 7.1.2.2: in a response client_max_window_bits has a value,
    // no larger than the one offered.
    let client_bits = match p.client_max_window_bits {
        Some(None) => return Err("client_max_window_bits without a value"),
        Some(Some(bits)) if bits > config.client_max_window_bits() => {
            return Err("client_max_window_bits larger than offered")
        }
        Some(Some(bits)) => bits,
        None => config.client_max_window_bits(),
    };
    Ok(Agreed {
        send_window_bits: client_bits,
        send_no_context_takeover: p.client_no_context_takeover
            || config.client_no_context_takeover(),
        recv_window_bits: server_bits,
        recv_no_context_takeover: p.server_no_context_takeover,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offers(value: &str) -> Vec<ExtensionOffer> {
        ExtensionOffer::parse_list(value).unwrap()
    }

    fn accept(config: &DeflateConfig, value: &str) -> Option<(Agreed, String)> {
        accept_offer(config, &offers(value))
    }

    #[test]
    fn a_plain_offer_is_accepted_with_defaults() {
        let (agreed, response) = accept(&DeflateConfig::default(), "permessage-deflate").unwrap();
        assert_eq!(response, "permessage-deflate");
        assert_eq!((agreed.send_window_bits, agreed.recv_window_bits), (15, 15));
        assert!(!agreed.send_no_context_takeover && !agreed.recv_no_context_takeover);
    }

    #[test]
    fn all_four_parameters_are_honoured() {
        let (agreed, response) = accept(
            &DeflateConfig::default(),
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=10; client_max_window_bits=9",
        )
        .unwrap();
        assert_eq!(
            agreed,
            Agreed {
                send_window_bits: 10,
                send_no_context_takeover: true,
                recv_window_bits: 9,
                recv_no_context_takeover: true,
            }
        );
        assert_eq!(
            response,
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
             server_max_window_bits=10; client_max_window_bits=9"
        );
    }

    #[test]
    fn the_server_lowers_windows_within_what_the_offer_allows() {
        let config = DeflateConfig::default()
            .with_server_max_window_bits(11)
            .with_client_max_window_bits(12);
        // A bare client_max_window_bits lets the server choose.
        let (agreed, response) =
            accept(&config, "permessage-deflate; client_max_window_bits").unwrap();
        assert_eq!((agreed.send_window_bits, agreed.recv_window_bits), (11, 12));
        assert_eq!(
            response,
            "permessage-deflate; server_max_window_bits=11; client_max_window_bits=12"
        );
        // Without it the client's window cannot be limited.
        let (agreed, response) = accept(&config, "permessage-deflate").unwrap();
        assert_eq!(agreed.recv_window_bits, 15);
        assert!(!response.contains("client_max_window_bits"));
    }

    #[test]
    fn invalid_offers_are_declined_and_the_next_one_taken() {
        for bad in [
            "permessage-deflate; server_max_window_bits",
            "permessage-deflate; server_max_window_bits=7",
            "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; server_max_window_bits=010",
            "permessage-deflate; client_max_window_bits=abc",
            "permessage-deflate; server_no_context_takeover=1",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate; client_max_window_bits=9; client_max_window_bits=10",
            "permessage-deflate; mystery",
        ] {
            assert_eq!(accept(&DeflateConfig::default(), bad), None, "{bad}");
            let with_fallback = format!("{bad}, permessage-deflate; client_max_window_bits=10");
            let (agreed, _) = accept(&DeflateConfig::default(), &with_fallback).unwrap();
            assert_eq!(agreed.recv_window_bits, 10, "{with_fallback}");
        }
        assert_eq!(
            accept(&DeflateConfig::default(), "x-webkit-deflate-frame"),
            None
        );
    }

    #[test]
    fn client_offer_and_response_checks() {
        let config = DeflateConfig::default()
            .with_server_max_window_bits(10)
            .with_server_no_context_takeover(true);
        let offer = client_offer(&config);
        assert_eq!(
            offer,
            "permessage-deflate; client_max_window_bits; server_max_window_bits=10; \
             server_no_context_takeover"
        );
        // The server that accepts it as offered.
        let (server_view, response) = accept(&DeflateConfig::default(), &offer).unwrap();
        let client_view = read_response(&config, &offers(&response)[0]).unwrap();
        assert_eq!(client_view.send_window_bits, server_view.recv_window_bits);
        assert_eq!(client_view.recv_window_bits, server_view.send_window_bits);
        assert!(client_view.recv_no_context_takeover);
        // Answers that break the offer.
        for bad in [
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=11",
            "permessage-deflate; server_no_context_takeover",
            "permessage-deflate; server_max_window_bits=10",
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; \
             client_max_window_bits",
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; x=1",
        ] {
            assert!(read_response(&config, &offers(bad)[0]).is_err(), "{bad}");
        }
        // A client that asked nothing takes the server's choices.
        let plain = DeflateConfig::default();
        let agreed = read_response(
            &plain,
            &offers("permessage-deflate; client_max_window_bits=9; client_no_context_takeover")[0],
        )
        .unwrap();
        assert_eq!((agreed.send_window_bits, agreed.recv_window_bits), (9, 15));
        assert!(agreed.send_no_context_takeover);
    }
}
