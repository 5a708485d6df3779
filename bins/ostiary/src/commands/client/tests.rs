use super::*;
use ostiary_store::FieldError;

#[test]
fn fields_are_named_by_their_flags() {
    let invalid = InvalidMetadata {
        errors: vec![
            FieldError {
                field: "redirect_uris[1]".into(),
                reason: "must be https".into(),
            },
            FieldError {
                field: "client_name".into(),
                reason: "required".into(),
            },
        ],
    };
    assert_eq!(
        describe_invalid(&invalid),
        "invalid client metadata:\n  --redirect-uri #2 (redirect_uris[1]): must be https\n  \
         --name (client_name): required"
    );
    assert_eq!(flag_of("something_new"), "something_new");
}

#[test]
fn only_given_flags_change_the_registration() {
    let mut r = ClientRegistration {
        client_name: "Old".into(),
        logo_uri: Some("https://a.example/logo.png".into()),
        contacts: vec!["a@a.example".into()],
        redirect_uris: vec!["https://a.example/cb".into()],
        scope: "openid".into(),
        pkce_required: Some(true),
        ..ClientRegistration::default()
    };
    let before = r.clone();
    apply(&MetadataArgs::default(), &mut r);
    assert_eq!(r, before);

    let args = MetadataArgs {
        name: Some("New".into()),
        logo_uri: Some(String::new()),
        contacts: vec![String::new()],
        no_pkce: true,
        loopback_any_port: Some(true),
        ..MetadataArgs::default()
    };
    apply(&args, &mut r);
    assert_eq!(r.client_name, "New");
    assert_eq!(r.logo_uri, None);
    assert!(r.contacts.is_empty());
    assert_eq!(r.redirect_uris, before.redirect_uris);
    assert_eq!(r.pkce_required, Some(false));
    assert!(r.loopback_any_port);
}
