//! proptest strategies: URI-like strings that exercise every rule, and URIs that pass them all.

use proptest::prelude::*;
use proptest::sample::select;

/// Strings shaped like URIs, mixing valid and invalid pieces for every rule: assembled from pieces, or a
/// registrable URI with tricky text spliced in or its case changed.
pub(crate) fn uri_like() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => uri_from_pieces(),
        2 => (registrable_uri(), prop::collection::vec((any::<prop::sample::Index>(), tricky_piece()), 1..3))
            .prop_map(|(uri, splices)| {
                let mut s = uri;
                for (at, piece) in splices {
                    let mut at = at.index(s.len() + 1);
                    while !s.is_char_boundary(at) {
                        at -= 1;
                    }
                    s.insert_str(at, piece);
                }
                s
            }),
        1 => (registrable_uri(), any::<prop::sample::Index>(), any::<prop::sample::Index>())
            .prop_map(|(uri, a, b)| {
                let (a, b) = (a.index(uri.len()), b.index(uri.len()));
                let (from, to) = (a.min(b), a.max(b));
                format!("{}{}{}", &uri[..from], uri[from..to].to_ascii_uppercase(), &uri[to..])
            }),
    ]
}

/// Text that breaks (or, sometimes, keeps) a rule when spliced into a URI.
fn tricky_piece() -> impl Strategy<Value = &'static str> {
    select(
        &[
            "*", "%2A", "%252a", "#", "#x", "@", "u@", " ", "\t", "\u{0}", "\\", "/..", "/.",
            "/%2e%2E", "%", "%zz", ":", ":443", ":80", ":0", "é", "\u{a0}", "\u{ff0a}", "{", "'",
            "\"", "?", "&", "=", "%7e", "%41", "%2F", ".", "..", "[", "]", "//", "/", "A", "-",
            "~", "+", "%00", "%C3%A9",
        ][..],
    )
}

fn uri_from_pieces() -> impl Strategy<Value = String> {
    let scheme = select(
        &[
            "https",
            "https",
            "https",
            "http",
            "http",
            "HTTPS",
            "Http",
            "javascript",
            "ftp",
            "",
            "h*",
        ][..],
    );
    let separator = select(
        &[
            "://", "://", "://", "://", "://", ":", ":///", ":/", "//", ":\\\\", ":// ",
        ][..],
    );
    let userinfo = select(&["", "", "", "", "", "", "u@", "@", "u:p@", ":@", "*@"][..]);
    let host = select(
        &[
            "client.example",
            "client.example",
            "localhost",
            "localhost",
            "127.0.0.1",
            "127.0.0.1",
            "[::1]",
            "[::1]",
            "Client.Example",
            "127.1",
            "x.localhost",
            "localhost.example",
            "*.a",
            "b\u{fc}cher.example",
            "[::ffff:127.0.0.1]",
            "a..b",
            "h.",
            "%2A.h",
            "\u{ff0a}.h",
            "h%2Eorg",
            "0.0.0.0",
            "[0::1]",
            "",
            "xn--a.example",
            "127.0.0.2",
            "[2001:DB8::1]",
            "[2001:db8::1]",
            "LOCALHOST",
        ][..],
    );
    let port = select(
        &[
            "", "", "", "", ":3000", ":8443", ":443", ":80", ":", ":0", ":99999", ":08443", ":*",
        ][..],
    );
    let path = prop::collection::vec(path_piece(), 0..5).prop_map(|v| v.concat());
    let query = prop::option::of("[a-zA-Z0-9=&%'\"~._-]{0,10}");
    let fragment = prop::option::weighted(0.1, "[a-z]{0,3}");
    (
        scheme, separator, userinfo, host, port, path, query, fragment,
    )
        .prop_map(
            |(scheme, sep, userinfo, host, port, path, query, fragment)| {
                let mut s = format!("{scheme}{sep}{userinfo}{host}{port}{path}");
                if let Some(q) = query {
                    s.push('?');
                    s.push_str(&q);
                }
                if let Some(f) = fragment {
                    s.push('#');
                    s.push_str(&f);
                }
                s
            },
        )
}

fn path_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => "/[a-zA-Z0-9._~!$&'()+,;=:@-]{0,6}",
        1 => select(&["/.", "/..", "/%2e%2E", "\\", "/%7e", "/%41", "/%2f", "/%C3%A9", "/\u{e9}", "/ ",
            "/*", "/%2A", "/%252a", "/%", "/%zz", "/{x}", "/\u{a0}", "/\t", "//"][..])
            .prop_map(str::to_owned),
    ]
}

/// URIs built to pass every registration rule (canonical, no wildcard, no fragment…).
pub(crate) fn registrable_uri() -> impl Strategy<Value = String> {
    let origin = prop_oneof![
        https_origin(),
        loopback_origin(select(&["localhost", "127.0.0.1", "[::1]"][..])),
    ];
    (origin, canonical_path(), canonical_query())
        .prop_map(|(origin, path, query)| format!("{origin}{path}{query}"))
}

/// `https://host[:port]`, canonical.
pub(crate) fn https_origin() -> impl Strategy<Value = String> {
    let host = prop_oneof![
        // A label starting `xn--` is an IDNA A-label, and a made-up one is not valid punycode:
        // such a host is malformed, not a canonical one (proptest found `a.xn--.example`).
        "[a-z0-9]{1,10}(\\.[a-z0-9-]{1,8}){0,2}\\.example"
            .prop_filter("not an A-label", |host: &String| !host.contains(".xn--")),
        select(
            &[
                "192.0.2.1",
                "[2001:db8::1]",
                "localhost",
                "127.0.0.1",
                "[::1]"
            ][..]
        )
        .prop_map(str::to_owned),
    ];
    let port = prop_oneof![
        Just(None),
        (1u16..)
            .prop_filter("default", |p| *p != 443)
            .prop_map(Some)
    ];
    (host, port).prop_map(|(host, port)| match port {
        Some(p) => format!("https://{host}:{p}"),
        None => format!("https://{host}"),
    })
}

/// `http://host[:port]` on one of `hosts`, canonical.
pub(crate) fn loopback_origin(
    hosts: impl Strategy<Value = &'static str>,
) -> impl Strategy<Value = String> {
    let port = prop_oneof![
        Just(None),
        (1u16..).prop_filter("default", |p| *p != 80).prop_map(Some)
    ];
    (hosts, port).prop_map(|(host, port)| match port {
        Some(p) => format!("http://{host}:{p}"),
        None => format!("http://{host}"),
    })
}

/// A path of canonical segments (never a dot segment), starting with `/`.
pub(crate) fn canonical_path() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        4 => "[a-zA-Z0-9_~!$&'()+,;=:@-]{0,8}",
        1 => "[a-z]{0,3}(%[0189][0-9A-F]|%C3%A9)[a-z]{0,3}",
        1 => "[a-z]{1,3}\\.[a-z]{1,3}",
    ];
    prop::collection::vec(segment, 1..4).prop_map(|segments| format!("/{}", segments.join("/")))
}

/// No query, an empty one, or `name=value` pairs encoded as clients do.
pub(crate) fn canonical_query() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => Just(String::new()),
        1 => Just("?".to_owned()),
        3 => prop::collection::vec(("[a-z_]{1,6}", "[a-zA-Z0-9 /é=&-]{0,8}"), 1..4).prop_map(|pairs| {
            let mut query = form_urlencoded::Serializer::new(String::new());
            for (name, value) in &pairs {
                query.append_pair(name, value);
            }
            format!("?{}", query.finish())
        }),
    ]
}
