//! A real SMTP server on loopback for the tests: the protocol is `mailin`'s (a maintained
//! SMTP server state machine); this file only accepts connections and feeds it lines, one
//! thread a session. (mailin-embedded wraps the same machine but always builds rustls with
//! its default aws-lc-rs provider, a long C build beside the ring provider the service
//! uses; plain SMTP on loopback needs no TLS.) Received messages are kept whole; a script
//! can answer 4xx to the next recipients, refuse an address with 550, or hold the end of
//! DATA for a while (to catch a send in the middle).
//!
//! The server cannot be stopped: its threads end with the test binary.

use std::collections::{HashSet, VecDeque};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use mailin::{Action, Handler, Response, SessionBuilder, response};

/// Sessions a sink serves at once: well above a dispatcher's 48 sends in flight.
const SESSIONS: u32 = 80;

/// One message as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    /// The envelope sender.
    pub from: String,
    /// The envelope recipients.
    pub to: Vec<String>,
    /// The message, headers and body, as sent.
    pub data: Vec<u8>,
}

impl Received {
    /// The message parsed by mail-parser.
    pub fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(&self.data)
            .expect("a parseable message")
    }

    /// The `Message-ID`, without angle brackets (read from the header lines directly, so
    /// that checking thousands of messages stays quick).
    pub fn message_id(&self) -> String {
        let text = String::from_utf8_lossy(&self.data);
        let header_end = text.find("\r\n\r\n").unwrap_or(text.len());
        text[..header_end]
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("message-id")
                    .then(|| value.trim().trim_matches(['<', '>']).to_owned())
            })
            .expect("a Message-ID")
    }
}

/// The unique part of a Message-ID (`<x@domain>` → `x`). The outbox stores the id under a
/// placeholder domain; the sender puts it under its own domain on the wire, so a received
/// message is matched to its row by this part.
pub fn unique_part(id: &str) -> String {
    let id = id.trim().trim_matches(['<', '>']);
    id.rsplit_once('@').map_or(id, |(local, _)| local).to_owned()
}

impl Received {
    /// The unique part of the `Message-ID` (see [`unique_part`]).
    pub fn unique_id(&self) -> String {
        unique_part(&self.message_id())
    }
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    /// Codes to answer to the next RCPT commands, one each; 250 lets it through.
    script: VecDeque<u16>,
    /// Addresses refused for good.
    refused: HashSet<String>,
    /// RCPT commands seen, answered however.
    attempts: usize,
    /// How long to sit on the end of DATA before answering.
    data_end_delay: Duration,
    /// Messages whose DATA has started but not yet been answered.
    in_flight: usize,
    /// When each of `received` was accepted (the end of DATA answered, after any delay).
    accepted_at: Vec<std::time::Instant>,
}

#[derive(Clone)]
struct Session {
    state: Arc<Mutex<State>>,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Handler for Session {
    fn mail(&mut self, _ip: std::net::IpAddr, _domain: &str, from: &str) -> Response {
        self.from = from.to_owned();
        self.to.clear();
        self.data.clear();
        response::OK
    }

    fn rcpt(&mut self, to: &str) -> Response {
        let mut state = lock(&self.state);
        state.attempts += 1;
        if state.refused.contains(to) {
            return Response::custom(550, "5.1.1 mailbox unavailable".to_owned());
        }
        match state.script.pop_front() {
            Some(code) if code != 250 => Response::custom(code, "4.3.0 try again later".to_owned()),
            _ => {
                self.to.push(to.to_owned());
                response::OK
            }
        }
    }

    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, _to: &[String]) -> Response {
        lock(&self.state).in_flight += 1;
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let delay = lock(&self.state).data_end_delay;
        std::thread::sleep(delay);
        let mut state = lock(&self.state);
        state.in_flight -= 1;
        state.received.push(Received {
            from: self.from.clone(),
            to: self.to.clone(),
            data: std::mem::take(&mut self.data),
        });
        state.accepted_at.push(std::time::Instant::now());
        response::OK
    }
}

/// Sessions served at once; a connection beyond them waits, unanswered, in the listen
/// queue until one ends.
struct Slots {
    free: Mutex<u32>,
    freed: Condvar,
}

impl Slots {
    fn new(n: u32) -> Self {
        Self {
            free: Mutex::new(n),
            freed: Condvar::new(),
        }
    }

