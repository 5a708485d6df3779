//! The user claims released by scope (OIDC Core §5.4), shared by ID tokens and UserInfo.

use ostiary_jose::StandardClaims;
use ostiary_store::{ScopeSet, User};

/// The standard claims of `user` that `scope` releases: `profile` (OIDC Core §5.4: name, family_name,
/// given_name, middle_name, nickname, preferred_username, profile, picture, website, gender, birthdate,
/// zoneinfo, locale, updated_at) and `email` (email, email_verified as a real boolean).
pub(crate) fn standard_claims(user: &User, scope: &ScopeSet) -> StandardClaims {
    let mut claims = StandardClaims::default();
    if scope.contains("profile") {
        let p = &user.profile;
        claims.name = p.name.clone();
        claims.given_name = p.given_name.clone();
        claims.family_name = p.family_name.clone();
        claims.middle_name = p.middle_name.clone();
        claims.nickname = p.nickname.clone();
        claims.preferred_username = Some(user.username.clone());
        claims.profile = p.profile.clone();
        claims.picture = p.picture.clone();
        claims.website = p.website.clone();
        claims.gender = p.gender.clone();
        claims.birthdate = p.birthdate.clone();
        claims.zoneinfo = p.zoneinfo.clone();
        claims.locale = p.locale.clone();
        claims.updated_at = Some(user.updated_at);
    }
    if scope.contains("email")
        && let Some(email) = &user.email
    {
        claims.email = Some(email.clone());
        claims.email_verified = Some(user.email_verified);
    }
    claims
}
