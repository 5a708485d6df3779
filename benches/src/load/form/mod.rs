//! A small, tolerant HTML form parser: enough to sign in and consent like a browser would, on any
//! provider's pages, without hard-coding their field names (beyond `username` and `password`).
//!
//! It finds every `<form>` with its `action` and `method`, and the `<input>`, `<button>` and
//! `<textarea>` controls inside it; skips comments, `<script>` and `<style>`; decodes the common
//! character references in attribute values; and never fails: malformed markup yields fewer or
//! partial forms. It is not a full HTML5 tokenizer (no `form=` attribute, no `<select>`).
//! [`Form::entries`] builds the form data set as HTML's "constructing the entry list" does
//! (WHATWG HTML §4.10.21.4): named, enabled controls; checkboxes and radios only when checked; only
//! the chosen submit button.

use std::fmt::Write as _;

mod lexer;
#[cfg(test)]
mod tests;

pub use lexer::decode_entities;
use lexer::{Parser, Tag, strip_tags};

/// How the form is submitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FormMethod {
    /// `method="get"` (HTML's default): the data set goes in the query string.
    Get,
    /// `method="post"`: the data set is the `application/x-www-form-urlencoded` body.
    Post,
}

/// One form control.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Control {
    /// `input`, `button` or `textarea`.
    pub tag: &'static str,
    /// The lower-cased `type` attribute (`text` for inputs and `submit` for buttons when absent).
    pub control_type: String,
    /// The `name` attribute, if any.
    pub name: Option<String>,
    /// The `value` attribute (or a textarea's text), decoded.
    pub value: String,
    /// Whether `checked` is present.
    pub checked: bool,
    /// Whether `disabled` is present.
    pub disabled: bool,
    /// A button's text content, decoded and trimmed (empty for other controls).
    pub label: String,
}

impl Control {
    /// Whether this control submits its form when activated.
    pub fn is_submitter(&self) -> bool {
        matches!(
            (self.tag, self.control_type.as_str()),
            ("input", "submit" | "image") | ("button", "submit")
        )
    }

    /// Whether this is a password field.
    pub fn is_password(&self) -> bool {
        self.tag == "input"
            && (self.control_type == "password" || self.name.as_deref() == Some("password"))
    }
}

/// One `<form>` and its controls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Form {
    /// The raw `action` attribute, decoded; `None` or empty means "the page's own URL".
    pub action: Option<String>,
    /// The submission method.
    pub method: FormMethod,
    /// The controls, in document order.
    pub controls: Vec<Control>,
}

/// Words that mark a submit button (or hidden decision) as the "allow" choice of a consent page.
const ALLOW_WORDS: &[&str] = &[
    "allow",
    "approve",
    "accept",
    "authorize",
    "authorise",
    "consent",
    "grant",
    "yes",
    "confirm",
    "continue",
];
/// Words that mark the refusing choice.
const DENY_WORDS: &[&str] = &["deny", "reject", "cancel", "decline", "refuse", "no"];

/// How a piece of text reads: +1 allow-like, -1 deny-like, 0 neither.
fn polarity(text: &str) -> i32 {
    let lower = text.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if words.iter().any(|w| DENY_WORDS.contains(w)) {
        -1
    } else if words.iter().any(|w| ALLOW_WORDS.contains(w)) {
        1
    } else {
        0
    }
}

impl Form {
    /// Whether the form asks for a password (a sign-in form).
    pub fn has_password(&self) -> bool {
        self.controls.iter().any(Control::is_password)
    }

    /// Whether the form has an enabled control with this name.
    pub fn has_field(&self, name: &str) -> bool {
        self.controls
            .iter()
            .any(|c| !c.disabled && c.name.as_deref() == Some(name))
    }

