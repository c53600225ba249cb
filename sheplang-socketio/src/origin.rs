//! Which requests may reach the server: [`Hosts`] (the `Host` names it answers to, against
//! DNS rebinding) and [`Origins`] (the web pages that may open a realtime connection), and the
//! tower layer that enforces both.
//!
//! # Host
//!
//! A page of `http://evil.example:3000` whose name the attacker's DNS then points at
//! `127.0.0.1` is same-origin with itself, and reaches a server on the developer's machine
//! with `Host: evil.example:3000`. So every request through the layer (the API and the page
//! as well as Socket.IO, when the layer wraps the whole router as it should) must name an
//! allowed host, or is refused with `403 Forbidden`:
//!
//! - `localhost`, and the IP address the connection came in on (an IP literal cannot be
//!   rebound), whatever the port; when the request was not served by
//!   [`serve`](crate::serve()), which records that address, any IP literal;
//! - the names given with [`allowed_hosts`](crate::RealtimeServerBuilder::allowed_hosts)
//!   (`"app.example.com"` for any port, `"app.example.com:8443"` for one);
//! - a request without a `Host` (HTTP/1.0, not a browser) is let through; two `Host` headers
//!   are refused.
//!
//! # Origin
//!
//! A browser sends an `Origin` header with every WebSocket handshake and every cross-origin
//! request. CORS alone does not protect a Socket.IO server: a browser lets any page open a
//! WebSocket to any server, so the server has to refuse foreign origins itself. The guard does
//! that for every request under the Socket.IO path (polling and WebSocket alike):
//!
//! - no `Origin` header: not a browser page (a Node or Rust client, curl): allowed;
//! - an `Origin` equal to the request's own `Host` (same-origin page): allowed;
//! - an `Origin` in the configured list, or any origin with [`Origins::any`]: allowed, and the
//!   response carries the CORS headers that let the page read it;
//! - anything else, including `Origin: null`: `403 Forbidden`, before Socket.IO sees the request.
//!
//! A request with several `Origin` headers passes only if every one of them does. Requests
//! outside the Socket.IO path are not checked for their origin (CORS for the rest of the app
//! is the app's business).

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};
use std::sync::Arc;

use std::net::{IpAddr, SocketAddr};

use http::header::{self, HeaderValue};
use http::{HeaderMap, Method, Request, Response, StatusCode, Uri};
use tower_layer::Layer;
use tower_service::Service;

/// The web origins allowed to connect, beside same-origin pages and non-browser clients.
///
/// The default is none: only pages served from the server's own host (and non-browser clients)
/// can connect. There is no wildcard unless asked for with [`Origins::any`].
///
/// ```
/// use sheplang_socketio::Origins;
///
/// let dev: Origins = ["http://localhost:5173", "https://app.example.com"].into();
/// assert!(dev.allows("http://localhost:5173"));
/// assert!(dev.allows("HTTPS://App.Example.com/"), "scheme and host are case-insensitive");
/// assert!(!dev.allows("http://localhost:5174"));
/// assert!(!Origins::default().allows("http://localhost:5173"));
/// assert!(Origins::any().allows("https://anything.example"));
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Origins {
    any: bool,
    list: Vec<String>,
}

impl Origins {
    /// No cross-origin page may connect (the default).
    pub fn none() -> Self {
        Origins::default()
    }

    /// Every origin may connect: the wildcard, opted into explicitly. Do not use it for a server
    /// whose subscriptions depend on cookies: any site could then subscribe in its users' name.
    pub fn any() -> Self {
        Origins {
            any: true,
            list: Vec::new(),
        }
    }

    /// Exactly these origins (`scheme://host[:port]`, as a browser sends them).
    pub fn list<I, T>(origins: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        Origins {
            any: false,
            list: origins
                .into_iter()
                .map(|o| normalize(o.as_ref()))
                .filter(|o| !o.is_empty())
                .collect(),
        }
    }

    /// True when every origin is allowed.
    pub fn is_any(&self) -> bool {
        self.any
    }

    /// The listed origins, normalised (lower-case scheme and host, no trailing slash).
    pub fn listed(&self) -> &[String] {
        &self.list
    }

    /// True when a page of `origin` may connect (same-origin pages are decided by the guard,
    /// which knows the request's host).
    pub fn allows(&self, origin: &str) -> bool {
        self.any || self.list.iter().any(|o| *o == normalize(origin))
    }
}

