//! `Bundle`: every output file by its `/`-joined path relative to the output
//! directory, and the single canonical encoder: UTF-8, `\n`, a trailing
//! newline, multi-document files joined with `---`.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::span::Span;

/// The invariant broken when a bundle of objects only checked is encoded.
pub(crate) const NOT_ENCODED: &str =
    "invariant: a bundle rendered with Seal::Checked (platc validate) is never encoded";

/// One YAML document and the declaration it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub value: Json,
    pub origin: Option<Span>,
}

/// What a file holds.
#[derive(Debug, Clone, PartialEq)]
pub enum FileContent {
    /// YAML documents (Kubernetes objects, kustomizations, values, configs).
    Documents(Vec<Document>),
    /// Text written as is (README).
    Text(String),
    /// Kubernetes objects, each checked and encoded while rendering.
    Sealed(Vec<super::Sealed>),
}

/// What separates the documents of a multi-document file.
const SEPARATOR: &str = "---\n";

impl FileContent {
    /// A file of one document.
    pub fn document(value: Json, origin: Option<Span>) -> Self {
        FileContent::Documents(vec![Document { value, origin }])
    }

    /// The file's bytes, as `encode` gives them, consuming it: the text of
    /// a file of one sealed object is moved, not copied.
    pub fn into_text(self) -> String {
        match self {
            FileContent::Sealed(mut sealed) if sealed.len() == 1 => {
                sealed.pop().and_then(|s| s.text).expect(NOT_ENCODED)
            }
            other => encode(&other),
        }
    }
}

/// The rendered output tree.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bundle {
    pub files: BTreeMap<String, FileContent>,
}

impl Bundle {
    /// Adds a file of one document.
    ///
    /// # Panics
    /// When two renderers claim one path (an invariant: paths derive from unique names).
    pub fn add(&mut self, path: impl Into<String>, value: Json, origin: Option<Span>) {
        self.insert(path.into(), FileContent::document(value, origin));
    }

    /// Adds a file of rendered objects, all sealed or none.
    ///
    /// # Panics
    /// When the path is already taken.
    pub fn add_objects(&mut self, path: impl Into<String>, objects: Vec<super::Object>) {
        self.insert(path.into(), super::Object::into_content(objects));
    }

    /// Adds many files at once: a bulk build of their map, merged into the
    /// bundle's in one pass (the Kustomize bases are ~70,000 files at 10,000
    /// services, which one insertion each searched for from the root).
    ///
    /// # Panics
    /// When a path is taken twice.
    pub fn add_all(&mut self, mut files: Vec<(String, FileContent)>) {
        use rayon::prelude::*;
        let expected = self.files.len() + files.len();
        // Sorted on all cores first: collecting sorted pairs into a map is
        // then one pass (its own sort finds a single run), where sorting
        // ~74,000 paths on one thread was ~6 ms.
        files.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut added: BTreeMap<String, FileContent> = files.into_iter().collect();
        self.files.append(&mut added);
        assert_eq!(
            self.files.len(),
            expected,
            "invariant: every output path is rendered once"
        );
    }

    /// Adds a text file.
    ///
    /// # Panics
    /// When the path is already taken.
    pub fn add_text(&mut self, path: impl Into<String>, text: String) {
        self.insert(path.into(), FileContent::Text(text));
    }

    /// Adds a file; two renderers never claim one path.
    fn insert(&mut self, path: String, content: FileContent) {
        use std::collections::btree_map::Entry;
        match self.files.entry(path) {
            Entry::Vacant(slot) => {
                slot.insert(content);
            }
            Entry::Occupied(slot) => {
                panic!("invariant: output path `{}` is rendered once", slot.key())
            }
        }
    }

    /// Every file encoded, by path.
    pub fn encode(&self) -> BTreeMap<String, String> {
        encode_all(
            self.files
                .iter()
                .map(|(path, content)| (path.clone(), content))
                .collect(),
            encode,
        )
    }

    /// `encode`, consuming the bundle: each file's documents are freed as
    /// soon as it is encoded, so the text reuses their memory instead of
    /// adding to it (`platc build`, which needs only the bytes from here on).
    /// A file of one sealed object takes its text as it is.
    pub fn into_encoded(self) -> BTreeMap<String, String> {
        encode_all(self.files.into_iter().collect(), FileContent::into_text)
    }

    /// Every document with its file path and index in the file; sealed
    /// objects have no document left.
    pub fn documents(&self) -> impl Iterator<Item = (&str, usize, &Document)> {
        self.files.iter().flat_map(|(path, content)| match content {
            FileContent::Documents(docs) => docs
                .iter()
                .enumerate()
                .map(|(i, d)| (path.as_str(), i, d))
                .collect::<Vec<_>>(),
            FileContent::Text(_) | FileContent::Sealed(_) => Vec::new(),
        })
    }
}