    fn take(&self) {
        let mut free = self.free.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|poisoned| poisoned.into_inner());
        }
        *free -= 1;
    }

    fn give_back(&self) {
        *self.free.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) += 1;
        self.freed.notify_one();
    }
}

/// One SMTP conversation: the greeting, then each line through mailin's state machine
/// until it says to close or the client hangs up.
fn serve_session(stream: TcpStream, builder: &SessionBuilder, handler: Session) -> std::io::Result<()> {
    let remote = stream.peer_addr()?.ip();
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = BufWriter::new(stream);
    let mut session = builder.build(remote, handler);
    let reply = |writer: &mut BufWriter<TcpStream>, res: &Response| -> std::io::Result<()> {
        res.write_to(writer)?;
        writer.flush()
    };
    reply(&mut writer, &session.greeting())?;
    let mut line = Vec::with_capacity(80);
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let res = session.process(&line);
        match res.action {
            Action::NoReply => {}
            Action::Reply => reply(&mut writer, &res)?,
            // No STARTTLS is offered, so an upgrade is never asked for; close either way.
            Action::Close | Action::UpgradeTls => return reply(&mut writer, &res),
        }
    }
}

/// A running SMTP server and what it received.
#[derive(Clone)]
pub struct SmtpSink {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl SmtpSink {
    /// Starts a server on a free loopback port.
    pub fn start() -> Self {
        Self::start_with(TcpListener::bind("127.0.0.1:0").expect("bind the SMTP sink"), SESSIONS)
    }

    /// Starts a server on `port` (from [`SmtpSink::reserve_port`]).
    pub fn start_on(port: u16) -> Self {
        Self::start_with(
            TcpListener::bind(("127.0.0.1", port)).expect("bind the SMTP sink"),
            SESSIONS,
        )
    }

    /// Starts a server serving up to `sessions` connections at once. Each session holds a
    /// thread until its client hangs up, and lettre's pool may open a few more connections
    /// than it keeps (it recycles them after the next send has started), so there must be
    /// room to spare: a connection beyond it waits, unanswered, in the listen queue.
    pub fn start_with(listener: TcpListener, sessions: u32) -> Self {
        let addr = listener.local_addr().expect("sink address");
        let state = Arc::new(Mutex::new(State::default()));
        let session = Session {
            state: state.clone(),
            from: String::new(),
            to: Vec::new(),
            data: Vec::new(),
        };
        let slots = Arc::new(Slots::new(sessions));
        std::thread::spawn(move || {
            let builder = SessionBuilder::new("sink.test");
            loop {
                slots.take();
                let Ok((stream, _)) = listener.accept() else {
                    slots.give_back();
                    continue;
                };
                let (builder, handler, slots) = (builder.clone(), session.clone(), slots.clone());
                std::thread::spawn(move || {
                    let _ = serve_session(stream, &builder, handler);
                    slots.give_back();
                });
            }
        });
        Self { addr, state }
    }

    /// A loopback port nobody listens on (yet): connecting to it is refused.
    pub fn reserve_port() -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The `RELAY_SMTP_URL` of this server.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    /// Answers the next recipients with `codes`, one each (250 lets one through).
    pub fn script(&self, codes: &[u16]) {
        lock(&self.state).script.extend(codes.iter().copied());
    }

    /// Refuses `address` for good (550).
    pub fn refuse(&self, address: &str) {
        lock(&self.state).refused.insert(address.to_owned());
    }

    /// Holds every end of DATA for `delay` before accepting.
    pub fn slow_down(&self, delay: Duration) {
        lock(&self.state).data_end_delay = delay;
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        lock(&self.state).received.clone()
    }

    /// Everything received so far, each with the moment the server accepted it.
    pub fn received_at(&self) -> Vec<(Received, std::time::Instant)> {
        let state = lock(&self.state);
        state
            .received
            .iter()
            .cloned()
            .zip(state.accepted_at.iter().copied())
            .collect()
    }

    /// Messages received so far.
    pub fn count(&self) -> usize {
        lock(&self.state).received.len()
    }

    /// RCPT commands seen so far, however answered.
    pub fn attempts(&self) -> usize {
        lock(&self.state).attempts
    }

    /// Messages being transferred right now.
    pub fn in_flight(&self) -> usize {
        lock(&self.state).in_flight
    }

    /// Waits until at least `n` messages arrived (panics after `timeout`).
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let received = self.received();
            if received.len() >= n {
                return received;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "expected {n} messages, got {} after {timeout:?}",
                received.len()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}