impl fmt::Debug for Origins {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.any {
            f.write_str("Origins::any()")
        } else {
            f.debug_tuple("Origins").field(&self.list).finish()
        }
    }
}

impl<T: AsRef<str>, const N: usize> From<[T; N]> for Origins {
    fn from(origins: [T; N]) -> Self {
        Origins::list(origins)
    }
}

impl<T: AsRef<str>> From<Vec<T>> for Origins {
    fn from(origins: Vec<T>) -> Self {
        Origins::list(origins)
    }
}

impl<T: AsRef<str>> From<&[T]> for Origins {
    fn from(origins: &[T]) -> Self {
        Origins::list(origins)
    }
}

/// The `Host` names the server answers to, besides `localhost` and its own address (see the
/// [module documentation](self)): the defence against DNS rebinding.
///
/// ```
/// use sheplang_socketio::Hosts;
///
/// let local = Hosts::local();
/// assert!(local.allows("localhost:3000", None));
/// assert!(local.allows("127.0.0.1:3000", None));
/// assert!(!local.allows("evil.example:3000", None));
/// let mine: Hosts = ["app.example.com", "admin.example.com:8443"].into();
/// assert!(mine.allows("App.Example.com", None));
/// assert!(mine.allows("admin.example.com:8443", None));
/// assert!(!mine.allows("admin.example.com:8444", None));
/// assert!(mine.allows("localhost", None), "the local names stay allowed");
/// assert!(Hosts::any().allows("anything.example", None));
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Hosts {
    any: bool,
    list: Vec<String>,
}

impl Hosts {
    /// `localhost` and the server's own address only (the default).
    pub fn local() -> Self {
        Hosts::default()
    }

    /// Every `Host`: no check. Only for a server behind a proxy that checks the `Host` itself.
    pub fn any() -> Self {
        Hosts {
            any: true,
            list: Vec::new(),
        }
    }

    /// These names (`name` for any port, `name:port` for one), besides the local ones.
    pub fn list<I, T>(hosts: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        Hosts {
            any: false,
            list: hosts
                .into_iter()
                .map(|h| normalize_host(h.as_ref()))
                .filter(|h| !h.is_empty())
                .collect(),
        }
    }

    /// True when the check is off ([`Hosts::any`]).
    pub fn is_any(&self) -> bool {
        self.any
    }

    /// The listed names, normalised (lower case, no trailing dot).
    pub fn listed(&self) -> &[String] {
        &self.list
    }

    /// True when a request with this `Host` value may be served; `local` is the address the
    /// connection came in on, when known.
    pub fn allows(&self, host: &str, local: Option<SocketAddr>) -> bool {
        if self.any {
            return true;
        }
        let host = normalize_host(host);
        let (name, port) = split_host(&host);
        if name == "localhost" {
            return true;
        }
        if let Some(ip) = parse_ip(name) {
            return match local {
                Some(local) => same_ip(ip, local.ip()),
                None => true,
            };
        }
        self.list.iter().any(|entry| {
            let (entry_name, entry_port) = split_host(entry);
            entry_name == name && (entry_port.is_none() || entry_port == port)
        })
    }
}

impl fmt::Debug for Hosts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.any {
            f.write_str("Hosts::any()")
        } else {
            f.debug_tuple("Hosts").field(&self.list).finish()
        }
    }
}

impl<T: AsRef<str>, const N: usize> From<[T; N]> for Hosts {
    fn from(hosts: [T; N]) -> Self {
        Hosts::list(hosts)
    }
}

impl<T: AsRef<str>> From<Vec<T>> for Hosts {
    fn from(hosts: Vec<T>) -> Self {
        Hosts::list(hosts)
    }
}

impl<T: AsRef<str>> From<&[T]> for Hosts {
    fn from(hosts: &[T]) -> Self {
        Hosts::list(hosts)
    }
}

/// Lower case, without surrounding space or a trailing dot on the name.
fn normalize_host(host: &str) -> String {
    let host = host.trim().to_ascii_lowercase();
    let (name, port) = split_host(&host);
    let name = name.strip_suffix('.').unwrap_or(name);
    match port {
        Some(port) => format!("{name}:{port}"),
        None => name.to_owned(),
    }
}