/// Encodes files on all cores with `encode_one`; `files` is in path order,
/// and so is the map, built without re-sorting. Borrowed or owned contents
/// (owned ones are dropped on the thread that encoded them).
fn encode_all<C: Send>(
    files: Vec<(String, C)>,
    encode_one: impl Fn(C) -> String + Sync,
) -> BTreeMap<String, String> {
    use rayon::prelude::*;
    let encoded: Vec<(String, String)> = files
        .into_par_iter()
        .map(|(path, content)| {
            let text = encode_one(content);
            (path, text)
        })
        .collect();
    encoded.into_iter().collect()
}

/// The bytes of one file.
pub fn encode(content: &FileContent) -> String {
    match content {
        FileContent::Text(text) => {
            let mut text = text.replace("\r\n", "\n");
            if !text.ends_with('\n') {
                text.push('\n');
            }
            text
        }
        FileContent::Sealed(sealed) => sealed
            .iter()
            .map(|s| s.text.as_deref().expect(NOT_ENCODED))
            .collect::<Vec<&str>>()
            .join(SEPARATOR),
        FileContent::Documents(docs) => {
            let mut out = String::new();
            for (i, doc) in docs.iter().enumerate() {
                if i > 0 {
                    out.push_str(SEPARATOR);
                }
                write_yaml(&mut out, &doc.value);
            }
            out
        }
    }
}

/// One value as YAML: block style, keys in insertion order, two-space
/// indentation, multi-line strings as literal blocks, and every string that
/// a YAML 1.1 or 1.2 reader (kubectl, Helm, PyYAML) could take for something
/// else quoted.
pub fn to_yaml(value: &Json) -> String {
    // Written into a per-thread buffer, then copied once at its exact size:
    // growing each text by doubling was a tenth of encoding, most of it the
    // kernel zeroing fresh pages.
    thread_local! {
        static SCRATCH: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    SCRATCH.with_borrow_mut(|scratch| {
        scratch.clear();
        write_yaml(scratch, value);
        let text = scratch.as_str().to_owned();
        // A rare huge document does not pin its size to the thread.
        if scratch.capacity() > 1 << 20 {
            *scratch = String::new();
        }
        text
    })
}

/// `to_yaml`, appended to `out`.
fn write_yaml(out: &mut String, value: &Json) {
    match value {
        Json::Object(map) if !map.is_empty() => write_map(out, map, 0),
        Json::Array(items) if !items.is_empty() => write_list(out, items, 0),
        scalar => {
            write_scalar(out, scalar, 0);
            out.push('\n');
        }
    }
}

fn indent(out: &mut String, n: usize) {
    const SPACES: &str = "                                                                ";
    let mut n = n;
    while n > 0 {
        let step = n.min(SPACES.len());
        out.push_str(&SPACES[..step]);
        n -= step;
    }
}

fn write_map(out: &mut String, map: &serde_json::Map<String, Json>, level: usize) {
    for (key, value) in map {
        indent(out, level);
        write_string(out, key, level, true);
        out.push(':');
        write_child(out, value, level);
    }
}

fn write_list(out: &mut String, items: &[Json], level: usize) {
    for item in items {
        indent(out, level);
        out.push('-');
        match item {
            Json::Object(map) if !map.is_empty() => {
                // The first key goes on the dash's line.
                let mut first = true;
                for (key, value) in map {
                    if first {
                        out.push(' ');
                        first = false;
                    } else {
                        indent(out, level + 2);
                    }
                    write_string(out, key, level + 2, true);
                    out.push(':');
                    write_child(out, value, level + 2);
                }
            }
            Json::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                write_list(out, inner, level + 2);
            }
            scalar => {
                out.push(' ');
                write_scalar(out, scalar, level + 2);
                out.push('\n');
            }
        }
    }
}

/// What follows `key:` — a nested block on the next lines, or a scalar.
fn write_child(out: &mut String, value: &Json, level: usize) {
    match value {
        Json::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_map(out, map, level + 2);
        }
        Json::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_list(out, items, level + 2);
        }
        scalar => {
            out.push(' ');
            write_scalar(out, scalar, level + 2);
            out.push('\n');
        }
    }
}

fn write_scalar(out: &mut String, value: &Json, level: usize) {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => {
            use std::fmt::Write as _;
            let _ = write!(out, "{n}");
        }
        Json::String(s) => write_string(out, s, level, false),
        Json::Object(_) => out.push_str("{}"),
        Json::Array(_) => out.push_str("[]"),
    }
}

