//! Criterion benches of `ostiary-redirect`: registration (the rules and the canonical-form check) of a
//! typical redirect URI, matching a requested URI against 1, 10 and 100 registered ones (a hit on the last
//! one and a miss) in both match modes, and building the authorization response.
// Bench setup uses fixed, known-valid inputs: a failure there should stop the bench loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ostiary_redirect::{MatchMode, RegisteredRedirectUri, match_redirect_uri};

const TYPICAL: &str = "https://client.example/oauth/callback?tenant=acme";
const SIZES: [usize; 3] = [1, 10, 100];

fn bench_register(c: &mut Criterion) {
    let mut group = c.benchmark_group("redirect/register");
    for (name, uri) in [
        ("https_typical", TYPICAL),
        ("loopback", "http://127.0.0.1:3000/callback"),
        // Refused by the canonical-form rule, the last one checked: the error path's full cost.
        (
            "not_canonical",
            "HTTPS://Client.Example:443/oauth/callback?tenant=acme",
        ),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| RegisteredRedirectUri::parse(black_box(uri)))
        });
    }
    group.finish();
}

/// `n` registered URIs that share host and length and differ only at the end, so every comparison runs
/// to the last bytes.
fn registered(prefix: &str, n: usize) -> Vec<RegisteredRedirectUri> {
    (0..n)
        .map(|i| {
            RegisteredRedirectUri::parse(&format!("{prefix}/callback/{i:03}?tenant=acme")).unwrap()
        })
        .collect()
}

fn bench_match(
    c: &mut Criterion,
    group_name: &str,
    prefix: &str,
    hit_prefix: &str,
    mode: MatchMode,
) {
    let mut group = c.benchmark_group(group_name);
    for n in SIZES {
        let set = registered(prefix, n);
        let hit = format!("{hit_prefix}/callback/{:03}?tenant=acme", n - 1);
        let miss = format!("{hit_prefix}/callback/xyz?tenant=acme");
        assert!(match_redirect_uri(&set, &hit, mode).is_ok());
        assert!(match_redirect_uri(&set, &miss, mode).is_err());
        group.bench_with_input(BenchmarkId::new("hit_last", n), &hit, |b, hit| {
            b.iter(|| match_redirect_uri(black_box(&set), black_box(hit), mode));
        });
        group.bench_with_input(BenchmarkId::new("miss", n), &miss, |b, miss| {
            b.iter(|| match_redirect_uri(black_box(&set), black_box(miss), mode));
        });
    }
    group.finish();
}

fn bench_match_exact(c: &mut Criterion) {
    let https = "https://client.example";
    bench_match(c, "redirect/match_exact", https, https, MatchMode::Exact);
}

fn bench_match_loopback(c: &mut Criterion) {
    // Non-loopback URIs: what the opt-in mode costs a client that has https URIs only.
    let https = "https://client.example";
    bench_match(
        c,
        "redirect/match_loopback_any_port/https",
        https,
        https,
        MatchMode::LoopbackAnyPort,
    );
    // Loopback URIs requested on another port: every registered URI goes through the port-insensitive
    // comparison.
    bench_match(
        c,
        "redirect/match_loopback_any_port/other_port",
        "http://127.0.0.1:3000",
        "http://127.0.0.1:51004",
        MatchMode::LoopbackAnyPort,
    );
}

fn bench_response(c: &mut Criterion) {
    let set = [RegisteredRedirectUri::parse(TYPICAL).unwrap()];
    let verified = match_redirect_uri(&set, TYPICAL, MatchMode::Exact).unwrap();
    let code = "Nf3rKJv0w1XxP8y2ZbQm4TgH7sLcAe9UdVoWiYpR6Ek";
    let mut group = c.benchmark_group("redirect/response");
    group.bench_function("authorization_success", |b| {
        b.iter(|| {
            black_box(&verified).authorization_success(
                black_box(code),
                Some(black_box("af0ifjsldkj")),
                black_box("https://auth.platform.example"),
            )
        });
    });
    group.finish();
}

criterion_group!(
    benches,
    bench_register,
    bench_match_exact,
    bench_match_loopback,
    bench_response
);
criterion_main!(benches);
