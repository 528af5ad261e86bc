//! A TCP proxy on loopback in front of a real server, to make that server slow or make its
//! connections fail without touching it: `slow` holds every answer of the server for a
//! while; `cut` resets each connection the next time its client speaks, and every new one
//! at once; `pass` forwards as it came.
//!
//! A cut never falls between a server's answer and its client: the server's bytes are
//! always passed on, so that what the server accepted, its client hears about (otherwise a
//! mail accepted by the SMTP server would look failed to the sender and be sent again).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What the proxy does to the traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Forwards both ways.
    Pass,
    /// Holds each chunk the server sends for this long before passing it on.
    Slow(Duration),
    /// Resets connections: new ones at once, open ones when their client next speaks.
    Cut,
}

/// A running proxy; dropping it leaves the listener running until the test ends.
#[derive(Clone)]
pub struct FaultyProxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    mode: Arc<watch::Sender<Mode>>,
}

impl FaultyProxy {
    /// Starts a proxy to `upstream` on a free loopback port, passing traffic. Not async, so
    /// that it can be set up while a test app's environment is being written; it must be
    /// called inside the test's runtime.
    pub fn start(upstream: SocketAddr) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        listener.set_nonblocking(true).expect("non-blocking");
        let listener = TcpListener::from_std(listener).expect("a tokio listener");
        let addr = listener.local_addr().expect("proxy address");
        let (mode, _) = watch::channel(Mode::Pass);
        let mode = Arc::new(mode);
        let modes = mode.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let mode = modes.subscribe();
                tokio::spawn(relay(client, upstream, mode));
            }
        });
        Self { addr, mode }
    }

    /// Switches to `mode`; connections held up by a slow answer go on at once when it ends.
    pub fn set(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }

    /// Forwards as it came.
    pub fn pass(&self) {
        self.set(Mode::Pass);
    }

    /// Holds every answer of the server for `delay`.
    pub fn slow(&self, delay: Duration) {
        self.set(Mode::Slow(delay));
    }

    /// Resets connections until [`FaultyProxy::pass`].
    pub fn cut(&self) {
        self.set(Mode::Cut);
    }
}

async fn relay(client: TcpStream, upstream: SocketAddr, mode: watch::Receiver<Mode>) {
    if *mode.borrow() == Mode::Cut {
        reset(client);
        return;
    }
    let Ok(server) = TcpStream::connect(upstream).await else {
        reset(client);
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();

    let mut answers_mode = mode.clone();
    let answers = async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match server_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            hold_while_slow(&mut answers_mode).await;
            if client_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = client_write.shutdown().await;
    };
    let requests = async move {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if *mode.borrow() == Mode::Cut {
                return Some(client_read);
            }
            if server_write.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = server_write.shutdown().await;
        None
    };
    let answers = tokio::spawn(answers);
    if let Some(client_read) = requests.await {
        // The client spoke during a cut: reset it (the server's side closes with the task).
        let _ = client_read.as_ref().set_zero_linger();
        answers.abort();
        let _ = answers.await;
    } else {
        let _ = answers.await;
    }
}

/// Waits out the slow mode's delay for one chunk; a switch of mode ends the wait early.
async fn hold_while_slow(mode: &mut watch::Receiver<Mode>) {
    let Mode::Slow(delay) = *mode.borrow_and_update() else {
        return;
    };
    tokio::select! {
        () = tokio::time::sleep(delay) => {}
        _ = mode.changed() => {}
    }
}

/// Closes with a TCP reset rather than a clean end, as a crashed peer or a cut cable would.
fn reset(stream: TcpStream) {
    let _ = stream.set_zero_linger();
    drop(stream);
}
