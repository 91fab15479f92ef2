//! Which web origins may open a WebSocket on a server: the defence against
//! cross-site WebSocket hijacking.
//!
//! A browser lets any page open a WebSocket to any server, and sends the
//! server's cookies with the request: a page on `evil.example` can talk to
//! `bank.example` as its logged-in user unless the server looks at the
//! `Origin` header field the browser adds (RFC 6455 section 10.2: "servers
//! [...] SHOULD verify the |Origin| field is an origin they expect"; section
//! 4.2.1, item 8). So the server checks it by default:
//!
//! - a request without `Origin` is not from a browser page and is accepted;
//! - a request whose `Origin` names the host and port it was sent to (its
//!   `Host`) is same-origin and is accepted;
//! - any other is refused with 403 unless an allowed pattern matches it, or
//!   the policy allows [`any`](OriginPolicy::any) origin.
//!
//! ```
//! use ws_proto::origin::OriginPolicy;
//!
//! let policy = OriginPolicy::same_origin()
//!     .allow("https://app.example.com")?
//!     .allow("*.example.org")?;
//! assert!(policy.allows("http://chat.example.net", "chat.example.net"));
//! assert!(policy.allows("https://app.example.com", "api.example.com"));
//! assert!(policy.allows("https://a.b.example.org", "api.example.com"));
//! assert!(!policy.allows("https://evil.example", "api.example.com"));
//! # Ok::<(), ws_proto::ConfigError>(())
//! ```

use std::fmt;

use crate::error::ConfigError;

/// Which origins a server accepts besides its own; see the
/// [module docs](self).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct OriginPolicy {
    any: bool,
    allowed: Vec<OriginPattern>,
}

impl fmt::Debug for OriginPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.any {
            return f.write_str("OriginPolicy::any()");
        }
        f.debug_struct("OriginPolicy")
            .field("allowed", &self.allowed)
            .finish()
    }
}

impl OriginPolicy {
    /// Requests without `Origin`, and those from the host they are sent to
    /// (the default).
    pub fn same_origin() -> Self {
        OriginPolicy::default()
    }

    /// Every request, whatever its `Origin`: for a server meant to be
    /// reached from pages of any site, which must then not rely on cookies
    /// or other ambient credentials to authenticate the socket.
    pub fn any() -> Self {
        OriginPolicy {
            any: true,
            allowed: Vec::new(),
        }
    }

    /// Also accepts the origins `pattern` matches:
    ///
    /// - `https://app.example.com`: that origin (scheme, host and port; a
    ///   missing port is the scheme's default);
    /// - `app.example.com`: that host with any scheme, on the scheme's
    ///   default port; `app.example.com:8443` on that port;
    ///   `localhost:*` on any port;
    /// - `*.example.com`: any subdomain of `example.com` (not `example.com`
    ///   itself), with or without a scheme and port as above;
    /// - `null`: the opaque origin of sandboxed frames and local files.
    ///
    /// Hosts compare ignoring ASCII case. A pattern that is none of these
    /// is refused.
    pub fn allow(mut self, pattern: &str) -> Result<Self, ConfigError> {
        let pattern = OriginPattern::parse(pattern)
            .ok_or_else(|| ConfigError::new("allowed origin", "not an origin pattern"))?;
        self.allowed.push(pattern);
        Ok(self)
    }

    /// Whether every origin is accepted.
    pub fn is_any(&self) -> bool {
        self.any
    }

    /// The patterns allowed besides the same origin.
    pub fn patterns(&self) -> &[OriginPattern] {
        &self.allowed
    }

    /// Whether a request with `Origin: origin` sent to `Host: host` is
    /// accepted. An `Origin` that is not one serialized origin (RFC 6454
    /// section 6.1: `null` or `scheme://host[:port]`) is only accepted by
    /// [`any`](Self::any).
    pub fn allows(&self, origin: &str, host: &str) -> bool {
        if self.any {
            return true;
        }
        let Some(origin) = Origin::parse(origin) else {
            return false;
        };
        origin.is_same_as(host) || self.allowed.iter().any(|p| p.matches(&origin))
    }
}

