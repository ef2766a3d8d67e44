//! Extractors that turn request extensions into typed values for handlers.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload};

use crate::problem::ApiError;
use crate::registry::{Caller, Role};

/// The request id of this request (set by `request_id` middleware).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

impl FromRequest for RequestId {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<RequestId>()
                .cloned()
                .ok_or_else(|| ApiError::Internal("request id middleware missing".to_owned())),
        )
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Caller>()
                .cloned()
                .ok_or(ApiError::ClientCertificateRequired),
        )
    }
}

/// A caller with the operator role; any other caller is refused with 403.
#[derive(Debug, Clone)]
pub struct Operator(pub Caller);

impl FromRequest for Operator {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let caller = req.extensions().get::<Caller>().cloned();
        ready(match caller {
            Some(caller) if caller.role == Role::Operator => Ok(Operator(caller)),
            Some(caller) => Err(ApiError::Forbidden(format!(
                "`{}` is a platform; this route is for operators",
                caller.id
            ))),
            None => Err(ApiError::ClientCertificateRequired),
        })
    }
}
