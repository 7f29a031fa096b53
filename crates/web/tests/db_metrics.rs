//! Database metrics in a real actix app over a real SQLite pool: the pool
//! gauges under the service's prefix, and failures counted by the kind the
//! service's classifier gives (other errors left alone).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, ResponseError, test, web};
use idmap_storage::testing::TestDatabase;
use idmap_storage::{Backend, Database};
use idmap_web::metrics::{self, Metrics};
use idmap_web::{DbMetrics, db_metrics};

#[derive(Debug)]
struct DbDown;

impl std::fmt::Display for DbDown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("database down")
    }
}

impl ResponseError for DbDown {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::SERVICE_UNAVAILABLE
    }
}

fn classify(e: &actix_web::Error) -> Option<&'static str> {
    e.as_error::<DbDown>().map(|_| "unavailable")
}

async fn failing() -> Result<HttpResponse, DbDown> {
    Err(DbDown)
}

async fn refused() -> Result<HttpResponse, actix_web::Error> {
    Err(actix_web::error::ErrorBadRequest("not a database failure"))
}

#[actix_web::test]
async fn pool_gauges_and_classified_failures_under_the_prefix() {
    let test_db = TestDatabase::create(Backend::Sqlite).unwrap();
    let db = Database::connect(&test_db.database_url(), 3).unwrap();
    let registry = Metrics::new().unwrap();
    let db_metrics = DbMetrics::register(&registry, "svc", db, classify).unwrap();
    let svc = test::init_service(
        App::new()
            .app_data(web::Data::new(registry))
            .app_data(web::Data::new(db_metrics))
            .wrap(from_fn(db_metrics::count_db_errors))
            .route("/fail", web::get().to(failing))
            .route("/refuse", web::get().to(refused))
            .route("/metrics", web::get().to(metrics::get_metrics)),
    )
    .await;
    for uri in ["/fail", "/fail", "/refuse"] {
        test::call_service(&svc, test::TestRequest::get().uri(uri).to_request()).await;
    }
    let res = test::call_service(&svc, test::TestRequest::get().uri("/metrics").to_request()).await;
    let text = String::from_utf8(test::read_body(res).await.to_vec()).unwrap();
    let has = |s: &str| assert!(text.contains(s), "missing {s} in\n{text}");
    has(r#"svc_db_errors_total{kind="unavailable"} 2"#);
    has(r#"svc_db_pool_connections{state="in_use"}"#);
    has(r#"svc_db_pool_connections{state="idle"}"#);
    has("svc_db_pool_max_connections 3");
    assert_eq!(text.matches("svc_db_errors_total{").count(), 1, "{text}");
}
