//! Graceful shutdown: one signal that every part of the gateway can wait for.
//!
//! Why this module exists: on SIGTERM the gateway must turn unready first (so load balancers stop
//! sending), keep serving for `server.drain_secs`, let in-flight requests finish, and only then
//! stop its background workers, each after the unit of work it is doing. A `watch` channel (not a
//! `Notify`) makes the request visible to a worker that was busy when it was made.

use tokio::sync::watch;

/// Requests the shutdown (held by the application).
#[derive(Debug)]
pub struct Trigger(watch::Sender<bool>);

/// Observes the shutdown request; cheap to clone.
#[derive(Debug, Clone)]
pub struct Shutdown(watch::Receiver<bool>);

/// A new trigger and its observer.
pub fn channel() -> (Trigger, Shutdown) {
    let (tx, rx) = watch::channel(false);
    (Trigger(tx), Shutdown(rx))
}

impl Trigger {
    /// Requests the shutdown (idempotent).
    pub fn request(&self) {
        self.0.send_replace(true);
    }
}

impl Shutdown {
    /// True once the shutdown was requested: readiness is false from then on.
    pub fn is_requested(&self) -> bool {
        *self.0.borrow()
    }

    /// Completes when the shutdown is requested (at once if it already was).
    pub async fn requested(&self) {
        let mut rx = self.0.clone();
        // An error means the trigger is gone: the application is ending anyway.
        let _ = rx.wait_for(|requested| *requested).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_made_while_nobody_waits_is_still_seen() {
        let (trigger, shutdown) = channel();
        assert!(!shutdown.is_requested());
        trigger.request();
        assert!(shutdown.is_requested());
        // Would hang with a Notify-based signal: the waiter arrives after the request.
        tokio::time::timeout(std::time::Duration::from_secs(1), shutdown.requested())
            .await
            .expect("completes at once");
    }
}
