//! The generator against the in-process hello-world server (never asserts on speed).

use std::time::Duration;

use url::Url;

use super::baseline;
use super::runner::{RunSpec, run};
use super::workload::Job;

fn spec(concurrency: usize) -> RunSpec {
    RunSpec {
        concurrency,
        warmup: Duration::from_millis(200),
        duration: Duration::from_secs(1),
        request_timeout: Duration::from_secs(5),
        setup_timeout: Duration::from_secs(5),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generator_drives_the_baseline_without_errors() {
    super::install_crypto_provider();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(baseline::serve(listener));
    let job = Job::Baseline(Url::parse(&format!("http://{addr}/")).unwrap());

    let result = run(&job, &spec(4)).await;
    server.abort();

    let summary = result.summary();
    assert_eq!(summary.errors, 0, "{:?}", summary.error_kinds);
    assert_eq!(summary.ready, 4);
    assert!(summary.ops > 0);
    assert!(summary.ops_per_s > 0.0);
    assert_eq!(result.histogram.count(), result.ops);
    assert_eq!(
        result.requests, result.ops,
        "one request per baseline iteration"
    );
    let (p50, p99) = (summary.p50_ms.unwrap(), summary.p99_ms.unwrap());
    assert!(p50 > 0.0 && p50 <= p99);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transport_errors_are_counted_not_hidden() {
    super::install_crypto_provider();
    // Bind then drop: nothing listens on this port any more.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let job = Job::Baseline(Url::parse(&format!("http://{addr}/")).unwrap());
    let mut spec = spec(2);
    spec.warmup = Duration::ZERO;
    spec.duration = Duration::from_millis(300);

    let summary = run(&job, &spec).await.summary();
    assert_eq!(summary.ops, 0);
    assert!(summary.errors > 0);
    assert_eq!(
        summary.error_kinds[0].kind,
        "baseline: transport error (connect)"
    );
}
