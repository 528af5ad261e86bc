//! The real `charity-relay serve` as a child process, for tests that kill it the way an
//! operating system or an operator would.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running `serve` process.
pub struct ServeProcess {
    /// Its base URL, `http://127.0.0.1:PORT`.
    pub url: String,
    child: Option<Child>,
}

impl ServeProcess {
    /// Starts `serve` with exactly `env` (plus PATH), its logs appended to `log`, and waits
    /// until it says where it listens.
    pub async fn start(env: &HashMap<String, String>, log: &Path) -> Self {
        Self::start_binary(Path::new(env!("CARGO_BIN_EXE_charity-relay")), env, log, None).await
    }

    /// [`ServeProcess::start`], under `umask` (octal, as the shell takes it) when given.
    pub async fn start_with_umask(env: &HashMap<String, String>, log: &Path, umask: Option<&str>) -> Self {
        Self::start_binary(Path::new(env!("CARGO_BIN_EXE_charity-relay")), env, log, umask).await
    }

    /// [`ServeProcess::start`] with another build of the binary (the release one, say).
    pub async fn start_binary(binary: &Path, env: &HashMap<String, String>, log: &Path, umask: Option<&str>) -> Self {
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("open the server log");
        let mut command = match umask {
            // The shell sets the mask, then becomes the server (same pid, so kill works).
            Some(mask) => {
                let mut sh = Command::new("sh");
                sh.arg("-c")
                    .arg(format!("umask {mask} && exec \"$0\" serve"))
                    .arg(binary);
                sh
            }
            None => {
                let mut serve = Command::new(binary);
                serve.arg("serve");
                serve
            }
        };
        let mut child = command
            .env_clear()
            .envs(env)
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("RUST_LOG", env.get("RUST_LOG").map_or("warn", String::as_str))
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .expect("spawn serve");
        let mut stdout = child.stdout.take().expect("stdout");
        // Read the address line, then keep draining stdout so the server never blocks on it.
        let (found, address) = tokio::sync::oneshot::channel();
        std::thread::spawn(move || {
            let mut seen = Vec::new();
            let mut byte = [0u8; 1];
            let mut found = Some(found);
            while stdout.read(&mut byte).unwrap_or(0) == 1 {
                seen.push(byte[0]);
                if byte[0] == b'\n' {
                    let line = String::from_utf8_lossy(&seen).into_owned();
                    if let Some(url) = line.trim().strip_prefix("charity-relay listening on ")
                        && let Some(tell) = found.take()
                    {
                        let _ = tell.send(url.to_owned());
                    }
                    seen.clear();
                }
            }
        });
        let url = tokio::time::timeout(Duration::from_secs(30), address)
            .await
            .expect("serve starts within 30 s")
            .unwrap_or_else(|_| panic!("serve exited before listening; see {}", log.display()));
        Self {
            url,
            child: Some(child),
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// SIGKILL: no shutdown code runs, as when the machine or the OOM killer ends it.
    pub async fn kill_9(mut self) {
        let mut child = self.child.take().expect("running");
        child.kill().expect("SIGKILL");
        let _ = tokio::task::spawn_blocking(move || child.wait()).await;
    }

    /// SIGTERM, then waits for a clean exit.
    pub async fn stop(mut self) {
        let mut child = self.child.take().expect("running");
        let signalled = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(signalled.success());
        let status = tokio::task::spawn_blocking(move || child.wait())
            .await
            .expect("join")
            .expect("wait");
        assert!(status.success(), "serve stops cleanly on SIGTERM: {status}");
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        // A failing test must not leave a server running.
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
