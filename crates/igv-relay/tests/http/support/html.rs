//! Reading the service's HTML as a browser would: a small tag scanner,
//! strict enough to notice an attribute that broke out of its quotes, and
//! the links a page gives IGV.

/// `text` with its character references decoded (`&amp;`, `&#38;`, `&#x26;`).
pub fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';').filter(|&e| e <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") || e.starts_with("#X") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
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

/// A start tag.
#[derive(Debug, Clone)]
pub struct Tag {
    pub name: String,
    /// In document order, values unescaped; `None` for a bare attribute.
    pub attrs: Vec<(String, Option<String>)>,
}

impl Tag {
    /// The value of attribute `name`, if it has one.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.as_deref())
    }

    pub fn has_class(&self, class: &str) -> bool {
        self.attr("class")
            .is_some_and(|c| c.split_whitespace().any(|c| c == class))
    }
}

/// Every start tag in `html`, in order, as a browser would tokenize it
/// (quotes respected).
pub fn tags(html: &str) -> Vec<Tag> {
    let bytes = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'<' || !bytes.get(i + 1).is_some_and(u8::is_ascii_alphabetic) {
            i += 1;
            continue;
        }
        i += 1;
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() && !b">/".contains(&bytes[i]) {
            i += 1;
        }
        let name = html[start..i].to_ascii_lowercase();
        let mut attrs = Vec::new();
        loop {
            while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
                i += 1;
            }
            if i >= bytes.len() || bytes[i] == b'>' {
                i += 1;
                break;
            }
            let start = i;
            while i < bytes.len() && !bytes[i].is_ascii_whitespace() && !b"=>".contains(&bytes[i]) {
                i += 1;
            }
            let attr = html[start..i].to_ascii_lowercase();
            let value = if bytes.get(i) == Some(&b'=') {
                i += 1;
                Some(attribute_value(html, &mut i))
            } else {
                None
            };
            attrs.push((attr, value));
        }
        out.push(Tag { name, attrs });
    }
    out
}

/// The value starting at `html[*i]` (quoted or not), unescaped; `*i` moves
/// past it.
fn attribute_value(html: &str, i: &mut usize) -> String {
    let bytes = html.as_bytes();
    match bytes.get(*i) {
        Some(&q @ (b'"' | b'\'')) => {
            let start = *i + 1;
            let end = html[start..]
                .find(q as char)
                .map_or(bytes.len(), |e| start + e);
            *i = end + 1;
            unescape(&html[start..end])
        }
        _ => {
            let start = *i;
            while *i < bytes.len() && !bytes[*i].is_ascii_whitespace() && bytes[*i] != b'>' {
                *i += 1;
            }
            unescape(&html[start..*i])
        }
    }
}

/// Every `data-locus` of a page, in order: exactly what IGV is sent.
pub fn loci(html: &str) -> Vec<String> {
    html.split("data-locus=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

/// Every `href` of a page, in order, `&` unescaped.
pub fn hrefs(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|h| h.replace("&#38;", "&"))
        .collect()
}

/// The text between the first `start` after which `end` follows, and that `end`.
pub fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

/// The text of each `<li>` in the `<ul>` or `<details>` of class `list`.
pub fn items(html: &str, list: &str) -> Vec<String> {
    let Some(start) = html.find(&format!("class=\"{list}\"")) else {
        return Vec::new();
    };
    let rest = &html[start..];
    let end = rest.find("</ul>").unwrap_or(rest.len());
    rest[..end]
        .split("<li")
        .skip(1)
        .map(|li| {
            let mut text = String::new();
            let mut in_tag = false;
            for c in format!("<li{li}").chars() {
                match c {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            unescape(text.trim())
        })
        .collect()
}

/// The `href` of every `<a>` of class `class`, unescaped.
pub fn links(html: &str, class: &str) -> Vec<String> {
    tags(html)
        .into_iter()
        .filter(|t| t.name == "a" && t.has_class(class))
        .filter_map(|t| t.attr("href").map(unescape))
        .collect()
}
