//! A scripted authorization server for what a real one will not do on demand (5xx,
//! slow_down, provider dialects, HTML pages, redirects, stalls, dropped connections).
//! Each test gives a handler; afterwards it asserts on the requests received: their
//! paths, arrival times, headers and form fields. Also a scripted HTTP proxy that
//! records what it was asked to reach.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Request {
    pub at: Instant,
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn form(&self, key: &str) -> Option<String> {
        url::form_urlencoded::parse(self.body.as_bytes())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    }
}

pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
    pub headers: Vec<(String, String)>,
    /// Wait this long before answering (a slow or hung server).
    pub delay: Duration,
    /// Close the connection without answering (a reset or crashed server).
    pub drop_connection: bool,
    /// Send the answer a byte at a time with this pause after each: from the status
    /// line on, or (`drip_body_only`) after a head sent at once.
    pub drip: Option<Duration>,
    pub drip_body_only: bool,
}

impl Response {
    fn new(status: u16, content_type: &'static str, body: String) -> Response {
        Response {
            status,
            content_type,
            body,
            headers: Vec::new(),
            delay: Duration::ZERO,
            drop_connection: false,
            drip: None,
            drip_body_only: false,
        }
    }

    /// A server that answers, but one byte per `every` (a slowloris in reverse).
    pub fn dripping(mut self, every: Duration, body_only: bool) -> Response {
        self.drip = Some(every);
        self.drip_body_only = body_only;
        self
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn after(mut self, delay: Duration) -> Response {
        self.delay = delay;
        self
    }
}

/// A redirect to `location`.
pub fn redirect(status: u16, location: &str) -> Response {
    Response::new(status, "text/plain", String::new()).with_header("Location", location)
}

/// No answer at all: the connection is closed once the request is read.
pub fn hang_up() -> Response {
    Response {
        drop_connection: true,
        ..Response::new(0, "text/plain", String::new())
    }
}

pub fn text(status: u16, content_type: &'static str, body: &str) -> Response {
    Response::new(status, content_type, body.to_string())
}

pub fn json(status: u16, body: serde_json::Value) -> Response {
    Response::new(status, "application/json", body.to_string())
}

pub fn form(status: u16, body: &str) -> Response {
    Response::new(
        status,
        "application/x-www-form-urlencoded",
        body.to_string(),
    )
}

pub fn html(status: u16) -> Response {
    Response::new(
        status,
        "text/html",
        "<!DOCTYPE html><html><body>Bad gateway</body></html>".into(),
    )
}

type Handler = dyn Fn(&Request, usize) -> Response + Send + Sync;

pub struct FakeServer {
    pub url: String,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    /// What a panicking handler said: the test fails with it (see `Drop` and `check`).
    panicked: Arc<Mutex<Option<String>>>,
}

impl FakeServer {
    /// `handler(request, n)` answers the n-th request (from 0) to that request's path.
    pub fn start(
        handler: impl Fn(&Request, usize) -> Response + Send + Sync + 'static,
    ) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let panicked = Arc::new(Mutex::new(None));
        let handler: Arc<Handler> = Arc::new(handler);
        let thread = {
            let (requests, stop, panicked) = (requests.clone(), stop.clone(), panicked.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    // A handler's assertion or bug: keep its message for the test (the
                    // client sees the connection close), and stop serving.
                    let served =
                        crate::harness::catch_panic(|| serve(stream, &*handler, &requests));
                    if let Err((_, report)) = served {
                        *panicked.lock().unwrap() = Some(report);
                        break;
                    }
                }
            })
        };
        FakeServer {
            url,
            requests,
            stop,
            thread: Some(thread),
            panicked,
        }
    }

    /// Fails the test if a handler panicked (also done when the server is dropped).
    #[track_caller]
    pub fn check(&self) {
        if let Some(message) = self.panicked.lock().unwrap().take() {
            panic!("a handler of the fake server panicked: {message}");
        }
    }

    pub fn requests(&self, path: &str) -> Vec<Request> {
        self.check();
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// Every request, in arrival order.
    pub fn all(&self) -> Vec<Request> {
        self.check();
        self.requests.lock().unwrap().clone()
    }

    /// The paths requested, in arrival order.
    pub fn paths(&self) -> Vec<String> {
        self.all().into_iter().map(|r| r.path).collect()
    }

    /// Requests for discovery documents (`/.well-known/...` anywhere in the path).
    pub fn discovery_requests(&self) -> Vec<String> {
        self.paths()
            .into_iter()
            .filter(|p| p.contains("/.well-known/"))
            .collect()
    }

    /// Seconds between consecutive requests to `path`.
    pub fn gaps(&self, path: &str) -> Vec<f64> {
        let times: Vec<Instant> = self.requests(path).iter().map(|r| r.at).collect();
        times
            .windows(2)
            .map(|w| (w[1] - w[0]).as_secs_f64())
            .collect()
    }
}