fn write_string(out: &mut String, s: &str, level: usize, is_key: bool) {
    if is_plain_safe(s) {
        out.push_str(s);
    } else if !is_key && s.contains('\n') && literal_block_safe(s) {
        write_literal_block(out, s, level);
    } else if s.chars().all(|c| !c.is_control()) {
        out.push('\'');
        out.push_str(&s.replace('\'', "''"));
        out.push('\'');
    } else {
        // serde_json's escapes are valid YAML double-quoted escapes.
        out.push_str(&serde_json::to_string(s).unwrap_or_default());
    }
}

/// `|`, `|-` or `|+` block with the text indented under its key.
fn write_literal_block(out: &mut String, s: &str, level: usize) {
    let trailing = s.len() - s.trim_end_matches('\n').len();
    out.push('|');
    if s.starts_with(' ') {
        out.push('2');
    }
    match trailing {
        0 => out.push('-'),
        1 => {}
        _ => out.push('+'),
    }
    let body = if trailing == 1 {
        &s[..s.len() - 1]
    } else {
        s.trim_end_matches('\n')
    };
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            indent(out, level);
            out.push_str(line);
        }
    }
    for _ in 1..trailing {
        out.push('\n');
    }
}

/// Text a literal block can carry exactly: printable, no trailing spaces on
/// lines (some editors strip them), no tabs at line starts, no CR.
fn literal_block_safe(s: &str) -> bool {
    s.chars().all(|c| c == '\n' || c == '\t' || !c.is_control())
        && !s.contains('\r')
        && s.split('\n')
            .all(|line| !line.ends_with(' ') && !line.starts_with('\t'))
}

