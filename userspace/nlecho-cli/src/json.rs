//! A minimal JSON object writer for `--json`: flat objects of strings,
//! integers, booleans and nulls, one per line.

use std::fmt::Write as _;

/// One JSON object, built field by field.
#[derive(Debug)]
pub struct Object {
    buf: String,
    empty: bool,
}

impl Default for Object {
    fn default() -> Self {
        Object::new()
    }
}

impl Object {
    /// `{}` so far.
    pub fn new() -> Self {
        Object {
            buf: String::from("{"),
            empty: true,
        }
    }

    fn key(&mut self, key: &str) {
        if !self.empty {
            self.buf.push(',');
        }
        self.empty = false;
        escape_into(&mut self.buf, key);
        self.buf.push(':');
    }

    /// A string field.
    pub fn str(mut self, key: &str, value: &str) -> Self {
        self.key(key);
        escape_into(&mut self.buf, value);
        self
    }

    /// An unsigned integer field.
    pub fn uint(mut self, key: &str, value: u64) -> Self {
        self.key(key);
        let _ = write!(self.buf, "{value}");
        self
    }

    /// A signed integer field.
    pub fn int(mut self, key: &str, value: i64) -> Self {
        self.key(key);
        let _ = write!(self.buf, "{value}");
        self
    }

    /// A boolean field.
    pub fn bool(mut self, key: &str, value: bool) -> Self {
        self.key(key);
        self.buf.push_str(if value { "true" } else { "false" });
        self
    }

    /// An unsigned integer, or `null`.
    pub fn opt_uint(mut self, key: &str, value: Option<u64>) -> Self {
        match value {
            Some(v) => self.uint(key, v),
            None => {
                self.key(key);
                self.buf.push_str("null");
                self
            }
        }
    }

    /// The object's text, on one line.
    pub fn finish(mut self) -> String {
        self.buf.push('}');
        self.buf
    }
}

/// Appends `s` as a JSON string literal: quotes, backslashes and every
/// control character escaped, everything else (valid UTF-8) as is.
pub fn escape_into(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &str) -> String {
        let mut out = String::new();
        escape_into(&mut out, s);
        out
    }

    #[test]
    fn escapes_quotes_backslashes_and_control_characters() {
        assert_eq!(esc(""), r#""""#);
        assert_eq!(esc("plain text"), r#""plain text""#);
        assert_eq!(esc(r#"say "hi""#), r#""say \"hi\"""#);
        assert_eq!(esc(r"C:\path"), r#""C:\\path""#);
        assert_eq!(esc("a\nb\rc\td"), r#""a\nb\rc\td""#);
        assert_eq!(esc("\u{8}\u{c}"), r#""\b\f""#);
        assert_eq!(esc("\0\u{1}\u{1f}"), r#""\u0000\u0001\u001f""#);
        assert_eq!(esc("\u{7f}"), "\"\u{7f}\"", "DEL needs no escape");
        assert_eq!(esc("héllo ✓ 🦀 \u{2028}"), "\"héllo ✓ 🦀 \u{2028}\"");
    }

    #[test]
    fn escaped_strings_have_no_raw_control_characters() {
        let all: String = (0u32..0x80).filter_map(char::from_u32).collect();
        let out = esc(&all);
        assert!(!out.chars().any(|c| c < ' '));
        // Every quote inside is escaped: the only bare ones are the ends.
        let inner = &out[1..out.len() - 1];
        let bare = inner
            .char_indices()
            .filter(|&(i, c)| c == '"' && !inner[..i].ends_with('\\'))
            .count();
        assert_eq!(bare, 0);
    }

    #[test]
    fn objects_have_fields_in_order() {
        let o = Object::new()
            .str("kind", "message")
            .uint("len", 5)
            .int("error", -1)
            .bool("ok", false)
            .opt_uint("group", None)
            .opt_uint("port", Some(7))
            .finish();
        assert_eq!(
            o,
            r#"{"kind":"message","len":5,"error":-1,"ok":false,"group":null,"port":7}"#
        );
        assert_eq!(Object::new().finish(), "{}");
    }
}
