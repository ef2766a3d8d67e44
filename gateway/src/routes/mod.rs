//! The route table: one list of (method, path, handler) that registers the routes and that the
//! OpenAPI test reads, so the description cannot drift from what is served.

mod admin;
pub(crate) mod announcements;
mod bridge;
mod health;
pub(crate) mod interchange;
mod openapi;
mod subscriptions;
mod whoami;

use actix_web::http::Method;
use actix_web::middleware::from_fn;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};

use crate::problem::ApiError;

macro_rules! route_table {
    ($($path:literal => { $($method:ident : $handler:path),+ $(,)? }),+ $(,)?) => {
        /// Every route of the API listener as (method, path pattern).
        pub const ROUTES: &[(&str, &str)] = &[$($((stringify!($method), $path)),+),+];

        /// Registers every route of the API listener.
        pub fn api(cfg: &mut web::ServiceConfig) {
            $(
                cfg.service(
                    web::resource($path)
                        $(.route(web::method(Method::$method).to($handler)))+
                        .default_service(web::to(method_not_allowed))
                        .wrap(from_fn(crate::http::timeout::middleware)),
                );
            )+
        }
    };
}

route_table! {
    "/healthz" => { GET: health::alive },
    "/readyz" => { GET: health::ready },
    "/openapi.json" => { GET: openapi::document },
    "/v1/whoami" => { GET: whoami::get },
    "/v1/admin/platforms" => { GET: admin::list_platforms },
    "/v1/admin/platforms/{id}" => { GET: admin::get_platform },
    "/v1/admin/platforms/{id}/suspend" => { POST: admin::suspend },
    "/v1/admin/platforms/{id}/resume" => { POST: admin::resume },
    "/v1/admin/platforms/{id}/certificate" => { PUT: admin::rotate_certificate },
    "/v1/admin/audit" => { GET: admin::audit },
    "/v1/translate" => { POST: interchange::translate },
    "/v1/validate" => { POST: interchange::validate },
    "/v1/dialects" => { GET: interchange::dialects },
    "/v1/schemas/{path:.*}" => { GET: interchange::schema },
    "/v1/announcements" => { POST: announcements::publish, GET: announcements::search },
    "/v1/announcements/{id}" => { GET: announcements::get },
    "/v1/announcements/{id}/versions" => { GET: announcements::versions },
    "/v1/announcements/{id}/versions/{version}" => { GET: announcements::get_version },
    "/v1/announcements/{id}/original" => { GET: announcements::original },
    "/v1/feed" => { GET: announcements::feed },
    "/v1/subscriptions/self" => { PUT: subscriptions::put, GET: subscriptions::get, DELETE: subscriptions::delete },
    "/v1/deliveries" => { GET: subscriptions::list_own },
    "/v1/deliveries/{id}/retry" => { POST: subscriptions::retry_own },
    "/v1/admin/deliveries" => { GET: subscriptions::list_all },
    "/v1/admin/deliveries/{id}/retry" => { POST: subscriptions::retry_any },
    "/v1/certificates/verify" => { POST: bridge::verify_certificate },
    "/v1/trust-list" => { GET: bridge::trust_list },
    "/v1/admin/trust-list" => { PUT: bridge::install_trust_list },
    "/v1/crls" => { GET: bridge::list_crls, POST: bridge::upload_crl },
    "/v1/signatures/verify" => { POST: bridge::verify_signature },
    "/v1/receipts/certificate" => { GET: bridge::receipt_certificate },
    "/v1/receipts/{id}" => { GET: bridge::get_receipt },
}

/// Registers the routes of the plain-HTTP metrics listener.
pub fn metrics_listener(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/metrics")
            .route(web::get().to(health::metrics))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/healthz")
            .route(web::get().to(health::alive))
            .default_service(web::to(method_not_allowed)),
    )
    .service(
        web::resource("/readyz")
            .route(web::get().to(health::ready))
            .default_service(web::to(method_not_allowed)),
    );
}

async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    ApiError::MethodNotAllowed(req.method().to_string()).error_response()
}

/// The answer for paths that match no route.
pub async fn no_route(req: HttpRequest) -> HttpResponse {
    ApiError::NoRoute(format!("{} {}", req.method(), req.path())).error_response()
}

/// The OpenAPI description served at `/openapi.json` (kept in `schemas/openapi.json`).
pub const OPENAPI: &str = include_str!("../../../schemas/openapi.json");
