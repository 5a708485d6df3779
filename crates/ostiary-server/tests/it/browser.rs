//! A stand-in for the user's browser: reqwest with a cookie jar, not following redirects, and a small
//! reader of the server's HTML forms (hidden fields, CSRF token).

use reqwest::header::HeaderMap;

use crate::harness::install_crypto_provider;

/// A browser with its own cookie jar.
pub struct Browser {
    client: reqwest::Client,
    base: String,
}

/// A response as the browser sees it.
pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    /// The `Location` header.
    pub fn location(&self) -> Option<String> {
        self.headers
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned())
    }

    /// Every `Set-Cookie` header.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// The page's (only) form.
    pub fn form(&self) -> Form {
        Form::parse(&self.body).unwrap_or_else(|| {
            panic!(
                "no form on the page (status {}):\n{}",
                self.status, self.body
            )
        })
    }

    /// Whether this is the sign-in form.
    pub fn is_login(&self) -> bool {
        self.status == 200 && self.body.contains("action=\"/oauth/authorize/login\"")
    }

    /// Whether this is the consent form.
    pub fn is_consent(&self) -> bool {
        self.status == 200 && self.body.contains("action=\"/oauth/authorize/consent\"")
    }
}

/// An HTML form: its action and its fields in order.
#[derive(Debug, Clone)]
pub struct Form {
    pub action: String,
    pub fields: Vec<(String, String)>,
}

impl Form {
    /// Reads the first `<form>` of `html` and its `<input>` fields (name and value). Only what the
    /// server's own templates produce needs to be understood.
    pub fn parse(html: &str) -> Option<Self> {
        let start = html.find("<form")?;
        let end = start + html[start..].find("</form>")?;
        let form = &html[start..end];
        let open_end = form.find('>')?;
        let action = attribute(&form[..open_end], "action")?;
        let mut fields = Vec::new();
        let mut rest = form;
        while let Some(at) = rest.find("<input") {
            let tag_end = at + rest[at..].find('>')?;
            let tag = &rest[at..tag_end];
            if let Some(name) = attribute(tag, "name") {
                fields.push((name, attribute(tag, "value").unwrap_or_default()));
            }
            rest = &rest[tag_end..];
        }
        Some(Self { action, fields })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Sets a field (replacing every field of that name).
    pub fn set(&mut self, name: &str, value: &str) {
        self.remove(name);
        self.fields.push((name.to_owned(), value.to_owned()));
    }

    pub fn remove(&mut self, name: &str) {
        self.fields.retain(|(n, _)| n != name);
    }
}

/// The value of `name="…"` in a tag, HTML-unescaped.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let end = start + tag[start..].find('"')?;
    Some(unescape(&tag[start..end]))
}

/// Decodes the HTML character references askama produces (named and numeric).
pub fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(semi) = rest.find(';') else { break };
        let entity = &rest[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

impl Browser {
    pub fn new(base: &str) -> Self {
        install_crypto_provider();
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            client,
            base: base.to_owned(),
        }
    }

    async fn read(response: reqwest::Response) -> Page {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap();
        Page {
            status,
            headers,
            body,
        }
    }

    /// Navigates to `url`.
    pub async fn get(&self, url: &str) -> Page {
        Self::read(self.client.get(url).send().await.unwrap()).await
    }

    /// Posts `fields` as a form to `path` on the server.
    pub async fn post_form(&self, path: &str, fields: &[(String, String)]) -> Page {
        let url = format!("{}{path}", self.base);
        Self::read(self.client.post(url).form(fields).send().await.unwrap()).await
    }

    /// Submits `form` as the browser would.
    pub async fn submit(&self, form: &Form) -> Page {
        self.post_form(&form.action, &form.fields).await
    }

    /// Fills in and submits the sign-in form of `page`.
    pub async fn sign_in(&self, page: &Page, username: &str, password: &str) -> Page {
        assert!(
            page.is_login(),
            "expected the sign-in form, got {}: {}",
            page.status,
            page.body
        );
        let mut form = page.form();
        form.set("username", username);
        form.set("password", password);
        self.submit(&form).await
    }

    /// Submits the consent form of `page` with `decision`.
    pub async fn decide(&self, page: &Page, decision: &str) -> Page {
        assert!(
            page.is_consent(),
            "expected the consent form, got {}: {}",
            page.status,
            page.body
        );
        let mut form = page.form();
        form.set("decision", decision);
        self.submit(&form).await
    }

    /// Goes through an authorization: navigates to `url`, signs in if asked, allows if asked, and
    /// returns where the server finally redirects (the client's redirect URI with the response).
    pub async fn authorize(&self, url: &str, username: &str, password: &str) -> String {
        let mut page = self.get(url).await;
        if page.is_login() {
            page = self.sign_in(&page, username, password).await;
        }
        if page.is_consent() {
            page = self.decide(&page, "allow").await;
        }
        assert!(
            matches!(page.status, 302 | 303),
            "expected a redirect, got {}: {}",
            page.status,
            page.body
        );
        page.location().unwrap()
    }
}

#[test]
fn unescape_decodes_references() {
    assert_eq!(unescape("a&amp;b&lt;&#34;&#x27;&#39;&quot;"), "a&b<\"''\"");
    assert_eq!(unescape("x & y"), "x & y");
}
