//! Fetching from other servers without becoming a proxy into the intranet.
//!
//! Whoever can make the service fetch a URL (a Galaxy `dataset_url`, a
//! redirect from an upstream) could otherwise aim it at `127.0.0.1`, the
//! cloud metadata address `169.254.169.254`, or any host on the lab network
//! (SSRF). [`RemotePolicy`] allows only listed hosts, only http(s), no
//! credentials in URLs, and no private, loopback or link-local address unless
//! that host or network is explicitly trusted. The address check runs on
//! what DNS returned, in the resolver reqwest connects through, so it holds
//! for every redirect hop and cannot be dodged by a name that resolves
//! differently the second time (DNS rebinding).
//!
//! ```no_run
//! use std::time::Duration;
//! use igv_relay::sources::remote::{RemoteError, RemotePolicy, read_body_limited};
//!
//! # async fn demo() -> Result<(), RemoteError> {
//! let galaxy = url::Url::parse("https://galaxy.lab.internal/").unwrap();
//! // The configured server may be on the intranet: trust its own address.
//! let policy = RemotePolicy::for_base_url(&galaxy)?;
//! let client = policy
//!     .client_builder(Duration::from_secs(5), Duration::from_secs(30))
//!     .build()
//!     .map_err(|e| RemoteError::from_reqwest(&e))?;
//! let url = galaxy.join("api/version").unwrap();
//! policy.check_url(&url)?; // before sending: a clear error for the page
//! let response = client
//!     .get(url)
//!     .send()
//!     .await
//!     .map_err(|e| RemoteError::from_reqwest(&e))?;
//! let body = read_body_limited(response, 4 << 20).await?;
//! # let _ = body;
//! # Ok(())
//! # }
//! ```

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::Url;

/// Redirects followed at most, unless [`RemotePolicy::with_max_redirects`] says otherwise.
pub const DEFAULT_MAX_REDIRECTS: usize = 5;

/// Why a URL was not fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoteError {
    #[error(
        "{0:?} is not a usable host rule (expected host, host:port, *.domain, or an IP network like 10.0.0.0/8)"
    )]
    BadRule(String),
    #[error("only http and https URLs are fetched, not {0}:")]
    Scheme(String),
    #[error("URLs with a user name or password are not fetched")]
    Credentials,
    #[error("the URL has no host")]
    NoHost,
    #[error("{host} is not a host this service fetches from (allowed: {allowed})")]
    HostNotAllowed { host: String, allowed: String },
    #[error(
        "{host} resolves to {address}, a private, loopback or link-local address; it is not fetched unless trusted in the configuration"
    )]
    PrivateAddress { host: String, address: IpAddr },
    #[error("cannot resolve {host}: {message}")]
    Resolve { host: String, message: String },
    #[error("{0} resolves to no address")]
    NoAddress(String),
    #[error("more than {0} redirects")]
    TooManyRedirects(usize),
    #[error("the response is larger than {0} bytes")]
    TooLarge(u64),
    #[error("the server did not answer in time")]
    Timeout,
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("the transfer failed: {0}")]
    Transfer(String),
}

impl RemoteError {
    /// The policy's own error behind a reqwest error (a refused redirect or
    /// address), else a timeout, connection or transfer error.
    pub fn from_reqwest(error: &reqwest::Error) -> Self {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
        while let Some(e) = source {
            if let Some(own) = e.downcast_ref::<RemoteError>() {
                return own.clone();
            }
            source = e.source();
        }
        if error.is_timeout() {
            Self::Timeout
        } else if error.is_connect() {
            Self::Connect(chain(error))
        } else {
            Self::Transfer(chain(error))
        }
    }

    /// Whether this is the upstream being slow (504) rather than failing (502).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout)
    }
}

fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum HostRule {
    /// `host` (any port) or `host:port`, as the `url` crate writes hosts.
    Exact { host: String, port: Option<u16> },
    /// `*.lab.org`: any name under it, not `lab.org` itself, any port.
    Suffix(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum TrustRule {
    Host(String),
    Network { base: IpAddr, prefix: u8 },
}

/// Which URLs may be fetched, and which of them may reach private addresses.
#[derive(Clone, Debug)]
pub struct RemotePolicy {
    hosts: Vec<HostRule>,
    trusted: Vec<TrustRule>,
    max_redirects: usize,
}

/// `entry` as `url` normalises hosts (lower case, IDNA, `[v6]`), with its port.
fn normalized_host(entry: &str) -> Result<(String, Option<u16>), RemoteError> {
    let bad = || RemoteError::BadRule(entry.to_owned());
    if entry.is_empty() || entry.contains(['/', '@', '?', '#']) {
        return Err(bad());
    }
    let bracketed = if entry.parse::<Ipv6Addr>().is_ok() {
        format!("[{entry}]")
    } else {
        entry.to_owned()
    };
    let url = Url::parse(&format!("http://{bracketed}/")).map_err(|_| bad())?;
    let host = url.host_str().ok_or_else(bad)?.to_owned();
    let port = url.port();
    // `url` drops an explicit :80 for http; keep what was written.
    let port = port.or_else(|| entry.strip_suffix(":80").map(|_| 80));
    Ok((host, port))
}

impl RemotePolicy {
    /// Allows fetching from `hosts`: `host` (any port), `host:port`, or
    /// `*.domain` (names under it). Nothing is trusted to be private yet.
    pub fn new<I, S>(hosts: I) -> Result<Self, RemoteError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut rules = Vec::new();
        for entry in hosts {
            let entry = entry.as_ref().trim().to_ascii_lowercase();
            if let Some(domain) = entry.strip_prefix("*.") {
                let (host, port) = normalized_host(domain)?;
                if port.is_some() || host.parse::<IpAddr>().is_ok() || host.starts_with('[') {
                    return Err(RemoteError::BadRule(entry));
                }
                rules.push(HostRule::Suffix(host));
            } else {
                let (host, port) = normalized_host(&entry)?;
                rules.push(HostRule::Exact { host, port });
            }
        }
        Ok(Self {
            hosts: rules,
            trusted: Vec::new(),
            max_redirects: DEFAULT_MAX_REDIRECTS,
        })
    }

    /// The policy for one configured server (Galaxy): its host and port only,
    /// trusted even on a private address, since an administrator named it.
    pub fn for_base_url(base: &Url) -> Result<Self, RemoteError> {
        let host = base.host_str().ok_or(RemoteError::NoHost)?;
        let port = base
            .port_or_known_default()
            .ok_or_else(|| RemoteError::Scheme(base.scheme().to_owned()))?;
        let policy = Self {
            hosts: vec![HostRule::Exact {
                host: host.to_owned(),
                port: Some(port),
            }],
            trusted: vec![TrustRule::Host(host.to_owned())],
            max_redirects: DEFAULT_MAX_REDIRECTS,
        };
        Ok(policy)
    }

    /// Lets these hosts (names or IP literals) or IP networks (`10.0.0.0/8`,
    /// `fd00::/8`) be reached on private, loopback or link-local addresses.
    pub fn trusting_private<I, S>(mut self, entries: I) -> Result<Self, RemoteError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for entry in entries {
            let entry = entry.as_ref().trim().to_ascii_lowercase();
            let bad = || RemoteError::BadRule(entry.clone());
            if let Some((base, prefix)) = entry.split_once('/') {
                let base: IpAddr = base.parse().map_err(|_| bad())?;
                let prefix: u8 = prefix.parse().map_err(|_| bad())?;
                let max = if base.is_ipv4() { 32 } else { 128 };
                if prefix > max {
                    return Err(bad());
                }
                self.trusted.push(TrustRule::Network { base, prefix });
            } else if let Ok(ip) = entry.parse::<IpAddr>() {
                let prefix = if ip.is_ipv4() { 32 } else { 128 };
                self.trusted.push(TrustRule::Network { base: ip, prefix });
            } else {
                let (host, port) = normalized_host(&entry)?;
                if port.is_some() {
                    return Err(bad());
                }
                self.trusted.push(TrustRule::Host(host));
            }
        }
        Ok(self)
    }

    pub fn with_max_redirects(mut self, max: usize) -> Self {
        self.max_redirects = max;
        self
    }

    fn describe(&self) -> String {
        if self.hosts.is_empty() {
            return "none".to_owned();
        }
        let names: Vec<String> = self
            .hosts
            .iter()
            .map(|h| match h {
                HostRule::Exact {
                    host,
                    port: Some(p),
                } => format!("{host}:{p}"),
                HostRule::Exact { host, port: None } => host.clone(),
                HostRule::Suffix(domain) => format!("*.{domain}"),
            })
            .collect();
        names.join(", ")
    }

    fn host_allowed(&self, host: &str, port: Option<u16>) -> bool {
        self.hosts.iter().any(|rule| match rule {
            HostRule::Exact { host: h, port: p } => {
                h == host && (p.is_none() || port.is_none() || *p == port)
            }
            HostRule::Suffix(domain) => host
                .strip_suffix(domain.as_str())
                .is_some_and(|rest| rest.ends_with('.') && rest.len() > 1),
        })
    }

    fn trusted(&self, host: &str, address: IpAddr) -> bool {
        self.trusted.iter().any(|rule| match rule {
            TrustRule::Host(h) => h == host,
            TrustRule::Network { base, prefix } => in_network(address, *base, *prefix),
        })
    }

    /// Checks what can be told without DNS: http(s), no credentials, an
    /// allowed host and port, and for an IP literal that it is public or
    /// trusted. Names are checked after resolution by [`Self::resolver`].
    pub fn check_url(&self, url: &Url) -> Result<(), RemoteError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(RemoteError::Scheme(url.scheme().to_owned()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(RemoteError::Credentials);
        }
        let host = url.host_str().ok_or(RemoteError::NoHost)?;
        let port = url.port_or_known_default();
        if !self.host_allowed(host, port) {
            return Err(RemoteError::HostNotAllowed {
                host: match port {
                    Some(p) => format!("{host}:{p}"),
                    None => host.to_owned(),
                },
                allowed: self.describe(),
            });
        }
        let literal = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        };
        if let Some(ip) = literal {
            self.check_addresses(host, &[ip])?;
        }
        Ok(())
    }

    /// Checks what DNS returned for `host`: every address must be public,
    /// unless the host or the address's network is trusted. One private
    /// address among public ones is enough to refuse.
    pub fn check_addresses(&self, host: &str, addresses: &[IpAddr]) -> Result<(), RemoteError> {
        if addresses.is_empty() {
            return Err(RemoteError::NoAddress(host.to_owned()));
        }
        for &address in addresses {
            if !is_public(address) && !self.trusted(host, address) {
                return Err(RemoteError::PrivateAddress {
                    host: host.to_owned(),
                    address,
                });
            }
        }
        Ok(())
    }

    /// The function to call before fetching `url` yourself: [`Self::check_url`],
    /// then DNS, then [`Self::check_addresses`]. Returns the addresses to use.
    /// (A client from [`Self::client_builder`] does all of this on its own,
    /// for every connection and redirect hop.)
    pub async fn resolve(&self, url: &Url) -> Result<Vec<SocketAddr>, RemoteError> {
        self.check_url(url)?;
        let host = url.host_str().ok_or(RemoteError::NoHost)?;
        let port = url.port_or_known_default().unwrap_or(80);
        let addresses = lookup(host, port).await?;
        let ips: Vec<IpAddr> = addresses.iter().map(SocketAddr::ip).collect();
        self.check_addresses(host, &ips)?;
        Ok(addresses)
    }

    /// A redirect policy that checks each hop with [`Self::check_url`] (the
    /// resolver then checks its addresses) and stops after the maximum.
    pub fn redirect_policy(&self) -> reqwest::redirect::Policy {
        let policy = self.clone();
        reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > policy.max_redirects {
                return attempt.error(RemoteError::TooManyRedirects(policy.max_redirects));
            }
            match policy.check_url(attempt.url()) {
                Ok(()) => attempt.follow(),
                Err(e) => attempt.error(e),
            }
        })
    }

    /// A DNS resolver for reqwest that refuses hosts off the list and
    /// addresses the policy does not allow, at connection time.
    pub fn resolver(&self) -> GuardedResolver {
        GuardedResolver {
            policy: Arc::new(self.clone()),
        }
    }

    /// A reqwest client builder with this policy: the guarded resolver, the
    /// checking redirect policy, no proxy (a proxy would resolve names where
    /// the check cannot see), no `Referer`, and the timeouts.
    pub fn client_builder(
        &self,
        connect_timeout: Duration,
        read_timeout: Duration,
    ) -> reqwest::ClientBuilder {
        reqwest::Client::builder()
            .dns_resolver(self.resolver())
            .redirect(self.redirect_policy())
            .no_proxy()
            .referer(false)
            .connect_timeout(connect_timeout)
            .read_timeout(read_timeout)
    }
}

