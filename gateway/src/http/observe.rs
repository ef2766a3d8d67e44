//! Counts and times every API request by route pattern, method, status and platform.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, web};

use super::AppState;
use crate::registry::Caller;

/// Middleware: records `gateway_http_requests_total` and `gateway_http_request_duration_seconds`.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let res = next.call(req).await?;
    if let Some(state) = state {
        let request = res.request();
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        let method = method_label(request.method());
        let platform = request
            .extensions()
            .get::<Caller>()
            .map_or_else(|| "none".to_owned(), |c| c.id.to_string());
        let status = res.status().as_u16().to_string();
        state
            .metrics
            .http_requests
            .with_label_values(&[route.as_str(), method, status.as_str(), platform.as_str()])
            .inc();
        state
            .metrics
            .http_duration
            .with_label_values(&[route.as_str(), method])
            .observe(started.elapsed().as_secs_f64());
        tracing::info!(
            status = res.status().as_u16(),
            route = %route,
            platform = %platform,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "request served"
        );
    }
    Ok(res)
}

/// The method as a metric label: the standard methods, anything else (a client may send any
/// token) as `other`, so that the label's values stay bounded.
fn method_label(method: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method;
    const KNOWN: [(Method, &str); 9] = [
        (Method::GET, "GET"),
        (Method::POST, "POST"),
        (Method::PUT, "PUT"),
        (Method::DELETE, "DELETE"),
        (Method::PATCH, "PATCH"),
        (Method::HEAD, "HEAD"),
        (Method::OPTIONS, "OPTIONS"),
        (Method::CONNECT, "CONNECT"),
        (Method::TRACE, "TRACE"),
    ];
    KNOWN
        .iter()
        .find(|(m, _)| m == method)
        .map_or("other", |(_, label)| label)
}

#[cfg(test)]
mod tests {
    use super::method_label;
    use actix_web::http::Method;

    #[test]
    fn unknown_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::DELETE), "DELETE");
        let invented = Method::from_bytes(b"X-INVENTED-1234").expect("a token");
        assert_eq!(method_label(&invented), "other");
    }
}
