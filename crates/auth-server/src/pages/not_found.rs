//! A 404 inside the user center is a page, not the JSON error body the
//! API paths answer: a person who mistyped `/accounts/...` or followed a
//! stale link to someone else's application gets a page with a way back.
//! One middleware rewrites every 404 under the page areas, whether the
//! path matched no route or a handler found nothing.

use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::web;

use super::state::PagesState;

/// Whether `path` belongs to the pages (the JSON user API does not).
pub fn is_page_path(path: &str) -> bool {
    let page_area = path == "/accounts"
        || path.starts_with("/accounts/")
        || path.starts_with("/oauth/applications/")
        || path.starts_with("/oauth/authorized_tokens/");
    page_area && !path.starts_with("/accounts/api/")
}

/// For `ErrorHandlers`: a 404 under a page area becomes the HTML page.
pub fn page_for_404<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let page = match res.request().app_data::<web::Data<PagesState>>() {
        Some(state) if is_page_path(res.request().path()) => state
            .templates
            .page(
                StatusCode::NOT_FOUND,
                "message.html",
                minijinja::context! {
                    title => "Page not found",
                    message => "There is no such page, or it is not yours to see. \
                                Check the address, or start again from your account.",
                    link => "/accounts/",
                    link_text => "Your account",
                },
            )
            .ok(),
        _ => None,
    };
    Ok(ErrorHandlerResponse::Response(match page {
        Some(page) => {
            let (req, _) = res.into_parts();
            ServiceResponse::new(req, page).map_into_right_body()
        }
        None => res.map_into_left_body(),
    }))
}

#[cfg(test)]
mod tests {
    use super::is_page_path;

    #[test]
    fn pages_but_not_the_json_api() {
        for page in [
            "/accounts",
            "/accounts/nope",
            "/accounts/login/extra/",
            "/oauth/applications/abc/",
            "/oauth/authorized_tokens/x/revoke/",
        ] {
            assert!(is_page_path(page), "{page}");
        }
        for api in [
            "/accounts/api/v1/nope",
            "/oauth/token",
            "/nope",
            "/admin/v1/x",
            "/accountsx",
        ] {
            assert!(!is_page_path(api), "{api}");
        }
    }
}
