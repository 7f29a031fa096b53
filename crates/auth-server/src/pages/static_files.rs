//! The user center's one stylesheet, compiled into the binary and served
//! at `/static/user-center.css` (no inline styles: the pages' CSP allows
//! styles from this origin only).

use actix_web::http::header;
use actix_web::{HttpResponse, web};

const CSS: &str = include_str!("../../static/user-center.css");

/// Registers the stylesheet's route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/static/user-center.css", web::get().to(get_css));
}

async fn get_css() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(CSS)
}
