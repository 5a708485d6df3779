use super::*;

#[test]
fn split_authority_stops_at_path_query_fragment_and_backslash() {
    assert_eq!(split_authority("https://h:1/p"), Some(("h:1", "/p")));
    assert_eq!(split_authority("https://h?q"), Some(("h", "?q")));
    assert_eq!(split_authority("https://h#f"), Some(("h", "#f")));
    assert_eq!(split_authority("https://h\\@e/"), Some(("h", "\\@e/")));
    assert_eq!(split_authority("https://u@h"), Some(("u@h", "")));
    assert_eq!(split_authority("https:///cb"), Some(("", "/cb")));
}

#[test]
fn split_authority_needs_double_slash_after_the_scheme() {
    assert_eq!(split_authority("https:cb"), None);
    assert_eq!(split_authority("https:/cb"), None);
    assert_eq!(split_authority("no-colon"), None);
}

#[test]
fn control_and_whitespace_are_detected() {
    for s in [
        "a b", "a\tb", "a\nb", "a\rb", "a\u{0}b", "a\u{7f}b", "a\u{c}b", " ",
    ] {
        assert!(has_control_or_whitespace(s), "{s:?}");
    }
    // Non-ASCII whitespace is left to the canonical-form rule.
    assert!(!has_control_or_whitespace("https://h/\u{a0}"));
}

#[test]
fn percent_escapes_validity() {
    for s in ["", "%41", "a%2fb%2F", "%00"] {
        assert!(percent_escapes_are_valid(s), "{s:?}");
    }
    for s in ["%", "%4", "a%zz", "%+1", "%4g", "%%41", "%é1"] {
        assert!(!percent_escapes_are_valid(s), "{s:?}");
    }
}

#[test]
fn wildcard_detection_sees_through_percent_encoding() {
    for s in ["*", "a*b", "%2A", "%2a", "%252A", "%25252a", "x%2Ay"] {
        assert!(contains_wildcard(s), "{s:?}");
    }
    for s in ["", "abc", "%2B", "%25", "%252B", "%zz", "%"] {
        assert!(!contains_wildcard(s), "{s:?}");
    }
}

#[test]
fn port_parts() {
    for s in ["", ":1", ":80", ":3000", ":65535"] {
        assert!(is_port_part(s), "{s:?}");
    }
    for s in [
        ":", ":0", ":03000", ":65536", ":99999", ":123456", "3000", ":+1", ":1a", ": 1",
    ] {
        assert!(!is_port_part(s), "{s:?}");
    }
}
