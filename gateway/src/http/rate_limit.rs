//! Per-caller token buckets: a sustained rate with a burst allowance, per gateway instance.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, ResponseError, web};

use super::AppState;
use crate::config::RateLimitSettings;
use crate::problem::ApiError;
use crate::registry::{Caller, PlatformId};

/// Token buckets keyed by caller. The key space is the registry, so it stays small.
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<PlatformId, Bucket>>,
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl RateLimiter {
    /// A limiter with the configured rate; a rate of 0 admits everything.
    pub fn new(settings: &RateLimitSettings) -> Self {
        RateLimiter {
            rate: f64::from(settings.requests_per_second),
            burst: f64::from(settings.burst),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `caller` at `now`; on refusal, the whole seconds until one is available.
    pub fn acquire(&self, caller: &PlatformId, now: Instant) -> Result<(), u64> {
        if self.rate <= 0.0 {
            return Ok(());
        }
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let bucket = buckets.entry(caller.clone()).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.rate).min(self.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - bucket.tokens) / self.rate;
            Err(wait.ceil().max(1.0) as u64)
        }
    }
}

/// Middleware: refuses with 429 and `Retry-After` when the caller's bucket is empty.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let caller = req.extensions().get::<Caller>().map(|c| c.id.clone());
    let state = req.app_data::<web::Data<AppState>>().cloned();
    if let (Some(caller), Some(state)) = (caller, state)
        && let Err(retry_after_secs) = state.limiter.acquire(&caller, Instant::now())
    {
        state
            .metrics
            .rate_limited
            .with_label_values(&[caller.as_str()])
            .inc();
        let refusal = ApiError::RateLimited { retry_after_secs };
        return Ok(req
            .into_response(refusal.error_response())
            .map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn bucket_refills_at_the_rate() {
        let limiter = RateLimiter::new(&RateLimitSettings {
            requests_per_second: 2,
            burst: 3,
        });
        let id: PlatformId = "jiangsu".parse().expect("id");
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.acquire(&id, t0), Ok(()));
        }
        assert_eq!(limiter.acquire(&id, t0), Err(1));
        assert_eq!(
            limiter.acquire(&id, t0 + Duration::from_millis(500)),
            Ok(())
        );
        assert_eq!(
            limiter.acquire(&id, t0 + Duration::from_millis(500)),
            Err(1)
        );
    }

    #[test]
    fn zero_rate_admits_everything() {
        let limiter = RateLimiter::new(&RateLimitSettings {
            requests_per_second: 0,
            burst: 0,
        });
        let id: PlatformId = "zhejiang".parse().expect("id");
        for _ in 0..1000 {
            assert_eq!(limiter.acquire(&id, Instant::now()), Ok(()));
        }
    }
}
