use super::*;
use proptest::prelude::*;

const SIGN_IN: &str = r#"<!doctype html>
<html><head><title>Sign in</title>
<style>form { color: red } </form></style>
<script>var s = "<form action='/evil'>";</script></head>
<body>
<!-- <form action="/commented-out"> -->
<FORM Method="POST" action="/oauth/authorize/login?x=1&amp;y=2">
  <input type="hidden" name="request" value="client_id=abc&amp;state=&#x27;s&#39;">
  <input type=hidden name=csrf_token value=tok123>
  <label>User <input name="username" autocomplete="username" value=""></label>
  <input type="password" name="password" required>
  <input type="checkbox" name="remember" value="1">
  <input type="checkbox" name="terms" checked>
  <input name="disabled_one" value="x" disabled>
  <button type="submit">Sign <b>in</b></button>
</FORM>
</body></html>"#;

const CONSENT: &str = r#"<html><body>
<form method="post" action="/oauth/authorize/consent">
<input type="hidden" name="csrf_token" value="c">
<input type="hidden" name="request" value="r">
<button type="submit" name="decision" value="deny">Deny</button>
<button type="submit" name="decision" value="allow">Allow</button>
</form></body></html>"#;

#[test]
fn sign_in_form_is_found_with_decoded_action_and_fields() {
    let forms = parse_forms(SIGN_IN);
    assert_eq!(forms.len(), 1, "{}", describe(&forms));
    let form = &forms[0];
    assert_eq!(form.method, FormMethod::Post);
    assert_eq!(
        form.action.as_deref(),
        Some("/oauth/authorize/login?x=1&y=2")
    );
    assert!(form.has_password());
    assert!(form.has_field("username"));
    assert!(!form.has_field("disabled_one"));
    let button = form.controls.iter().find(|c| c.tag == "button").unwrap();
    assert_eq!(button.label, "Sign in");
}

#[test]
fn sign_in_entries_fill_credentials_and_keep_hidden_fields() {
    let form = &parse_forms(SIGN_IN)[0];
    let entries = form.entries(None, &[("username", "alice"), ("password", "pw&=")]);
    let expected: Vec<(String, String)> = [
        ("request", "client_id=abc&state='s'"),
        ("csrf_token", "tok123"),
        ("username", "alice"),
        ("password", "pw&="),
        ("terms", "on"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    assert_eq!(entries, expected);
}

#[test]
fn consent_picks_the_allow_button_and_submits_only_it() {
    let form = &parse_forms(CONSENT)[0];
    let allow = form.allow_submitter().unwrap();
    assert_eq!(form.controls[allow].value, "allow");
    let entries = form.entries(Some(allow), &[]);
    assert_eq!(
        entries,
        vec![
            ("csrf_token".to_owned(), "c".to_owned()),
            ("request".to_owned(), "r".to_owned()),
            ("decision".to_owned(), "allow".to_owned()),
        ]
    );
}

#[test]
fn allow_is_recognized_from_labels_and_hidden_decisions() {
    let by_label = r#"<form method=post><button name=b value=1><span>Approve</span> access</button>
        <button name=b value=0>Cancel</button></form>"#;
    let form = &parse_forms(by_label)[0];
    assert_eq!(form.controls[form.allow_submitter().unwrap()].value, "1");

    let hidden = r#"<form method=post><input type=hidden name=decision value=allow>
        <input type=submit value="Submit"></form>"#;
    let form = &parse_forms(hidden)[0];
    assert_eq!(form.allow_submitter(), Some(1));

    let deny_only = r#"<form method=post><input type=submit name=decision value=deny></form>"#;
    assert_eq!(parse_forms(deny_only)[0].allow_submitter(), None);

    let buttonless = r#"<form method=post><input type=hidden name=decision value=allow></form>"#;
    assert!(parse_forms(buttonless)[0].is_buttonless_allow());
}

#[test]
fn a_deny_word_wins_over_an_allow_word() {
    // "Do not allow" must never be pressed as "allow".
    let html = r#"<form><button name=d value=x>Do not allow, cancel</button></form>"#;
    assert_eq!(parse_forms(html)[0].allow_submitter(), None);
}

#[test]
fn default_method_is_get_and_missing_action_is_none() {
    let forms = parse_forms("<form><input name=q value=1></form>");
    assert_eq!(forms[0].method, FormMethod::Get);
    assert_eq!(forms[0].action, None);
}

#[test]
fn unclosed_and_multiple_forms_are_tolerated() {
    let html = "<form action=a><input name=x></form><p>between</p><form action='b'><input name=y";
    let forms = parse_forms(html);
    assert_eq!(forms.len(), 2);
    assert_eq!(forms[0].action.as_deref(), Some("a"));
    assert_eq!(forms[1].action.as_deref(), Some("b"));
    assert_eq!(forms[1].controls[0].name.as_deref(), Some("y"));
}

#[test]
fn controls_outside_forms_and_nested_forms_are_ignored() {
    let html = "<input name=outside><form action=one><form action=two><input name=in></form>";
    let forms = parse_forms(html);
    assert_eq!(forms.len(), 1);
    assert_eq!(forms[0].action.as_deref(), Some("one"));
    assert_eq!(forms[0].controls.len(), 1);
}

#[test]
fn textarea_text_is_its_value() {
    let html = "<form><textarea name=t>a &lt; b</textarea></form>";
    let form = &parse_forms(html)[0];
    assert_eq!(
        form.entries(None, &[]),
        vec![("t".to_owned(), "a < b".to_owned())]
    );
}

#[test]
fn entities_decode_and_unknown_ones_stay() {
    assert_eq!(
        decode_entities("a&amp;b&#65;&#x42;&unknown;&"),
        "a&bAB&unknown;&"
    );
    assert_eq!(decode_entities("&#xFFFFFFFF;"), "&#xFFFFFFFF;");
    assert_eq!(decode_entities("é&quot;ü"), "é\"ü");
}

#[test]
fn describe_never_prints_values() {
    let text = describe(&parse_forms(SIGN_IN));
    assert!(text.contains("csrf_token"));
    assert!(!text.contains("tok123"));
    assert_eq!(describe(&[]), "no form");
}

proptest! {
    #[test]
    fn parser_never_panics(html in "\\PC{0,400}") {
        let forms = parse_forms(&html);
        for form in &forms {
            let _ = form.allow_submitter();
            let _ = form.entries(Some(0), &[("username", "u")]);
        }
    }

    #[test]
    fn parser_never_panics_on_tag_soup(parts in proptest::collection::vec(
        prop_oneof![
            Just("<form".to_owned()), Just("</form>".to_owned()), Just("<input".to_owned()),
            Just("<button".to_owned()), Just("</button>".to_owned()), Just("<!--".to_owned()),
            Just("-->".to_owned()), Just("<script>".to_owned()), Just("<textarea".to_owned()),
            Just(" name=".to_owned()), Just(" value='".to_owned()), Just("\"".to_owned()),
            Just(">".to_owned()), Just("&#x".to_owned()), Just("é".to_owned()), "[a-z=&;#]{0,5}",
        ], 0..60)) {
        let html = parts.concat();
        let _ = parse_forms(&html);
    }

    #[test]
    fn attribute_values_round_trip(value in "[^\"&<]{0,40}", name in "[a-z]{1,10}") {
        let html = format!("<form method=post><input type=hidden name=\"{name}\" value=\"{value}\"></form>");
        let forms = parse_forms(&html);
        prop_assert_eq!(forms[0].entries(None, &[]), vec![(name, value)]);
    }
}