/// An origin as a browser serializes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin<'a> {
    /// `null`: an opaque origin.
    Opaque,
    /// `scheme://host[:port]`.
    Tuple {
        scheme: &'a str,
        host: &'a str,
        port: Option<u16>,
    },
}

impl<'a> Origin<'a> {
    fn parse(value: &'a str) -> Option<Origin<'a>> {
        let value = value.trim();
        if value == "null" {
            return Some(Origin::Opaque);
        }
        let (scheme, authority) = value.split_once("://")?;
        let valid_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
        if !valid_scheme {
            return None;
        }
        let (host, port) = split_authority(authority)?;
        let port = match port {
            None => None,
            Some(port) => Some(port.parse().ok()?),
        };
        Some(Origin::Tuple { scheme, host, port })
    }

    /// Same-origin: the origin's host and port are the request's `Host`
    /// (a port missing from either is the default of the origin's scheme).
    fn is_same_as(&self, host_header: &str) -> bool {
        let Origin::Tuple { scheme, host, port } = *self else {
            return false;
        };
        let Some((request_host, request_port)) = split_authority(host_header.trim()) else {
            return false;
        };
        let request_port = match request_port {
            None => default_port(scheme),
            Some(port) => port.parse().ok(),
        };
        host.eq_ignore_ascii_case(request_host)
            && port.or(default_port(scheme)) == request_port
            && request_port.is_some()
    }
}

/// `host[:port]`, the host possibly a bracketed IPv6 literal; the host is
/// never empty and nothing else may follow.
fn split_authority(authority: &str) -> Option<(&str, Option<&str>)> {
    let (host, port) = if authority.starts_with('[') {
        let end = authority.find(']')? + 1;
        let (host, rest) = authority.split_at(end);
        match rest {
            "" => (host, None),
            _ => (host, Some(rest.strip_prefix(':')?)),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let host_ok = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        // An IPv6 literal (RFC 3986 section 3.2.2).
        Some(ip) => {
            !ip.is_empty()
                && ip
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || b":.".contains(&b))
        }
        // A registered name or an IPv4 address.
        None => {
            !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b))
        }
    };
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    (host_ok && port_ok).then_some((host, port))
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme.to_ascii_lowercase().as_str() {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        _ => None,
    }
}