    /// The index (into `controls`) of the submit button a user would press to allow, or `None`.
    ///
    /// A button reads as "allow" from its name, value or label; a deny-like one is never chosen.
    /// A form whose only submit button is neutral (for example "Submit") but that carries a hidden
    /// allow-like value (`decision=allow`) is an allow form too: its single button is returned.
    pub fn allow_submitter(&self) -> Option<usize> {
        let submitters: Vec<usize> = self
            .controls
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_submitter() && !c.disabled)
            .map(|(i, _)| i)
            .collect();
        let score = |c: &Control| {
            let text = format!(
                "{} {} {}",
                c.name.as_deref().unwrap_or(""),
                c.value,
                c.label
            );
            polarity(&text)
        };
        let mut neutral = Vec::new();
        for &i in &submitters {
            let control = self.controls.get(i)?;
            match score(control) {
                1.. => return Some(i),
                0 => neutral.push(i),
                _ => {}
            }
        }
        let hidden_allow = self
            .controls
            .iter()
            .any(|c| c.control_type == "hidden" && polarity(&c.value) > 0);
        match neutral.as_slice() {
            [only] if hidden_allow => Some(*only),
            _ => None,
        }
    }

    /// Whether the form is an allow form without any submit button (`decision=allow` hidden).
    pub fn is_buttonless_allow(&self) -> bool {
        !self.controls.iter().any(Control::is_submitter)
            && self
                .controls
                .iter()
                .any(|c| c.control_type == "hidden" && polarity(&c.value) > 0)
    }

    /// The form data set submitted with `submitter` (an index into `controls`, or none), with the
    /// values of controls named in `fill` replaced (text-like and password inputs, textareas).
    pub fn entries(
        &self,
        submitter: Option<usize>,
        fill: &[(&str, &str)],
    ) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (i, control) in self.controls.iter().enumerate() {
            let Some(name) = control.name.as_deref() else {
                continue;
            };
            if control.disabled || name.is_empty() {
                continue;
            }
            if control.is_submitter() {
                if submitter == Some(i) {
                    out.push((name.to_owned(), control.value.clone()));
                }
                continue;
            }
            let value = match control.control_type.as_str() {
                "checkbox" | "radio" if !control.checked => continue,
                "checkbox" | "radio" if control.value.is_empty() => "on".to_owned(),
                "button" | "reset" | "file" | "image" => continue,
                _ => fill
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map_or_else(|| control.value.clone(), |(_, v)| (*v).to_owned()),
            };
            out.push((name.to_owned(), value));
        }
        out
    }
}

/// Parses every form of a page. Never fails; unparseable parts are skipped.
pub fn parse_forms(html: &str) -> Vec<Form> {
    let mut parser = Parser::new(html);
    let mut forms = Vec::new();
    let mut current: Option<Form> = None;
    while let Some(tag) = parser.next_tag() {
        match (tag.name.as_str(), tag.closing) {
            ("form", false) if current.is_none() => {
                let method = match tag.attr("method").map(str::to_ascii_lowercase).as_deref() {
                    Some("post") => FormMethod::Post,
                    _ => FormMethod::Get,
                };
                current = Some(Form {
                    action: tag.attr("action").map(str::to_owned),
                    method,
                    controls: Vec::new(),
                });
            }
            ("form", true) => forms.extend(current.take()),
            ("input", false) => {
                if let Some(form) = current.as_mut() {
                    form.controls.push(control(
                        &tag,
                        "input",
                        "text",
                        String::new(),
                        String::new(),
                    ));
                }
            }
            ("button", false) => {
                let label = parser.text_until_close("button");
                if let Some(form) = current.as_mut() {
                    let label = decode_entities(strip_tags(&label).trim());
                    form.controls
                        .push(control(&tag, "button", "submit", String::new(), label));
                }
            }
            ("textarea", false) => {
                let text = decode_entities(&parser.text_until_close("textarea"));
                if let Some(form) = current.as_mut() {
                    form.controls
                        .push(control(&tag, "textarea", "textarea", text, String::new()));
                }
            }
            ("script" | "style", false) => {
                parser.text_until_close(&tag.name);
            }
            _ => {}
        }
    }
    forms.extend(current);
    forms
}

fn control(
    tag: &Tag,
    name: &'static str,
    default_type: &str,
    text: String,
    label: String,
) -> Control {
    let control_type = tag
        .attr("type")
        .map(str::to_ascii_lowercase)
        .filter(|t| !t.is_empty() && name != "textarea")
        .unwrap_or_else(|| default_type.to_owned());
    let value = if name == "textarea" {
        text
    } else {
        tag.attr("value").unwrap_or("").to_owned()
    };
    Control {
        tag: name,
        control_type,
        name: tag.attr("name").map(str::to_owned),
        value,
        checked: tag.attr("checked").is_some(),
        disabled: tag.attr("disabled").is_some(),
        label,
    }
}

/// A short, printable summary of a page for error reports: its forms' actions and field names
/// (never values, which may be secrets).
pub fn describe(forms: &[Form]) -> String {
    let mut out = String::new();
    for form in forms {
        let names: Vec<&str> = form
            .controls
            .iter()
            .filter_map(|c| c.name.as_deref())
            .collect();
        let _ = write!(
            out,
            "[form {:?} action={:?} fields={:?}] ",
            form.method,
            form.action.as_deref().unwrap_or(""),
            names
        );
    }
    if out.is_empty() {
        out.push_str("no form");
    }
    out
}
