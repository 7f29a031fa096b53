//! Server-rendered pages with minijinja: templates are compiled into the
//! binary (`templates/*.html`), HTML-escaped automatically, and rendered
//! into a response with a no-store, frame-denying set of headers.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header;
use minijinja::Environment;
use serde::Serialize;

use crate::error::ApiError;

/// The compiled templates.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// Loads every page; a broken template is a start-up error.
    pub fn new() -> Result<Self, minijinja::Error> {
        let mut env = Environment::new();
        env.add_template("base.html", include_str!("../../templates/base.html"))?;
        env.add_template("login.html", include_str!("../../templates/login.html"))?;
        env.add_template("consent.html", include_str!("../../templates/consent.html"))?;
        env.add_template("error.html", include_str!("../../templates/error.html"))?;
        Ok(Self { env })
    }

    /// Renders `name` with `ctx` into a page with `status`.
    pub fn page<S: Serialize>(
        &self,
        status: StatusCode,
        name: &str,
        ctx: S,
    ) -> Result<HttpResponse, ApiError> {
        let html = self
            .env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(ApiError::internal)?;
        Ok(HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::X_FRAME_OPTIONS, "DENY"))
            .insert_header((
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
            ))
            .body(html))
    }

    /// The error page of the authorization endpoint.
    pub fn error_page(&self, status: StatusCode, message: &str) -> Result<HttpResponse, ApiError> {
        self.page(
            status,
            "error.html",
            minijinja::context! { message => message },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_render_and_escape() {
        let t = Templates::new().unwrap();
        let r = t.error_page(StatusCode::BAD_REQUEST, "<script>").unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let html = t
            .env
            .get_template("error.html")
            .unwrap()
            .render(minijinja::context! { message => "<b>" })
            .unwrap();
        assert!(html.contains("&lt;b&gt;"));
    }
}
