use super::validate::metadata;
use super::*;
use crate::records::{AccessTokenFormat, SubjectType};

fn valid() -> ClientRegistration {
    ClientRegistration {
        client_name: "Acme Books".into(),
        client_uri: Some("https://acme.example/".into()),
        logo_uri: Some("https://acme.example/logo.png".into()),
        tos_uri: Some("https://acme.example/terms".into()),
        policy_uri: Some("https://acme.example/privacy".into()),
        contacts: vec!["dev@acme.example".into()],
        initiate_login_uri: Some("https://acme.example/connect".into()),
        configuration_uri: Some("https://acme.example/settings".into()),
        redirect_uris: vec![
            "https://acme.example/callback".into(),
            "http://localhost:3000/callback".into(),
        ],
        post_logout_redirect_uris: vec!["https://acme.example/bye".into()],
        backchannel_logout_uri: Some("https://acme.example/backchannel".into()),
        scope: "openid profile email".into(),
        ..ClientRegistration::default()
    }
}

fn fields(r: &ClientRegistration) -> Vec<String> {
    metadata(r)
        .unwrap_err()
        .errors
        .into_iter()
        .map(|e| e.field)
        .collect()
}

#[test]
fn a_complete_registration_validates_with_strict_defaults() {
    let m = metadata(&valid()).unwrap();
    assert!(
        m.pkce_required,
        "PKCE is required unless an exception is registered"
    );
    assert!(!m.loopback_any_port);
    assert_eq!(m.subject_type, SubjectType::User);
    assert_eq!(m.access_token_format, AccessTokenFormat::Opaque);
    assert_eq!(m.redirect_uris.len(), 2);
    assert_eq!(m.scope.to_string(), "email openid profile");
    // Round trip back to a registration gives the same metadata.
    assert_eq!(metadata(&ClientRegistration::from(&m)).unwrap(), m);
}

#[test]
fn client_name_is_required_and_bounded() {
    for name in ["", "   ", " Acme", "Acme\n", &"x".repeat(101)] {
        let r = ClientRegistration {
            client_name: name.into(),
            ..valid()
        };
        assert_eq!(fields(&r), ["client_name"], "{name:?}");
    }
}

#[test]
fn every_bad_uri_is_reported_with_its_field() {
    let r = ClientRegistration {
        logo_uri: Some("javascript:alert(1)".into()),
        tos_uri: Some("http://acme.example/terms".into()),
        redirect_uris: vec![
            "https://acme.example/callback".into(),
            "https://*.acme.example/cb".into(),
        ],
        post_logout_redirect_uris: vec!["https://acme.example/bye#x".into()],
        backchannel_logout_uri: Some("ftp://acme.example/bc".into()),
        ..valid()
    };
    assert_eq!(
        fields(&r),
        [
            "logo_uri",
            "tos_uri",
            "redirect_uris[1]",
            "post_logout_redirect_uris[0]",
            "backchannel_logout_uri"
        ]
    );
}

#[test]
fn error_messages_never_echo_the_submitted_value() {
    let r = ClientRegistration {
        logo_uri: Some("https://evil.example/<script>".into()),
        ..valid()
    };
    let message = metadata(&r).unwrap_err().to_string();
    assert!(!message.contains("<script>"), "{message}");
    assert!(!message.contains("evil.example"), "{message}");
}

#[test]
fn duplicate_and_too_many_redirect_uris_are_refused() {
    let r = ClientRegistration {
        redirect_uris: vec![
            "https://acme.example/cb".into(),
            "https://acme.example/cb".into(),
        ],
        ..valid()
    };
    assert_eq!(fields(&r), ["redirect_uris[1]"]);
    let many = (0..21)
        .map(|i| format!("https://acme.example/cb{i}"))
        .collect();
    let r = ClientRegistration {
        redirect_uris: many,
        ..valid()
    };
    assert_eq!(fields(&r), ["redirect_uris"]);
}

#[test]
fn user_clients_need_a_redirect_uri_and_organization_clients_an_initiate_login_uri() {
    let r = ClientRegistration {
        redirect_uris: vec![],
        ..valid()
    };
    assert_eq!(fields(&r), ["redirect_uris"]);
    let r = ClientRegistration {
        subject_type: Some("organization".into()),
        initiate_login_uri: None,
        ..valid()
    };
    assert_eq!(fields(&r), ["initiate_login_uri"]);
    let r = ClientRegistration {
        subject_type: Some("organization".into()),
        redirect_uris: vec![],
        ..valid()
    };
    assert_eq!(
        metadata(&r).unwrap().subject_type,
        SubjectType::Organization
    );
}

#[test]
fn enumerations_and_scope_are_checked() {
    let r = ClientRegistration {
        subject_type: Some("pairwise".into()),
        access_token_format: Some("jwe".into()),
        scope: "".into(),
        ..valid()
    };
    assert_eq!(fields(&r), ["scope", "subject_type", "access_token_format"]);
    let r = ClientRegistration {
        scope: "openid  profile".into(),
        ..valid()
    };
    assert_eq!(fields(&r), ["scope"]);
}

#[test]
fn contacts_must_look_like_email_addresses() {
    let r = ClientRegistration {
        contacts: vec![
            "dev@acme.example".into(),
            "not an address".into(),
            "a@b".into(),
            "<x@y.z>".into(),
        ],
        ..valid()
    };
    assert_eq!(fields(&r), ["contacts[1]", "contacts[2]", "contacts[3]"]);
}

#[test]
fn loopback_any_port_needs_a_loopback_redirect_uri() {
    let r = ClientRegistration {
        loopback_any_port: true,
        redirect_uris: vec!["https://acme.example/cb".into()],
        ..valid()
    };
    assert_eq!(fields(&r), ["loopback_any_port"]);
    let r = ClientRegistration {
        loopback_any_port: true,
        ..valid()
    };
    assert!(metadata(&r).unwrap().loopback_any_port);
}

#[test]
fn pkce_exception_must_be_explicit() {
    let r = ClientRegistration {
        pkce_required: Some(false),
        ..valid()
    };
    assert!(!metadata(&r).unwrap().pkce_required);
}
