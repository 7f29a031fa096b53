//! The shared middleware in a real actix app (in-process test service):
//! request ids kept or generated and echoed, on every log line of the
//! request, reachable from handlers; metrics by route pattern and status.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, test, web};
use idmap_web::metrics::{self, Metrics};
use idmap_web::request_id::{self, RequestId};
use idmap_web::{LogFormat, current_request_id, logging};

async fn item(id: RequestId, path: web::Path<u32>) -> HttpResponse {
    tracing::info!(item = *path, "handler ran");
    HttpResponse::Ok().json(serde_json::json!({
        "extractor": id.as_str(),
        "task_local": current_request_id(),
    }))
}

fn app(
    metrics: web::Data<Metrics>,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(metrics)
        .wrap(from_fn(metrics::track))
        .wrap(from_fn(request_id::request_context))
        .route("/items/{id}", web::get().to(item))
        .route("/metrics", web::get().to(metrics::get_metrics))
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[actix_web::test]
async fn an_incoming_request_id_is_echoed_reaches_handlers_and_every_log_line() {
    let logs = Captured::default();
    let writer = logs.clone();
    let _guard = logging::scoped(LogFormat::Json, "info", move || writer.clone());
    let svc = test::init_service(app(web::Data::new(Metrics::new().unwrap()))).await;
    let req = test::TestRequest::get()
        .uri("/items/7")
        .insert_header(("X-Request-Id", "abc-123"))
        .to_request();
    let res = test::call_service(&svc, req).await;
    assert_eq!(res.headers().get("x-request-id").unwrap(), "abc-123");
    let body: serde_json::Value = test::read_body_json(res).await;
    assert_eq!(body["extractor"], "abc-123");
    assert_eq!(body["task_local"], "abc-123");

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let messages: Vec<&str> = lines
        .iter()
        .map(|l| l["fields"]["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages, ["handler ran", "request finished"], "{text}");
    for line in &lines {
        assert_eq!(line["span"]["request_id"], "abc-123", "{line}");
    }
    assert_eq!(lines[1]["fields"]["status"], 200);
}

#[actix_web::test]
async fn a_missing_or_unsafe_request_id_is_replaced() {
    let svc = test::init_service(app(web::Data::new(Metrics::new().unwrap()))).await;
    for incoming in [None, Some("two words"), Some("")] {
        let mut req = test::TestRequest::get().uri("/items/1");
        if let Some(v) = incoming {
            req = req.insert_header(("X-Request-Id", v));
        }
        let res = test::call_service(&svc, req.to_request()).await;
        let id = res
            .headers()
            .get("x-request-id")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(id.len(), 32, "{id}");
        let body: serde_json::Value = test::read_body_json(res).await;
        assert_eq!(body["extractor"], id.as_str());
    }
}

#[actix_web::test]
async fn metrics_count_by_route_pattern_and_status() {
    let metrics = web::Data::new(Metrics::new().unwrap());
    let svc = test::init_service(app(metrics.clone())).await;
    for uri in [
        "/items/1",
        "/items/2",
        "/items/x",
        "/nowhere/1",
        "/nowhere/2",
    ] {
        test::call_service(&svc, test::TestRequest::get().uri(uri).to_request()).await;
    }
    let res = test::call_service(&svc, test::TestRequest::get().uri("/metrics").to_request()).await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
    let has = |s: &str| assert!(text.contains(s), "missing {s} in\n{text}");
    has(r#"http_requests_total{method="GET",route="/items/{id}",status="200"} 2"#);
    has(r#"http_requests_total{method="GET",route="/items/{id}",status="404"} 1"#);
    has(r#"http_requests_total{method="GET",route="unmatched",status="404"} 2"#);
    has(
        r#"http_request_duration_seconds_bucket{method="GET",route="/items/{id}",status="200",le="+Inf"} 2"#,
    );
    has(r#"http_request_duration_seconds_count{method="GET",route="/items/{id}",status="200"} 2"#);
    assert!(
        !text.contains("/items/1"),
        "raw paths must not become labels"
    );
}
