use std::borrow::Cow;

use proptest::prelude::*;
use serde_json::Value;

use super::*;

fn s(v: &str) -> Member<'_> {
    Member::Str(Cow::Borrowed(v))
}

/// What `serde_json::Map::get(name)` gave the checks before: the oracle [`pick`] must agree with.
fn from_value(value: Option<&Value>) -> Member<'static> {
    match value {
        None => Member::Absent,
        Some(Value::String(s)) => Member::Str(Cow::Owned(s.clone())),
        Some(Value::Bool(b)) => Member::Bool(*b),
        Some(Value::Number(n)) => n.as_u64().map_or(Member::Other, Member::UInt),
        Some(Value::Array(items)) => {
            Member::Array(items.iter().map(|v| from_value(Some(v))).collect())
        }
        Some(Value::Null | Value::Object(_)) => Member::Other,
    }
}

const NAMES: [&str; 3] = ["a", "b", "é"];

#[test]
fn named_members_are_read_and_the_rest_skipped() {
    let body = br#" {"x":{"a":1,"b":[null]},"a":"one","b":[true,"t",{"c":2},[3]],"n":null} "#;
    let picked = pick(body, ["a", "b", "n", "z"]).unwrap();
    assert_eq!(picked.get("a"), &s("one"));
    assert!(matches!(picked.get("a"), Member::Str(Cow::Borrowed(_))));
    let expected = Member::Array(vec![
        Member::Bool(true),
        s("t"),
        Member::Other,
        Member::Array(vec![Member::UInt(3)]),
    ]);
    assert_eq!(picked.get("b"), &expected);
    // `null` is present but not a value the checks accept; `z` is absent; `x` was not picked.
    assert_eq!(picked.get("n"), &Member::Other);
    assert_eq!(picked.get("z"), &Member::Absent);
    assert_eq!(picked.get("x"), &Member::Absent);
}

#[test]
fn the_last_duplicate_wins() {
    let picked = pick(br#"{"a":"first","a":"","b":1,"b":"second"}"#, ["a", "b"]).unwrap();
    assert_eq!(picked.get("a"), &s(""));
    assert_eq!(picked.get("b"), &s("second"));
}

#[test]
fn only_one_json_object_is_accepted() {
    for body in [
        &b"[]"[..],
        b"null",
        b"\"a\"",
        b"1",
        b"",
        b"{",
        b"{} {}",
        b"{}x",
        br#"{"a":1,}"#,
        br#"{"b":[1,}"#,
        br#"{"b":{"c":}}"#,
        b"{\"a\":\"\xff\"}",
        // Skipped members are checked as strictly as picked ones.
        b"{\"x\":\"\xff\"}",
        br#"{"x":"\ud800"}"#,
        br#"{"x":["\udc00"]}"#,
        br#"{"a":{"x":"\ud800\u0041"}}"#,
        br#"{"x":1e400}"#,
        br#"{"a":[-1e400]}"#,
        br#"{"\ud800":1}"#,
    ] {
        assert!(
            pick(body, ["a"]).is_none(),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    assert!(pick(b"\n{}\t ", ["a"]).is_some());
}

#[test]
fn escapes_are_decoded_in_names_and_values() {
    let picked = pick(
        br#"{"\u0061":"https:\/\/op.test\u00e9","b":"\"q\""}"#,
        ["a", "b"],
    )
    .unwrap();
    assert_eq!(picked.get("a").as_str(), Some("https://op.test\u{e9}"));
    assert!(matches!(picked.get("b"), Member::Str(Cow::Owned(v)) if v == "\"q\""));
}

#[test]
fn types_other_than_the_checked_ones_read_as_other() {
    let body = br#"{"a":-1,"b":1.5,"c":-0,"d":1e3,"e":18446744073709551615,"f":18446744073709551616,"g":false}"#;
    let picked = pick(body, ["a", "b", "c", "d", "e", "f", "g"]).unwrap();
    for name in ["a", "b", "c", "d", "f"] {
        assert_eq!(picked.get(name), &Member::Other, "{name}");
    }
    assert_eq!(picked.get("e"), &Member::UInt(u64::MAX));
    assert_eq!(picked.get("g"), &Member::Bool(false));
}

#[test]
fn string_members_fail_as_missing_or_wrong() {
    let picked = pick(
        br#"{"a":"x","b":"","c":7,"d":null}"#,
        ["a", "b", "c", "d", "e"],
    )
    .unwrap();
    assert_eq!(picked.string(Step::Token, "a").unwrap(), "x");
    for name in ["b", "c", "d"] {
        let kind = picked.string(Step::Token, name).unwrap_err().kind;
        assert_eq!(kind, Kind::Wrong(name));
    }
    let missing = picked.string(Step::Userinfo, "e").unwrap_err();
    assert_eq!(
        (missing.step, missing.kind),
        (Step::Userinfo, Kind::Missing("e"))
    );
}

/// JSON text with duplicated and escaped names, every value type, nesting, and odd numbers.
fn json() -> impl Strategy<Value = String> {
    let name = prop::sample::select(vec![
        "a", "b", "\\u0061", "\\u00e9", "é", "x", "", "\\udfff",
    ]);
    let leaf = prop::sample::select(vec![
        "null",
        "true",
        "false",
        "0",
        "-0",
        "7",
        "-7",
        "1.5",
        "1e3",
        "-1e-3",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775809",
        "\"\"",
        "\"s\"",
        "\"\\u00e9\\n\"",
        "\"\\\"\"",
        "\"\\/\"",
        "\"\\ud800\"",
    ])
    .prop_map(str::to_owned);
    let value = leaf.prop_recursive(4, 32, 4, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec((name.clone(), inner), 0..5).prop_map(|members| {
                let members: Vec<_> = members
                    .iter()
                    .map(|(n, v)| format!("\"{n}\":{v}"))
                    .collect();
                format!("{{{}}}", members.join(","))
            }),
        ]
    });
    let tail = prop::sample::select(vec!["", " ", "\n", "x", "{}", ",", "]"]);
    (value, tail).prop_map(|(v, t)| format!(" {v}{t}"))
}

proptest! {
    #[test]
    fn pick_agrees_with_a_serde_json_map(
        text in json(),
        truncate in any::<Option<prop::sample::Index>>(),
        garble in any::<Option<prop::sample::Index>>(),
    ) {
        let mut body = text.into_bytes();
        if let Some(at) = truncate {
            body.truncate(at.index(body.len() + 1));
        }
        // Invalid UTF-8, wherever it lands.
        if let Some(at) = garble.filter(|_| !body.is_empty()) {
            let at = at.index(body.len());
            body[at] = 0xff;
        }
        let oracle = match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        };
        let picked = pick(&body, NAMES);
        prop_assert_eq!(picked.is_some(), oracle.is_some());
        if let (Some(picked), Some(map)) = (picked, oracle) {
            for name in NAMES {
                prop_assert_eq!(picked.get(name), &from_value(map.get(name)));
            }
        }
    }
}

#[test]
fn nesting_is_limited_as_for_a_value() {
    for depth in [120, 126, 127, 128, 200] {
        for name in ["a", "x"] {
            let body = format!(r#"{{"{name}":{}{}}}"#, "[".repeat(depth), "]".repeat(depth));
            let value = serde_json::from_str::<Value>(&body).is_ok();
            assert_eq!(
                pick(body.as_bytes(), ["a"]).is_some(),
                value,
                "{name} {depth}"
            );
        }
    }
}