async fn lookup(host: &str, port: u16) -> Result<Vec<SocketAddr>, RemoteError> {
    // `url` writes IPv6 literals in brackets; the resolver wants them bare.
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let found = tokio::net::lookup_host((bare, port))
        .await
        .map_err(|e| RemoteError::Resolve {
            host: host.to_owned(),
            message: e.to_string(),
        })?;
    Ok(found.collect())
}

/// reqwest's resolver under a [`RemotePolicy`] (see [`RemotePolicy::resolver`]).
#[derive(Clone, Debug)]
pub struct GuardedResolver {
    policy: Arc<RemotePolicy>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        let host = name.as_str().to_ascii_lowercase();
        Box::pin(async move {
            if !policy.host_allowed(&host, None) {
                return Err(Box::new(RemoteError::HostNotAllowed {
                    host,
                    allowed: policy.describe(),
                })
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            let addresses = lookup(&host, 0).await?;
            let ips: Vec<IpAddr> = addresses.iter().map(SocketAddr::ip).collect();
            policy.check_addresses(&host, &ips)?;
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}

/// Reads a response body, refusing more than `max_bytes` (by its
/// `Content-Length` up front, and by counting as it arrives).
pub async fn read_body_limited(
    mut response: reqwest::Response,
    max_bytes: u64,
) -> Result<Bytes, RemoteError> {
    if response.content_length().is_some_and(|n| n > max_bytes) {
        return Err(RemoteError::TooLarge(max_bytes));
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| RemoteError::from_reqwest(&e))?
    {
        if body.len() as u64 + chunk.len() as u64 > max_bytes {
            return Err(RemoteError::TooLarge(max_bytes));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Whether `ip` is an ordinary Internet address: not private, loopback,
/// link-local (cloud metadata), shared (CGNAT), documentation, benchmark,
/// multicast, reserved or unspecified, and not an IPv6 form of one of those
/// (IPv4-mapped, IPv4-compatible, NAT64, 6to4).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0 // "this network", 0.0.0.0
        || a == 10
        || a == 127
        || (a == 100 && (b & 0xc0) == 64) // 100.64.0.0/10 shared (CGNAT)
        || (a == 169 && b == 254) // link-local, cloud metadata
        || (a == 172 && (b & 0xf0) == 16)
        || (a == 192 && b == 168)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation
        || (a == 198 && (b & 0xfe) == 18) // benchmarking
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
        || a >= 224) // multicast, reserved, broadcast
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s[0] & 0xff00) == 0xff00 // multicast
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x2001 && s[1] == 0) // Teredo
        || (s[0] == 0x0100 && s[1] == 0 && s[2] == 0 && s[3] == 0)) // discard
}

/// The IPv4 address inside an IPv6 one that routes to it.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if s[..5] == [0; 5] && (s[5] == 0xffff || s[5] == 0) {
        // IPv4-mapped ::ffff:a.b.c.d, and IPv4-compatible ::a.b.c.d (also :: and ::1).
        return Some(low);
    }
    if s[0] == 0x0064 && s[1] == 0xff9b && s[2..6] == [0; 4] {
        return Some(low); // NAT64 64:ff9b::/96
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        )); // 6to4
    }
    None
}