/// `name[:port]` or `[v6][:port]` into the name (brackets kept) and the port.
fn split_host(host: &str) -> (&str, Option<&str>) {
    if host.starts_with('[') {
        return match host.find(']') {
            Some(end) => (
                &host[..=end],
                host[end + 1..].strip_prefix(':').filter(|p| !p.is_empty()),
            ),
            None => (host, None),
        };
    }
    match host.rsplit_once(':') {
        Some((name, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
            (name, Some(port))
        }
        _ => (host, None),
    }
}

/// An IP literal: `127.0.0.1` or `[::1]`.
fn parse_ip(name: &str) -> Option<IpAddr> {
    match name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
        Some(v6) => v6.parse().ok().filter(IpAddr::is_ipv6),
        None => name.parse().ok().filter(IpAddr::is_ipv4),
    }
}

/// Equal addresses, an IPv4 address and its IPv4-mapped IPv6 form included.
fn same_ip(a: IpAddr, b: IpAddr) -> bool {
    a.to_canonical() == b.to_canonical()
}

/// Lower-cases the scheme and host and drops a trailing `/`; the path of an origin is empty.
fn normalize(origin: &str) -> String {
    origin.trim().trim_end_matches('/').to_ascii_lowercase()
}

/// The host part (`host[:port]`) of an origin `scheme://host[:port]`.
fn origin_authority(origin: &str) -> Option<&str> {
    origin
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/'))
}

/// What the guard decided for one request.
#[derive(Debug, PartialEq, Eq)]
enum Decision {
    /// Not a browser page, or a same-origin one: no CORS headers needed.
    Pass,
    /// A listed cross-origin page: allowed, with CORS headers naming this origin.
    Cors(HeaderValue),
    /// Refused.
    Forbidden,
}

/// The shared settings of a guard.
#[derive(Debug)]
pub(crate) struct GuardConfig {
    pub(crate) origins: Origins,
    pub(crate) hosts: Hosts,
    pub(crate) req_path: String,
}

impl GuardConfig {
    fn is_socketio_path(&self, path: &str) -> bool {
        let base = self.req_path.trim_end_matches('/');
        path.strip_prefix(base)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }

    /// The `Host` check, on every request: the `Host` header, else the URI's authority
    /// (HTTP/2), must be allowed.
    fn host_allowed(&self, headers: &HeaderMap, uri: &Uri, local: Option<SocketAddr>) -> bool {
        let mut hosts = headers.get_all(header::HOST).iter();
        match (hosts.next(), hosts.next()) {
            (Some(host), None) => host
                .to_str()
                .is_ok_and(|host| self.hosts.allows(host, local)),
            (Some(_), Some(_)) => false,
            (None, _) => uri
                .authority()
                .is_none_or(|authority| self.hosts.allows(authority.as_str(), local)),
        }
    }

    /// The `Origin` check, on the Socket.IO path: every `Origin` header must pass.
    fn decide(&self, headers: &HeaderMap) -> Decision {
        let mut decision = Decision::Pass;
        for origin in headers.get_all(header::ORIGIN) {
            match self.decide_one(origin, headers) {
                Decision::Forbidden => return Decision::Forbidden,
                Decision::Cors(value) if decision == Decision::Pass => {
                    decision = Decision::Cors(value);
                }
                _ => {}
            }
        }
        decision
    }

    fn decide_one(&self, origin: &HeaderValue, headers: &HeaderMap) -> Decision {
        let Ok(text) = origin.to_str() else {
            return Decision::Forbidden;
        };
        let same_host = match (origin_authority(text), headers.get(header::HOST)) {
            (Some(authority), Some(host)) => host
                .to_str()
                .is_ok_and(|host| host.eq_ignore_ascii_case(authority)),
            _ => false,
        };
        if same_host {
            Decision::Pass
        } else if text != "null" && self.origins.allows(text) {
            Decision::Cors(origin.clone())
        } else {
            Decision::Forbidden
        }
    }
}

/// The tower layer of the host and origin guard; [`RealtimeLayer`](crate::RealtimeLayer) puts
/// it in front of the Socket.IO service.
#[derive(Clone, Debug)]
pub struct OriginLayer {
    config: Arc<GuardConfig>,
}

impl OriginLayer {
    pub(crate) fn new(config: Arc<GuardConfig>) -> Self {
        OriginLayer { config }
    }
}

impl<S> Layer<S> for OriginLayer {
    type Service = OriginGuard<S>;

