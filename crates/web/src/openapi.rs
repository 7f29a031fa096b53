//! `GET /openapi.json`, the same in both servers: the service's document
//! (utoipa's `OpenApi`) as pretty JSON, and the service's own answer to
//! any other method.

use actix_web::{HttpResponse, Route, web};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

/// The document of `D` as pretty JSON (also what `<server> openapi` prints).
pub fn document<D: OpenApi>() -> String {
    D::openapi().to_pretty_json().unwrap_or_else(|e| {
        tracing::error!(error = %e, "cannot render the OpenAPI document");
        String::from("{}")
    })
}

/// Registers `GET /openapi.json` serving `D`; `other_methods` answers the
/// rest in the service's error envelope.
pub fn configure<D: OpenApi + 'static>(cfg: &mut web::ServiceConfig, other_methods: Route) {
    cfg.service(
        web::resource("/openapi.json")
            .route(web::get().to(serve::<D>))
            .default_service(other_methods),
    );
}

/// The `bearer` security scheme both services name: a JWT access token
/// (RFC 9068); `description` says where it comes from.
pub fn bearer_scheme(description: &str) -> SecurityScheme {
    SecurityScheme::Http(
        HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some(description))
            .build(),
    )
}

async fn serve<D: OpenApi>() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document::<D>())
}