/// Stops an accept loop: raises `stop`, wakes the blocked `accept` with one connection to
/// `url`, and waits for the thread.
fn stop_listening(stop: &AtomicBool, url: &str, thread: &mut Option<JoinHandle<()>>) {
    stop.store(true, Ordering::SeqCst);
    let _ = TcpStream::connect(url.trim_start_matches("http://"));
    if let Some(t) = thread.take() {
        let _ = t.join();
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        stop_listening(&self.stop, &self.url, &mut self.thread);
        // Not while the test is already failing: a second panic would abort the run.
        if !std::thread::panicking() {
            self.check();
        }
    }
}

fn serve(stream: TcpStream, handler: &Handler, requests: &Mutex<Vec<Request>>) {
    let at = Instant::now();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let path = parts
        .next()
        .unwrap_or("")
        .split('?')
        .next()
        .unwrap_or("")
        .to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let length = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0usize);
    let mut body = vec![0; length];
    let _ = reader.read_exact(&mut body);
    let request = Request {
        at,
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let n = requests
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.path == request.path)
        .count();
    let response = handler(&request, n);
    requests.lock().unwrap().push(request);
    std::thread::sleep(response.delay);
    if response.drop_connection {
        let _ = stream.shutdown(std::net::Shutdown::Both);
        return;
    }
    let mut stream = stream;
    let mut head = format!(
        "HTTP/1.1 {} X\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n",
        response.status,
        response.content_type,
        response.body.len(),
    );
    for (k, v) in &response.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let Some(every) = response.drip else {
        let _ = write!(stream, "{head}{}", response.body);
        return;
    };
    let mut bytes = head.into_bytes();
    let mut at_once = 0;
    if response.drip_body_only {
        at_once = bytes.len();
    }
    bytes.extend_from_slice(response.body.as_bytes());
    if stream.write_all(&bytes[..at_once]).is_err() {
        return;
    }
    // Stops at the first failed write: the client has given up and closed.
    for byte in &bytes[at_once..] {
        if stream
            .write_all(&[*byte])
            .and_then(|()| stream.flush())
            .is_err()
        {
            return;
        }
        std::thread::sleep(every);
    }
}

/// A loopback HTTP proxy that records the first line of every request (`CONNECT
/// host:port HTTP/1.1`) and refuses them all with 502, so a test can see where keycard
/// tried to go through it.
pub struct FakeProxy {
    pub url: String,
    seen: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FakeProxy {
    /// A proxy that records each CONNECT and refuses it (502).
    pub fn start() -> FakeProxy {
        FakeProxy::serve(None)
    }

    /// A proxy that records each CONNECT and tunnels it to 127.0.0.1:`port`, whatever
    /// host was asked for: a remote-looking provider that lives on loopback.
    pub fn tunnel_to(port: u16) -> FakeProxy {
        FakeProxy::serve(Some(port))
    }

    fn serve(tunnel: Option<u16>) -> FakeProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (seen, stop) = (seen.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(mut stream) = stream else { continue };
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut first = String::new();
                    let _ = reader.read_line(&mut first);
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                            break;
                        }
                    }
                    seen.lock().unwrap().push(first.trim().to_string());
                    let upstream =
                        tunnel.and_then(|port| TcpStream::connect(("127.0.0.1", port)).ok());
                    let Some(upstream) = upstream else {
                        let _ = write!(
                            stream,
                            "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        );
                        continue;
                    };
                    let _ = write!(stream, "HTTP/1.1 200 Connection established\r\n\r\n");
                    // Copy both ways until either side closes.
                    let (mut down_r, mut up_w) =
                        (stream.try_clone().unwrap(), upstream.try_clone().unwrap());
                    let (mut up_r, mut down_w) = (upstream, stream);
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut down_r, &mut up_w);
                        let _ = up_w.shutdown(std::net::Shutdown::Write);
                    });
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut up_r, &mut down_w);
                        let _ = down_w.shutdown(std::net::Shutdown::Write);
                    });
                }
            })
        };
        FakeProxy {
            url,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for FakeProxy {
    fn drop(&mut self) {
        stop_listening(&self.stop, &self.url, &mut self.thread);
    }
}