/// A plain (unquoted) scalar that every YAML reader takes as this same string.
fn is_plain_safe(s: &str) -> bool {
    let bytes = s.as_bytes();
    let (Some(&first), Some(&last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    if bytes.len() > 200 {
        return false;
    }
    if !s.is_ascii() {
        return is_plain_safe_text(s);
    }
    // ASCII: one pass over the bytes (this runs for every key and string
    // of every document).
    if first.is_ascii_whitespace() || last.is_ascii_whitespace() || last == b':' {
        return false;
    }
    let indicator = matches!(
        first,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
    );
    if indicator
        && !(first == b'-'
            && bytes.len() > 1
            && bytes[1] != b' '
            && !s.starts_with("---")
            && !looks_numeric(s))
    {
        return false;
    }
    // Most keys and strings hold no space and no control character, and
    // then neither `: ` nor ` #` can occur: one pass without a branch per
    // byte. (With the letter test below, encoding takes 38% fewer
    // instructions than with the general loop alone.)
    let printable = bytes
        .iter()
        .fold(true, |ok, &b| ok & (b > b' ') & (b != 0x7f));
    if !printable {
        let mut previous = 0u8;
        for &b in bytes {
            if b.is_ascii_control()
                || (previous == b':' && b == b' ')
                || (previous == b' ' && b == b'#')
            {
                return false;
            }
            previous = b;
        }
    }
    // A number, a timestamp or a special word starts with a digit, a sign,
    // a dot or one of their letters; most text starts with another letter.
    if first.is_ascii_alphabetic() && !starts_like_special_word(first) {
        return true;
    }
    !(looks_numeric(s) || is_special_word(s) || looks_like_time(s))
}

/// `is_plain_safe` for text with non-ASCII characters (Unicode whitespace
/// and control characters count).
fn is_plain_safe_text(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if s.trim() != s {
        return false;
    }
    if "-?:,[]{}#&*!|>'\"%@`".contains(first)
        && !(first == '-'
            && s.len() > 1
            && !s[1..].starts_with(' ')
            && !s.starts_with("---")
            && !looks_numeric(s))
    {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') || s.chars().any(|c| c.is_control())
    {
        return false;
    }
    !(looks_numeric(s) || is_special_word(s) || looks_like_time(s))
}

/// Go's YAML and PyYAML resolve timestamps and sexagesimal numbers.
fn looks_like_time(s: &str) -> bool {
    s.as_bytes().first().is_some_and(u8::is_ascii_digit)
        && s.contains([':', '-'])
        && s.chars()
            .all(|c| c.is_ascii_digit() || ":-.TtZz ".contains(c))
}

fn looks_numeric(s: &str) -> bool {
    let t = s.trim_start_matches(['+', '-']);
    let Some(first) = t.chars().next() else {
        return false;
    };
    (first.is_ascii_digit() || first == '.')
        && t.chars()
            .all(|c| c.is_ascii_hexdigit() || "._xXoOeE+-".contains(c))
}

fn is_special_word(s: &str) -> bool {
    const WORDS: [&str; 16] = [
        "null", "~", "true", "false", "yes", "no", "on", "off", "y", "n", ".inf", "-.inf", "+.inf",
        ".nan", "<<", "=",
    ];
    // Most keys and values start with none of the words' first characters.
    let starts_like_one = s
        .as_bytes()
        .first()
        .is_some_and(|&b| starts_like_special_word(b));
    s.len() <= 5 && starts_like_one && WORDS.iter().any(|w| w.eq_ignore_ascii_case(s))
}

/// Whether one of `is_special_word`'s words starts with `first`.
fn starts_like_special_word(first: u8) -> bool {
    matches!(
        first.to_ascii_lowercase(),
        b'n' | b'~' | b't' | b'f' | b'y' | b'o' | b'.' | b'-' | b'+' | b'<' | b'='
    )
}

/// Order of kinds inside an app: what others depend on first.
pub fn kind_rank(kind: &str) -> u8 {
    match kind {
        "Namespace" => 0,
        "ResourceQuota" | "LimitRange" => 1,
        "ServiceAccount" => 2,
        "ClusterRole" | "Role" => 3,
        "ClusterRoleBinding" | "RoleBinding" => 4,
        "NetworkPolicy" => 5,
        "ConfigMap" => 6,
        "Kafka" | "KafkaNodePool" => 7,
        "KafkaTopic" | "KafkaUser" => 8,
        "Service" => 9,
        "Deployment" | "StatefulSet" | "Job" | "CronJob" => 10,
        "HorizontalPodAutoscaler" | "ScaledObject" | "PodDisruptionBudget" => 11,
        "Ingress" => 12,
        "ServiceMonitor" | "PodMonitor" => 13,
        _ => 14,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn files_added_at_once_join_the_bundle_in_path_order() {
        let text = |t: &str| FileContent::Text(t.to_string());
        let mut bundle = Bundle::default();
        bundle.add_text("b/x", "1".into());
        bundle.add_all(vec![
            ("c/y".into(), text("2")),
            ("a/z".into(), text("3")),
            ("b/w".into(), text("4")),
        ]);
        let paths: Vec<&str> = bundle.files.keys().map(String::as_str).collect();
        assert_eq!(paths, ["a/z", "b/w", "b/x", "c/y"]);
    }

    #[test]
    #[should_panic(expected = "rendered once")]
    fn a_path_added_twice_at_once_is_an_invariant_failure() {
        let mut bundle = Bundle::default();
        bundle.add_text("b/x", "1".into());
        bundle.add_all(vec![("b/x".into(), FileContent::Text("2".into()))]);
    }

    #[test]
    fn yaml_keeps_key_order_and_quotes_ambiguous_strings() {
        let text = to_yaml(
            &json!({"b": 1, "a": "yes", "c": "on", "d": "1.0", "e": "0755", "f": "2024-01-01", "g": "1e3", "h": ""}),
        );
        assert_eq!(text.lines().next(), Some("b: 1"));
        for line in [
            "a: 'yes'",
            "c: 'on'",
            "d: '1.0'",
            "e: '0755'",
            "f: '2024-01-01'",
            "g: '1e3'",
            "h: ''",
        ] {
            assert!(text.contains(line), "{text}");
        }
    }

    proptest::proptest! {
        /// The one-pass ASCII check decides exactly as the general one.
        #[test]
        fn ascii_fast_path_agrees_with_the_general_check(s in "[-?:,#&*!|>'\"%@` a-zA-Z0-9._~=<+\t\n\x0b\x7f]{0,10}") {
            proptest::prop_assert_eq!(is_plain_safe(&s), is_plain_safe_text(&s), "{:?}", s);
        }
    }

    #[test]
    fn yaml_round_trips_through_a_reader() {
        let value = json!({
            "metadata": {"name": "api", "labels": {"app.kubernetes.io/name": "api"}, "annotations": {}},
            "spec": {
                "containers": [{"name": "api", "args": ["-c", "echo 'hi'", "- x", "a: b", "#x"], "ports": []}],
                "script": "line one\n  indented\nlast\n",
                "json": "{\n  \"a\": 1\n}",
                "lead": "  starts with spaces\nsecond\n",
                "many": "a\n\n\n",
                "tab": "a\tb",
                "nested": [[1, 2], [], {}],
                "unicode": "héllo ✓",
                "empty": "",
                "null": null,
            },
            "ops": [{"op": "add", "value": "a\nb\n", "more": {"x": "y\nz"}}, "- \n", ["a\nb"]],
        });
        let text = to_yaml(&value);
        let back: Json = serde_yaml::from_str(&text).unwrap();
        assert_eq!(back, value, "{text}");
    }
}