/// One entry of an [`OriginPolicy`]'s allow-list, as
/// [`OriginPolicy::allow`] describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginPattern {
    source: String,
    kind: PatternKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum PatternKind {
    Opaque,
    Tuple {
        scheme: Option<String>,
        host: HostPattern,
        port: PortPattern,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Exact(String),
    /// `*.suffix`: the suffix with its leading dot.
    Subdomains(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PortPattern {
    /// The default port of the origin's scheme.
    Default,
    Exact(u16),
    Any,
}

impl OriginPattern {
    fn parse(source: &str) -> Option<OriginPattern> {
        let trimmed = source.trim();
        let kind = if trimmed == "null" {
            PatternKind::Opaque
        } else {
            let (scheme, authority) = match trimmed.split_once("://") {
                Some((scheme, authority)) => (Some(scheme), authority),
                None => (None, trimmed),
            };
            // A port of `*` is not an origin's, so it is taken off before
            // the rest is read as an origin would be.
            let (authority, any_port) = match authority.strip_suffix(":*") {
                Some(rest) => (rest, true),
                None => (authority, false),
            };
            let (host, subdomains) = match authority.strip_prefix("*.") {
                Some(rest) => (rest, true),
                None => (authority, false),
            };
            let sample = format!("{}://{host}", scheme.unwrap_or("http"));
            let Origin::Tuple { host, port, .. } = Origin::parse(&sample)? else {
                return None;
            };
            let host = host.to_ascii_lowercase();
            PatternKind::Tuple {
                scheme: scheme.map(str::to_ascii_lowercase),
                host: if subdomains {
                    HostPattern::Subdomains(format!(".{host}"))
                } else {
                    HostPattern::Exact(host)
                },
                port: match (any_port, port) {
                    (true, None) => PortPattern::Any,
                    (true, Some(_)) => return None,
                    (false, Some(port)) => PortPattern::Exact(port),
                    (false, None) => PortPattern::Default,
                },
            }
        };
        Some(OriginPattern {
            source: trimmed.to_owned(),
            kind,
        })
    }

    /// The pattern as it was given.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    fn matches(&self, origin: &Origin<'_>) -> bool {
        match (&self.kind, origin) {
            (PatternKind::Opaque, Origin::Opaque) => true,
            (
                PatternKind::Tuple {
                    scheme: want_scheme,
                    host: want_host,
                    port: want_port,
                },
                Origin::Tuple { scheme, host, port },
            ) => {
                let scheme_ok = want_scheme
                    .as_deref()
                    .is_none_or(|s| s.eq_ignore_ascii_case(scheme));
                let host = host.to_ascii_lowercase();
                let host_ok = match want_host {
                    HostPattern::Exact(exact) => host == *exact,
                    HostPattern::Subdomains(suffix) => {
                        host.len() > suffix.len() && host.ends_with(suffix.as_str())
                    }
                };
                let port_ok = match want_port {
                    PortPattern::Any => true,
                    PortPattern::Exact(p) => port.or(default_port(scheme)) == Some(*p),
                    PortPattern::Default => port.is_none() || *port == default_port(scheme),
                };
                scheme_ok && host_ok && port_ok
            }
            _ => false,
        }
    }
}

impl fmt::Display for OriginPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_origin_compares_host_and_port_with_scheme_defaults() {
        let policy = OriginPolicy::same_origin();
        let cases = [
            ("http://example.com", "example.com", true),
            ("https://example.com", "example.com", true),
            ("HTTP://Example.COM", "example.com", true),
            ("http://example.com", "example.com:80", true),
            ("https://example.com", "example.com:443", true),
            ("http://example.com:8080", "example.com:8080", true),
            ("http://127.0.0.1:8083", "127.0.0.1:8083", true),
            ("http://[::1]:8083", "[::1]:8083", true),
            ("http://example.com", "example.com:8080", false),
            ("http://example.com:8080", "example.com", false),
            ("https://example.com", "example.com:80", false),
            ("http://evil.example", "example.com", false),
            ("http://example.com.evil.example", "example.com", false),
            ("http://sub.example.com", "example.com", false),
            ("null", "example.com", false),
            ("", "example.com", false),
            ("example.com", "example.com", false),
            ("http://example.com/path", "example.com", false),
            ("http://example.com http://other", "example.com", false),
            ("http://example.com:99999", "example.com:99999", false),
            ("chrome-extension://abcdef", "abcdef", false),
        ];
        for (origin, host, expected) in cases {
            assert_eq!(policy.allows(origin, host), expected, "{origin} to {host}");
        }
    }

    #[test]
    fn patterns_allow_what_they_name() {
        let policy = OriginPolicy::same_origin()
            .allow("https://app.example.com")
            .unwrap()
            .allow("*.example.org")
            .unwrap()
            .allow("localhost:*")
            .unwrap()
            .allow("http://dev.example.net:3000")
            .unwrap()
            .allow("null")
            .unwrap();
        let host = "api.example.com";
        let cases = [
            ("https://app.example.com", true),
            ("https://app.example.com:443", true),
            ("http://app.example.com", false),
            ("https://app.example.com:8443", false),
            ("https://a.example.org", true),
            ("http://a.b.example.org", true),
            ("https://example.org", false),
            ("https://evilexample.org", false),
            ("https://a.example.org:8443", false),
            ("http://localhost:3000", true),
            ("http://localhost", true),
            ("http://localhost.evil.example", false),
            ("http://dev.example.net:3000", true),
            ("http://dev.example.net", false),
            ("null", true),
        ];
        for (origin, expected) in cases {
            assert_eq!(policy.allows(origin, host), expected, "{origin}");
        }
        assert_eq!(policy.patterns()[1].as_str(), "*.example.org");
        assert!(OriginPolicy::any().allows("http://anything", host));
        assert!(OriginPolicy::any().allows("not an origin", host));
    }

    #[test]
    fn malformed_patterns_are_refused() {
        for bad in [
            "",
            "*",
            "https://",
            "https://a b",
            "1http://a",
            "a:port",
            "a:1:*",
            "*.a:*:*",
            "https://app.example.com/path",
        ] {
            assert!(OriginPolicy::any().allow(bad).is_err(), "{bad:?}");
        }
    }
}
