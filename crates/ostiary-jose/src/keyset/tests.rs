use super::*;

fn es256() -> Result<SigningKey, KeyError> {
    SigningKey::generate(Algorithm::Es256)
}

fn managed(state: KeyState, activated: Option<i64>, retired: Option<i64>) -> ManagedKey {
    ManagedKey {
        key: es256().unwrap(),
        state,
        published_at: 0,
        activated_at: activated,
        retired_at: retired,
    }
}

fn kids(set: &KeySet) -> Vec<String> {
    set.keys().map(|key| key.kid().to_owned()).collect()
}

#[test]
fn from_keys_checks_invariants() {
    let active = || managed(KeyState::Active, Some(0), None);
    let next = || managed(KeyState::Next, None, None);
    assert_eq!(
        KeySet::from_keys(vec![]).err(),
        Some(KeySetError::NoActiveKey)
    );
    assert_eq!(
        KeySet::from_keys(vec![next()]).err(),
        Some(KeySetError::NoActiveKey)
    );
    assert_eq!(
        KeySet::from_keys(vec![active(), active()]).err(),
        Some(KeySetError::MultipleActiveKeys)
    );
    assert_eq!(
        KeySet::from_keys(vec![active(), next(), next()]).err(),
        Some(KeySetError::MultipleNextKeys)
    );
    let one = active();
    assert_eq!(
        KeySet::from_keys(vec![
            one.clone(),
            ManagedKey {
                state: KeyState::Retired,
                retired_at: Some(1),
                ..one
            }
        ])
        .err(),
        Some(KeySetError::DuplicateKid)
    );
    assert_eq!(
        KeySet::from_keys(vec![managed(KeyState::Active, None, None)]).err(),
        Some(KeySetError::InconsistentTimestamps)
    );
    assert_eq!(
        KeySet::from_keys(vec![active(), managed(KeyState::Retired, Some(0), None)]).err(),
        Some(KeySetError::InconsistentTimestamps)
    );
}

#[test]
fn keys_round_trip_through_from_keys() {
    let set = KeySet::bootstrap(5, es256).unwrap();
    let rebuilt = KeySet::from_keys(set.clone().into_keys()).unwrap();
    assert_eq!(kids(&rebuilt), kids(&set));
    assert_eq!(rebuilt.jwks_json(), set.jwks_json());
}

#[test]
fn state_names_round_trip() {
    for state in [KeyState::Next, KeyState::Active, KeyState::Retired] {
        assert_eq!(state.as_str().parse::<KeyState>(), Ok(state));
    }
    assert_eq!("Active".parse::<KeyState>(), Err(KeySetError::UnknownState));
}

#[test]
fn rotate_is_idempotent_when_nothing_is_due() {
    let policy = RotationPolicy::default();
    let mut set = KeySet::bootstrap(0, es256).unwrap();
    let before = kids(&set);
    for minute in 1..10 {
        let report = set
            .rotate(minute * 60, &policy, || panic!("no key is due"))
            .unwrap();
        assert!(!report.changed());
    }
    assert_eq!(kids(&set), before);
}

#[test]
fn single_key_set_gets_a_next_key() {
    let mut set = KeySet::single(es256().unwrap(), 0);
    assert!(set.next().is_none());
    let report = set.rotate(1, &RotationPolicy::default(), es256).unwrap();
    let next = set.next().unwrap();
    assert_eq!(report.created.as_deref(), Some(next.kid()));
    assert_eq!(next.published_at, 1);
    assert!(set.jwks_json().contains(next.kid()));
}

#[test]
fn failed_key_creation_changes_nothing() {
    let policy = RotationPolicy::default();
    let mut set = KeySet::bootstrap(0, es256).unwrap();
    // Everything is due: a promotion and a drop would happen, but the new key fails.
    set.rotate(policy.active_lifetime, &policy, es256).unwrap();
    let before = kids(&set);
    let json = set.jwks_json().to_owned();
    let far = 10 * policy.active_lifetime;
    let result = set.rotate(far, &policy, || SigningKey::generate(Algorithm::Rs256));
    assert_eq!(
        result.err(),
        Some(KeySetError::NewKey(KeyError::RsaGenerationUnsupported))
    );
    assert_eq!(kids(&set), before);
    assert_eq!(set.jwks_json(), json);
}

#[test]
fn new_key_with_a_known_kid_is_refused() {
    let mut set = KeySet::single(es256().unwrap(), 0);
    let same = set.active().key.clone();
    let result = set.rotate(1, &RotationPolicy::default(), || Ok(same));
    assert_eq!(result.err(), Some(KeySetError::DuplicateKid));
    assert!(set.next().is_none());
}

#[test]
fn negative_durations_are_refused() {
    let mut set = KeySet::single(es256().unwrap(), 0);
    let policy = RotationPolicy {
        max_token_lifetime: -1,
        ..RotationPolicy::default()
    };
    assert_eq!(
        set.rotate(1, &policy, es256).err(),
        Some(KeySetError::InvalidPolicy)
    );
}

#[test]
fn promotion_waits_for_both_the_lead_and_the_lifetime() {
    let policy = RotationPolicy {
        active_lifetime: 100,
        next_publish_lead: 50,
        max_token_lifetime: 10,
        retire_leeway: 0,
    };
    // The next key was published late: the active key's lifetime is over, the lead is not.
    let mut set = KeySet::single(es256().unwrap(), 0);
    set.rotate(80, &policy, es256).unwrap();
    let report = set.rotate(100, &policy, es256).unwrap();
    assert!(report.promoted.is_none(), "published only 20 s ago");
    let report = set.rotate(130, &policy, es256).unwrap();
    assert!(report.promoted.is_some());
    assert_eq!(set.active().activated_at, Some(130));
    assert_eq!(
        set.retired().first().and_then(|key| key.retired_at),
        Some(130)
    );
}

#[test]
fn shared_types_are_send_and_sync() {
    // The server shares the key set across worker threads (behind an `Arc` or a swap cell).
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<KeySet>();
    assert_send_sync::<SigningKey>();
    assert_send_sync::<Jwks>();
    assert_send_sync::<Validation>();
}
