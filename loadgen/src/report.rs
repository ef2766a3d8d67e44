//! Summaries of the runs: a table for people and one JSON line for notes.

use std::time::Duration;

use crate::load::LoadResult;

/// Throughput and latency of one measured run.
#[derive(Debug, Clone)]
pub(crate) struct Summary {
    /// Operations that succeeded.
    pub(crate) ok: usize,
    /// Operations that failed.
    pub(crate) failed: usize,
    /// Successful operations per second of wall time.
    pub(crate) per_sec: f64,
    /// Median latency.
    pub(crate) p50: Duration,
    /// 99th percentile latency.
    pub(crate) p99: Duration,
    /// Slowest operation.
    pub(crate) max: Duration,
}

impl Summary {
    /// Summarises a run (sorts its latencies).
    pub(crate) fn of(result: &mut LoadResult) -> Self {
        result.latencies.sort_unstable();
        let secs = result.elapsed.as_secs_f64();
        let ok = result.latencies.len();
        Summary {
            ok,
            failed: result.failures.len(),
            per_sec: if secs > 0.0 { ok as f64 / secs } else { 0.0 },
            p50: percentile(&result.latencies, 50.0),
            p99: percentile(&result.latencies, 99.0),
            max: result.latencies.last().copied().unwrap_or_default(),
        }
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "ok": self.ok,
            "failed": self.failed,
            "per_sec": round(self.per_sec, 1),
            "p50_ms": ms(self.p50),
            "p99_ms": ms(self.p99),
            "max_ms": ms(self.max),
        })
    }
}

/// The latency at percentile `p` (0-100, nearest rank) of sorted latencies.
pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

fn ms(d: Duration) -> f64 {
    round(d.as_secs_f64() * 1000.0, 3)
}

/// Everything one `loadgen publish` run measured.
#[derive(Debug, Clone)]
pub(crate) struct Report {
    /// `sqlite` or `postgres`, with `+nosync` for the variation without disk flushes.
    pub(crate) backend: String,
    /// Measured requests (after warm-up).
    pub(crate) requests: usize,
    /// Requests in flight (and baseline threads).
    pub(crate) concurrency: usize,
    /// `POST /v1/announcements` over mutual TLS.
    pub(crate) http: Summary,
    /// `publish` on one connection, one insert after another.
    pub(crate) raw_sequential: Summary,
    /// `publish` from `concurrency` threads through the pool.
    pub(crate) raw_pooled: Summary,
    /// Documents prepared per second on one thread (validate, translate, hash: what a request
    /// does besides TLS, HTTP and the insert).
    pub(crate) prepare_per_sec: f64,
}

impl Report {
    /// HTTP throughput over the raw sequential insert rate.
    pub(crate) fn ratio_sequential(&self) -> f64 {
        ratio(self.http.per_sec, self.raw_sequential.per_sec)
    }

    /// HTTP throughput over the raw pooled insert rate.
    pub(crate) fn ratio_pooled(&self) -> f64 {
        ratio(self.http.per_sec, self.raw_pooled.per_sec)
    }

    /// The human-readable table.
    pub(crate) fn table(&self) -> String {
        let row = |name: &str, c: usize, s: &Summary| {
            format!(
                "{:<17} {:<20} {:>6} {:>4} {:>10.1} {:>9.2} {:>9.2} {:>9.2} {:>6}\n",
                self.backend,
                name,
                s.ok,
                c,
                s.per_sec,
                ms(s.p50),
                ms(s.p99),
                ms(s.max),
                s.failed,
            )
        };
        let mut out = format!(
            "{:<17} {:<20} {:>6} {:>4} {:>10} {:>9} {:>9} {:>9} {:>6}\n",
            "backend", "path", "ops", "conc", "ops/s", "p50 ms", "p99 ms", "max ms", "failed"
        );
        out += &row("http POST (mTLS)", self.concurrency, &self.http);
        out += &row("raw publish, 1 conn", 1, &self.raw_sequential);
        out += &row("raw publish, pool", self.concurrency, &self.raw_pooled);
        out += &format!(
            "ratio http/raw: {:.3} (vs 1 connection), {:.3} (vs pool); \
             prepare (validate, translate, hash), 1 thread: {:.0}/s\n",
            self.ratio_sequential(),
            self.ratio_pooled(),
            self.prepare_per_sec
        );
        out
    }

    /// The same as one JSON object.
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "bench": "publish",
            "backend": self.backend,
            "requests": self.requests,
            "concurrency": self.concurrency,
            "http": self.http.json(),
            "raw_sequential": self.raw_sequential.json(),
            "raw_pooled": self.raw_pooled.json(),
            "ratio_http_raw_sequential": round(self.ratio_sequential(), 3),
            "ratio_http_raw_pooled": round(self.ratio_pooled(), 3),
            "prepare_per_sec": round(self.prepare_per_sec, 1),
        })
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&v, 50.0), Duration::from_millis(50));
        assert_eq!(percentile(&v, 99.0), Duration::from_millis(99));
        assert_eq!(percentile(&v, 100.0), Duration::from_millis(100));
        assert_eq!(percentile(&[], 50.0), Duration::ZERO);
    }
}
