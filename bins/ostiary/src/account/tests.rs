use super::*;
use proptest::prelude::*;

#[test]
fn usernames() {
    assert_eq!(username("  Alice.Smith_2-b ").unwrap(), "alice.smith_2-b");
    assert_eq!(username(&"a".repeat(64)).unwrap().len(), 64);
    for bad in [
        "",
        " ",
        "a b",
        "ada@example.com",
        "émile",
        "a/b",
        &"a".repeat(65),
    ] {
        assert!(username(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn emails() {
    assert_eq!(email(" Ada@Example.COM ").unwrap(), "ada@example.com");
    for bad in [
        "",
        "ada",
        "ada@",
        "@example.com",
        "ada@example",
        "a b@example.com",
        "ada@.example.com",
        "ada@example..com",
        "<ada@example.com>",
        "a@b@example.com",
    ] {
        assert!(email(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn profiles_report_every_bad_flag() {
    let good = ProfileArgs {
        name: Some(" Ada Lovelace ".into()),
        picture: Some("https://example.com/ada.png".into()),
        birthdate: Some("1815-12-10".into()),
        zoneinfo: Some("Europe/London".into()),
        locale: Some("en-GB".into()),
        ..ProfileArgs::default()
    };
    let profile = profile(&good).unwrap();
    assert_eq!(profile.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(profile.birthdate.as_deref(), Some("1815-12-10"));

    let bad = ProfileArgs {
        name: Some("\u{7}".into()),
        website: Some("javascript:alert(1)".into()),
        birthdate: Some("1815-13-10".into()),
        locale: Some("en US".into()),
        ..ProfileArgs::default()
    };
    let problems = super::profile(&bad).unwrap_err();
    assert_eq!(problems.len(), 4, "{problems:?}");
    assert!(problems.iter().any(|p| p.starts_with("--website")));
}

proptest! {
    /// The username rule is exactly `[a-z0-9._-]{1,64}` after trimming and lower-casing.
    #[test]
    fn username_rule(value in "\\PC{0,70}") {
        let normalized = value.trim().to_lowercase();
        let expected = !normalized.is_empty()
            && normalized.len() <= 64
            && normalized.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
        prop_assert_eq!(username(&value).is_ok(), expected);
    }

    #[test]
    fn valid_usernames_round_trip(value in "[a-zA-Z0-9._-]{1,64}") {
        prop_assert_eq!(username(&value).unwrap(), value.to_lowercase());
    }

    /// Accepted e-mail addresses are lower-case, contain one `@`, and never a space.
    #[test]
    fn email_rule(value in "\\PC{0,80}") {
        if let Ok(email) = email(&value) {
            prop_assert_eq!(email.matches('@').count(), 1);
            prop_assert!(!email.chars().any(char::is_whitespace));
            prop_assert_eq!(email.clone(), email.to_lowercase());
        }
    }

    #[test]
    fn profile_checks_never_panic(date in "\\PC{0,12}", locale in "\\PC{0,12}", zone in "\\PC{0,12}") {
        let _ = is_birthdate(&date);
        let _ = is_locale(&locale);
        let _ = is_zoneinfo(&zone);
    }

    #[test]
    fn well_formed_dates_pass(y in 0u32..10000, m in 1u32..=12, d in 1u32..=31) {
        let date = format!("{y:04}-{m:02}-{d:02}");
        prop_assert!(is_birthdate(&date));
        let year = format!("{y:04}");
        prop_assert!(is_birthdate(&year));
    }
}