    fn layer(&self, inner: S) -> Self::Service {
        OriginGuard {
            inner,
            config: self.config.clone(),
        }
    }
}

/// A service that refuses requests for hosts that are not allowed, and Socket.IO requests from
/// origins that are not allowed (see the [module documentation](self)).
#[derive(Clone, Debug)]
pub struct OriginGuard<S> {
    inner: S,
    config: Arc<GuardConfig>,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for OriginGuard<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Default,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = GuardFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let local = req
            .extensions()
            .get::<crate::ConnectionInfo>()
            .map(|info| info.local);
        if !self.config.host_allowed(req.headers(), req.uri(), local) {
            #[cfg(feature = "tracing")]
            tracing::debug!(host = ?req.headers().get(header::HOST), "refused a request for a foreign host");
            return GuardFuture::ready(status(StatusCode::FORBIDDEN));
        }
        if !self.config.is_socketio_path(req.uri().path()) {
            return GuardFuture::inner(self.inner.call(req), None);
        }
        match self.config.decide(req.headers()) {
            Decision::Pass => GuardFuture::inner(self.inner.call(req), None),
            Decision::Forbidden => {
                #[cfg(feature = "tracing")]
                tracing::debug!(origin = ?req.headers().get(header::ORIGIN), "refused a Socket.IO request from a foreign origin");
                GuardFuture::ready(status(StatusCode::FORBIDDEN))
            }
            Decision::Cors(origin) => {
                if req.method() == Method::OPTIONS {
                    let mut response = status(StatusCode::NO_CONTENT);
                    add_cors_headers(response.headers_mut(), origin);
                    let headers = response.headers_mut();
                    headers.insert(
                        header::ACCESS_CONTROL_ALLOW_METHODS,
                        HeaderValue::from_static("GET, POST, OPTIONS"),
                    );
                    if let Some(requested) =
                        req.headers().get(header::ACCESS_CONTROL_REQUEST_HEADERS)
                    {
                        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, requested.clone());
                    }
                    headers.insert(
                        header::ACCESS_CONTROL_MAX_AGE,
                        HeaderValue::from_static("600"),
                    );
                    GuardFuture::ready(response)
                } else {
                    GuardFuture::inner(self.inner.call(req), Some(origin))
                }
            }
        }
    }
}

fn status<B: Default>(code: StatusCode) -> Response<B> {
    let mut response = Response::new(B::default());
    *response.status_mut() = code;
    response
}

fn add_cors_headers(headers: &mut HeaderMap, origin: HeaderValue) {
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
}

pin_project_lite::pin_project! {
    /// The response future of [`OriginGuard`].
    pub struct GuardFuture<F, B> {
        #[pin]
        state: GuardState<F, B>,
    }
}

pin_project_lite::pin_project! {
    #[project = GuardStateProj]
    enum GuardState<F, B> {
        Inner {
            #[pin]
            future: F,
            cors: Option<HeaderValue>,
        },
        Ready {
            response: Option<Response<B>>,
        },
    }
}

impl<F, B> GuardFuture<F, B> {
    fn inner(future: F, cors: Option<HeaderValue>) -> Self {
        GuardFuture {
            state: GuardState::Inner { future, cors },
        }
    }

    fn ready(response: Response<B>) -> Self {
        GuardFuture {
            state: GuardState::Ready {
                response: Some(response),
            },
        }
    }
}

impl<F, B> fmt::Debug for GuardFuture<F, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuardFuture").finish_non_exhaustive()
    }
}

