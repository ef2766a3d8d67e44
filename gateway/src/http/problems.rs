//! Turns any error response that is not yet a problem document into one.
//!
//! Handlers and extractors already answer with problem documents; this catches what the framework
//! produces on its own (405 from a resource, 413 and 400 from body extractors, 404 defaults).

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::middleware::Next;
use actix_web::{Error, web};

use super::AppState;
use crate::problem::{PROBLEM_JSON, Problem};

/// Middleware: rewrites non-problem error responses.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<BoxBody>>, Error> {
    let res = next.call(req).await?;
    let status = res.status();
    let is_problem = res
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return Ok(res.map_body(|_, body| EitherBody::left(body.boxed())));
    }
    let (request, response) = res.into_parts();
    let limit = request
        .app_data::<web::Data<AppState>>()
        .map(|s| s.settings.limits.max_body_bytes);
    let cause = response.error().map(ToString::to_string);
    let problem = match status {
        StatusCode::NOT_FOUND => Problem::new(
            "no-route",
            "No such route",
            status,
            format!("no route for {} {}", request.method(), request.path()),
        ),
        StatusCode::METHOD_NOT_ALLOWED => Problem::new(
            "method-not-allowed",
            "Method not allowed",
            status,
            format!(
                "method {} is not allowed on {}",
                request.method(),
                request.path()
            ),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => Problem::new(
            "payload-too-large",
            "Request body too large",
            status,
            match limit {
                Some(limit) => format!("the request body exceeds {limit} bytes"),
                None => "the request body is too large".to_owned(),
            },
        ),
        _ => Problem::new(
            if status.is_client_error() {
                "bad-request"
            } else {
                "internal"
            },
            status.canonical_reason().unwrap_or("Error"),
            status,
            match (status.is_client_error(), cause) {
                (true, Some(cause)) => cause,
                _ => status.canonical_reason().unwrap_or("error").to_owned(),
            },
        ),
    };
    let mut rewritten = problem.response();
    for (name, value) in response.headers() {
        if name != CONTENT_TYPE && name != actix_web::http::header::CONTENT_LENGTH {
            rewritten.headers_mut().insert(name.clone(), value.clone());
        }
    }
    Ok(ServiceResponse::new(request, rewritten).map_into_right_body())
}