fn in_network(address: IpAddr, base: IpAddr, prefix: u8) -> bool {
    match (address, base) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(a) & mask == u128::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V4(_)) => {
            embedded_v4(a).is_some_and(|v4| in_network(IpAddr::V4(v4), base, prefix))
        }
        (IpAddr::V4(_), IpAddr::V6(_)) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn private_loopback_link_local_and_reserved_addresses_are_not_public() {
        for ip in [
            "0.0.0.0",
            "0.1.2.3",
            "10.1.2.3",
            "100.64.0.1",
            "127.0.0.1",
            "127.255.255.254",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.170",
            "192.0.2.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "2001::1",
            "100::1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "100.128.0.1",
            "172.32.0.1",
            "192.169.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "2002:0808:0808::",
        ] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn only_listed_http_hosts_without_credentials_pass() {
        let p =
            RemotePolicy::new(["galaxy.example", "files.example:8443", "*.lab.example"]).unwrap();
        assert!(p.check_url(&url("https://galaxy.example/api")).is_ok());
        assert!(p.check_url(&url("http://GALAXY.example:8080/x")).is_ok());
        assert!(
            p.check_url(&url("https://files.example:8443/a.bam"))
                .is_ok()
        );
        assert!(p.check_url(&url("https://a.b.lab.example/x")).is_ok());
        for (bad, why) in [
            ("file:///etc/passwd", "scheme"),
            ("gopher://galaxy.example/x", "scheme"),
            ("ftp://galaxy.example/x", "scheme"),
            ("dict://galaxy.example:11211/", "scheme"),
            ("data:text/plain,x", "scheme"),
            ("https://user:pw@galaxy.example/", "credentials"),
            ("https://evil.example/", "host"),
            ("https://galaxy.example.evil.example/", "host"),
            ("https://files.example/a.bam", "host"),
            ("https://files.example:8444/a.bam", "host"),
            ("https://lab.example/x", "host"),
            ("https://evil-lab.example/x", "host"),
        ] {
            let err = p.check_url(&url(bad)).unwrap_err();
            let ok = match why {
                "scheme" => matches!(err, RemoteError::Scheme(_)),
                "credentials" => matches!(err, RemoteError::Credentials),
                _ => matches!(err, RemoteError::HostNotAllowed { .. }),
            };
            assert!(ok, "{bad}: {err}");
        }
        assert!(RemotePolicy::new(["http://x/"]).is_err());
        assert!(RemotePolicy::new(["*.10.0.0.1"]).is_err());
    }

    #[test]
    fn ip_literals_are_checked_without_dns_and_trusted_networks_pass() {
        let p = RemotePolicy::new([
            "127.0.0.1",
            "169.254.169.254",
            "[::1]",
            "10.1.2.3",
            "8.8.8.8",
        ])
        .unwrap();
        for bad in [
            "http://127.0.0.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]:8080/",
            "http://10.1.2.3/",
            "http://0x7f.1/",
            "http://2130706433/",
        ] {
            assert!(
                matches!(
                    p.check_url(&url(bad)),
                    Err(RemoteError::PrivateAddress { .. })
                ),
                "{bad}"
            );
        }
        assert!(p.check_url(&url("http://8.8.8.8/")).is_ok());
        let p = p.trusting_private(["10.0.0.0/8", "::1"]).unwrap();
        assert!(p.check_url(&url("http://10.1.2.3/")).is_ok());
        assert!(p.check_url(&url("http://[::1]:8080/")).is_ok());
        assert!(p.check_url(&url("http://127.0.0.1/")).is_err());
        assert!(
            RemotePolicy::new(["x"])
                .unwrap()
                .trusting_private(["10.0.0.0/33"])
                .is_err()
        );
    }

    #[test]
    fn one_private_address_among_public_ones_is_refused_unless_the_host_is_trusted() {
        let p = RemotePolicy::new(["data.example"]).unwrap();
        let mixed: Vec<IpAddr> = vec!["8.8.8.8".parse().unwrap(), "10.0.0.5".parse().unwrap()];
        assert!(matches!(
            p.check_addresses("data.example", &mixed),
            Err(RemoteError::PrivateAddress { .. })
        ));
        assert!(matches!(
            p.check_addresses("data.example", &[]),
            Err(RemoteError::NoAddress(_))
        ));
        let p = p.trusting_private(["data.example"]).unwrap();
        assert!(p.check_addresses("data.example", &mixed).is_ok());
    }

    #[tokio::test]
    async fn names_are_checked_after_dns() {
        let p = RemotePolicy::new(["localhost"]).unwrap();
        let err = p.resolve(&url("http://localhost:9/")).await.unwrap_err();
        assert!(matches!(err, RemoteError::PrivateAddress { .. }), "{err}");
        let p = p.trusting_private(["localhost"]).unwrap();
        let addresses = p.resolve(&url("http://localhost:9/")).await.unwrap();
        assert!(
            addresses
                .iter()
                .all(|a| a.ip().is_loopback() && a.port() == 9)
        );
    }

    #[test]
    fn a_configured_server_is_trusted_on_its_own_host_and_port_only() {
        let p =
            RemotePolicy::for_base_url(&url("http://galaxy.lab.internal:8089/prefix/")).unwrap();
        assert!(
            p.check_url(&url("http://galaxy.lab.internal:8089/api/x"))
                .is_ok()
        );
        assert!(
            p.check_url(&url("http://galaxy.lab.internal/api/x"))
                .is_err()
        );
        assert!(
            p.check_url(&url("http://other.lab.internal:8089/"))
                .is_err()
        );
        assert!(
            p.check_addresses("galaxy.lab.internal", &["10.0.0.8".parse().unwrap()])
                .is_ok()
        );
        assert!(
            p.check_addresses("other.lab.internal", &["10.0.0.8".parse().unwrap()])
                .is_err()
        );
    }

    /// A wiremock server on 127.0.0.1, trusted the way [`RemotePolicy::for_base_url`]
    /// trusts a configured server (by its host, here an IP literal). The name
    /// `localhost` for the same server and the metadata address are listed
    /// but not trusted to be private.
    async fn upstream() -> (MockServer, RemotePolicy) {
        let server = MockServer::start().await;
        let port = server.address().port();
        let mut policy = RemotePolicy::new([
            format!("127.0.0.1:{port}"),
            format!("localhost:{port}"),
            "169.254.169.254".to_owned(),
        ])
        .unwrap()
        .with_max_redirects(3);
        policy.trusted.push(TrustRule::Host("127.0.0.1".into()));
        (server, policy)
    }

    fn redirect_to(location: &str) -> ResponseTemplate {
        ResponseTemplate::new(302).insert_header("Location", location)
    }

    async fn get(policy: &RemotePolicy, target: &str) -> Result<reqwest::Response, RemoteError> {
        let client = policy
            .client_builder(Duration::from_secs(2), Duration::from_secs(2))
            .build()
            .unwrap();
        client
            .get(target)
            .send()
            .await
            .map_err(|e| RemoteError::from_reqwest(&e))
    }

    #[tokio::test]
    async fn every_redirect_hop_is_checked() {
        let (server, policy) = upstream().await;
        let base = server.uri();
        let port = server.address().port();
        Mock::given(path("/data"))
            .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
            .mount(&server)
            .await;
        let hops = [
            ("/same", "/data".to_owned()),
            (
                "/metadata",
                "http://169.254.169.254/latest/meta-data/".to_owned(),
            ),
            ("/evil", "http://evil.example/".to_owned()),
            ("/file", "file:///etc/passwd".to_owned()),
            ("/gopher", format!("gopher://127.0.0.1:{port}/_x")),
            ("/other-port", "http://127.0.0.1:1/".to_owned()),
            ("/creds", format!("http://user:pw@127.0.0.1:{port}/data")),
            // An allowed name whose address is private and not trusted: only
            // the resolver, after DNS, can refuse it.
            ("/by-name", format!("http://localhost:{port}/data")),
            ("/loop", "/loop".to_owned()),
        ];
        for (from, to) in &hops {
            Mock::given(method("GET"))
                .and(path(*from))
                .respond_with(redirect_to(to))
                .mount(&server)
                .await;
        }
        let ok = get(&policy, &format!("{base}/same")).await.unwrap();
        assert_eq!(ok.text().await.unwrap(), "ok");
        // reqwest never follows a redirect to another scheme: the 302 itself
        // comes back (and its caller treats it as a failed upstream).
        for from in ["/file", "/gopher"] {
            match get(&policy, &format!("{base}{from}")).await {
                Ok(r) => assert_eq!(r.status().as_u16(), 302, "{from}"),
                Err(e) => assert!(matches!(e, RemoteError::Scheme(_)), "{from}: {e:?}"),
            }
        }
        for (from, expected) in [
            ("/metadata", "private"),
            ("/evil", "host"),
            ("/other-port", "host"),
            ("/creds", "credentials"),
            ("/by-name", "private"),
            ("/loop", "redirects"),
        ] {
            let err = get(&policy, &format!("{base}{from}")).await.unwrap_err();
            let ok = match expected {
                "private" => matches!(err, RemoteError::PrivateAddress { .. }),
                "host" => matches!(err, RemoteError::HostNotAllowed { .. }),
                "scheme" => matches!(err, RemoteError::Scheme(_)),
                "credentials" => matches!(err, RemoteError::Credentials),
                _ => matches!(err, RemoteError::TooManyRedirects(3)),
            };
            assert!(ok, "{from}: {err:?}");
        }
    }

    #[tokio::test]
    async fn slow_and_oversized_answers_are_cut_off() {
        let (server, policy) = upstream().await;
        Mock::given(path("/slow"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
            .mount(&server)
            .await;
        Mock::given(path("/big"))
            .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'x'; 2 << 20]))
            .mount(&server)
            .await;
        let client = policy
            .client_builder(Duration::from_secs(1), Duration::from_millis(300))
            .build()
            .unwrap();
        let started = std::time::Instant::now();
        let err = client
            .get(format!("{}/slow", server.uri()))
            .send()
            .await
            .map_err(|e| RemoteError::from_reqwest(&e))
            .unwrap_err();
        assert!(err.is_timeout(), "{err:?}");
        assert!(started.elapsed() < Duration::from_secs(3));
        let big = client
            .get(format!("{}/big", server.uri()))
            .send()
            .await
            .unwrap();
        assert_eq!(
            read_body_limited(big, 1 << 20).await.unwrap_err(),
            RemoteError::TooLarge(1 << 20)
        );
        let big = client
            .get(format!("{}/big", server.uri()))
            .send()
            .await
            .unwrap();
        assert_eq!(
            read_body_limited(big, 4 << 20).await.unwrap().len(),
            2 << 20
        );
    }

    #[tokio::test]
    async fn the_client_checks_names_after_dns() {
        let (server, policy) = upstream().await;
        Mock::given(path("/data"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&server)
            .await;
        let port = server.address().port();
        let by_name = format!("http://localhost:{port}/data");
        let err = get(&policy, &by_name).await.unwrap_err();
        assert!(matches!(err, RemoteError::PrivateAddress { .. }), "{err:?}");
        let policy = policy.trusting_private(["localhost"]).unwrap();
        assert_eq!(get(&policy, &by_name).await.unwrap().status().as_u16(), 200);
        let name: Name = "localhost".parse().unwrap();
        let strict = RemotePolicy::new(["localhost"]).unwrap();
        assert!(strict.resolver().resolve(name).await.is_err());
    }

    #[tokio::test]
    async fn a_refused_connection_is_a_connect_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let policy = RemotePolicy::new([format!("127.0.0.1:{port}")])
            .unwrap()
            .trusting_private(["127.0.0.1"])
            .unwrap();
        let err = get(&policy, &format!("http://127.0.0.1:{port}/"))
            .await
            .unwrap_err();
        assert!(matches!(err, RemoteError::Connect(_)), "{err:?}");
    }
}
