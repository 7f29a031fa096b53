//! Server-rendered pages with minijinja: templates are compiled into the
//! binary (`templates/*.html`), HTML-escaped automatically, and rendered
//! into a response with a no-store, frame-denying set of headers: a CSP
//! without inline scripts or styles (the stylesheet is served by this
//! server), `X-Frame-Options: DENY`, `nosniff` and `no-referrer`.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError};
use minijinja::Environment;
use serde::Serialize;

use crate::error::ApiError;

/// Every page, by name.
const PAGES: [(&str, &str); 19] = [
    ("base.html", include_str!("../../templates/base.html")),
    ("login.html", include_str!("../../templates/login.html")),
    ("consent.html", include_str!("../../templates/consent.html")),
    ("error.html", include_str!("../../templates/error.html")),
    ("confirm.html", include_str!("../../templates/confirm.html")),
    ("message.html", include_str!("../../templates/message.html")),
    (
        "register.html",
        include_str!("../../templates/register.html"),
    ),
    ("home.html", include_str!("../../templates/home.html")),
    (
        "reset_request.html",
        include_str!("../../templates/reset_request.html"),
    ),
    (
        "reset_confirm.html",
        include_str!("../../templates/reset_confirm.html"),
    ),
    (
        "applications.html",
        include_str!("../../templates/applications.html"),
    ),
    (
        "application_form.html",
        include_str!("../../templates/application_form.html"),
    ),
    (
        "application.html",
        include_str!("../../templates/application.html"),
    ),
    (
        "application_delete.html",
        include_str!("../../templates/application_delete.html"),
    ),
    (
        "authorized_tokens.html",
        include_str!("../../templates/authorized_tokens.html"),
    ),
    (
        "authorized_token_revoke.html",
        include_str!("../../templates/authorized_token_revoke.html"),
    ),
    (
        "resource_user.html",
        include_str!("../../templates/resource_user.html"),
    ),
    (
        "resource_group.html",
        include_str!("../../templates/resource_group.html"),
    ),
    (
        "throttled.html",
        include_str!("../../templates/throttled.html"),
    ),
];

/// The compiled templates.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// Loads every page; a broken template is a start-up error.
    pub fn new() -> Result<Self, minijinja::Error> {
        let mut env = Environment::new();
        for (name, source) in PAGES {
            env.add_template(name, source)?;
        }
        Ok(Self { env })
    }

    /// Renders `name` with `ctx` into a page with `status`.
    pub fn page<S: Serialize>(
        &self,
        status: StatusCode,
        name: &str,
        ctx: S,
    ) -> Result<HttpResponse, ApiError> {
        self.page_posting_to(status, name, ctx, None)
    }

    /// Like [`Self::page`], for a page whose form may end in a redirect to
    /// `origin` (the consent form: browsers apply `form-action` to the
    /// redirect that follows a form post).
    pub fn page_posting_to<S: Serialize>(
        &self,
        status: StatusCode,
        name: &str,
        ctx: S,
        origin: Option<&str>,
    ) -> Result<HttpResponse, ApiError> {
        Ok(Self::respond(status, self.render(name, ctx)?, origin))
    }

    /// The error page saying `message`, as an answer.
    pub fn error_page(&self, status: StatusCode, message: &str) -> Result<HttpResponse, ApiError> {
        Ok(self.error(status, message)?.error_response())
    }

    /// The error page saying `message`, as an error: for a refusal made
    /// before a handler runs (an extractor's) or deep inside one.
    pub fn error(&self, status: StatusCode, message: &str) -> Result<ErrorPage, ApiError> {
        let html = self.render("error.html", minijinja::context! { message => message })?;
        Ok(ErrorPage { status, html })
    }

    fn render<S: Serialize>(&self, name: &str, ctx: S) -> Result<String, ApiError> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(ApiError::internal)
    }

    /// A rendered page with the headers every page carries.
    pub fn respond(status: StatusCode, html: String, origin: Option<&str>) -> HttpResponse {
        let csp = format!(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'{}; \
             frame-ancestors 'none'; base-uri 'none'",
            origin.map(|o| format!(" {o}")).unwrap_or_default()
        );
        HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::X_FRAME_OPTIONS, "DENY"))
            .insert_header((header::CONTENT_SECURITY_POLICY, csp))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .insert_header((header::REFERRER_POLICY, "no-referrer"))
            .body(html)
    }
}

/// A rendered error page and its status (see [`Templates::error`]).
#[derive(Debug, thiserror::Error)]
#[error("refused with an error page ({status})")]
pub struct ErrorPage {
    status: StatusCode,
    html: String,
}

impl ResponseError for ErrorPage {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        Templates::respond(self.status, self.html.clone(), None)
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