impl<F, B, E> Future for GuardFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: Default,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().state.project() {
            GuardStateProj::Inner { future, cors } => match future.poll(cx) {
                Poll::Ready(Ok(mut response)) => {
                    if let Some(origin) = cors.take() {
                        add_cors_headers(response.headers_mut(), origin);
                    }
                    Poll::Ready(Ok(response))
                }
                other => other,
            },
            // Polled again after completion: answer again rather than panic.
            GuardStateProj::Ready { response } => Poll::Ready(Ok(response
                .take()
                .unwrap_or_else(|| status(StatusCode::FORBIDDEN)))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(origins: Origins) -> GuardConfig {
        GuardConfig {
            origins,
            hosts: Hosts::local(),
            req_path: "/socket.io".into(),
        }
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn every_origin_header_must_pass() {
        let same_then_foreign = headers(&[
            ("origin", "http://127.0.0.1:3000"),
            ("origin", "http://evil.example"),
            ("host", "127.0.0.1:3000"),
        ]);
        assert_eq!(
            guard(Origins::none()).decide(&same_then_foreign),
            Decision::Forbidden
        );
        let both_fine = headers(&[
            ("origin", "http://127.0.0.1:3000"),
            ("origin", "http://localhost:5173"),
            ("host", "127.0.0.1:3000"),
        ]);
        assert!(matches!(
            guard(["http://localhost:5173"].into()).decide(&both_fine),
            Decision::Cors(_)
        ));
    }

    #[test]
    fn hosts_by_default_are_localhost_and_the_bound_address() {
        let g = guard(Origins::none());
        let uri = Uri::from_static("/api/tasks");
        let local: SocketAddr = "127.0.0.1:3000".parse().unwrap();
        let allowed =
            |host: &'static str, local| g.host_allowed(&headers(&[("host", host)]), &uri, local);
        for host in [
            "localhost:3000",
            "LOCALHOST",
            "localhost.",
            "127.0.0.1:3000",
            "127.0.0.1",
        ] {
            assert!(allowed(host, Some(local)), "{host}");
        }
        for host in [
            "evil.example:3000",
            "127.0.0.2:3000",
            "[::1]:3000",
            "localhost.evil.example",
            "127.0.0.1.nip.io",
        ] {
            assert!(!allowed(host, Some(local)), "{host}");
        }
        assert!(allowed("[::1]:3000", Some("[::1]:3000".parse().unwrap())));
        // Without the connection's address, any IP literal (it cannot be rebound).
        assert!(allowed("10.1.2.3:3000", None));
        assert!(!allowed("evil.example", None));
        // Two Host headers are refused; none (HTTP/1.0) passes, or the URI's authority decides.
        let two = headers(&[("host", "localhost"), ("host", "evil.example")]);
        assert!(!g.host_allowed(&two, &uri, Some(local)));
        assert!(g.host_allowed(&HeaderMap::new(), &uri, Some(local)));
        let absolute = Uri::from_static("http://evil.example/api/tasks");
        assert!(!g.host_allowed(&HeaderMap::new(), &absolute, Some(local)));
    }

    #[test]
    fn no_origin_is_not_a_browser_page() {
        assert_eq!(guard(Origins::none()).decide(&headers(&[])), Decision::Pass);
    }

    #[test]
    fn same_origin_pages_pass_by_default() {
        let h = headers(&[
            ("origin", "http://127.0.0.1:3000"),
            ("host", "127.0.0.1:3000"),
        ]);
        assert_eq!(guard(Origins::none()).decide(&h), Decision::Pass);
    }

    #[test]
    fn foreign_origins_are_refused_by_default() {
        let h = headers(&[
            ("origin", "http://evil.example"),
            ("host", "127.0.0.1:3000"),
        ]);
        assert_eq!(guard(Origins::none()).decide(&h), Decision::Forbidden);
        let h = headers(&[("origin", "null"), ("host", "127.0.0.1:3000")]);
        assert_eq!(guard(Origins::any()).decide(&h), Decision::Forbidden);
        let h = headers(&[
            ("origin", "http://127.0.0.1:3001"),
            ("host", "127.0.0.1:3000"),
        ]);
        assert_eq!(guard(Origins::none()).decide(&h), Decision::Forbidden);
    }

    #[test]
    fn listed_and_any_origins_get_cors() {
        let h = headers(&[
            ("origin", "http://localhost:5173"),
            ("host", "127.0.0.1:3000"),
        ]);
        assert!(matches!(
            guard(["http://localhost:5173/"].into()).decide(&h),
            Decision::Cors(_)
        ));
        assert!(matches!(
            guard(Origins::any()).decide(&h),
            Decision::Cors(_)
        ));
        assert_eq!(
            guard(["http://localhost:5174"].into()).decide(&h),
            Decision::Forbidden
        );
    }

    #[test]
    fn only_the_socketio_path_is_guarded() {
        let g = guard(Origins::none());
        assert!(g.is_socketio_path("/socket.io/"));
        assert!(g.is_socketio_path("/socket.io"));
        assert!(!g.is_socketio_path("/socket.io-admin"));
        assert!(!g.is_socketio_path("/api/tasks"));
    }
}
