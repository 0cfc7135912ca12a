//! `Bundle`: every output file by its `/`-joined path relative to the output
//! directory, and the single canonical encoder: UTF-8, `\n`, a trailing
//! newline, multi-document files joined with `---`.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::span::Span;

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
        self.add_documents(path, vec![Document { value, origin }]);
    }

    /// Adds a file of several documents.
    ///
    /// # Panics
    /// When the path is already taken.
    pub fn add_documents(&mut self, path: impl Into<String>, documents: Vec<Document>) {
        let path = path.into();
        let previous = self.files.insert(path.clone(), FileContent::Documents(documents));
        assert!(previous.is_none(), "invariant: output path `{path}` is rendered once");
    }

    /// Adds a text file.
    ///
    /// # Panics
    /// When the path is already taken.
    pub fn add_text(&mut self, path: impl Into<String>, text: String) {
        let path = path.into();
        let previous = self.files.insert(path.clone(), FileContent::Text(text));
        assert!(previous.is_none(), "invariant: output path `{path}` is rendered once");
    }

    /// Every file encoded, by path.
    pub fn encode(&self) -> BTreeMap<String, String> {
        self.files.iter().map(|(path, content)| (path.clone(), encode(content))).collect()
    }

    /// Every document with its file path and index in the file.
    pub fn documents(&self) -> impl Iterator<Item = (&str, usize, &Document)> {
        self.files.iter().flat_map(|(path, content)| match content {
            FileContent::Documents(docs) => docs.iter().enumerate().map(|(i, d)| (path.as_str(), i, d)).collect::<Vec<_>>(),
            FileContent::Text(_) => Vec::new(),
        })
    }
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
        FileContent::Documents(docs) => {
            let mut out = String::new();
            for (i, doc) in docs.iter().enumerate() {
                if i > 0 {
                    out.push_str("---\n");
                }
                out.push_str(&to_yaml(&doc.value));
            }
            out
        }
    }
}

/// One value as YAML (block style, keys in insertion order).
pub fn to_yaml(value: &Json) -> String {
    let text = serde_yaml::to_string(value).expect("invariant: JSON values always encode as YAML");
    if text.ends_with('\n') {
        text
    } else {
        text + "\n"
    }
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
    fn yaml_keeps_key_order_and_quotes_ambiguous_strings() {
        let text = to_yaml(&json!({"b": 1, "a": "yes", "c": "on", "d": "1.0", "e": "0755"}));
        assert_eq!(text.lines().next(), Some("b: 1"));
        for line in ["a: 'yes'", "c: 'on'", "d: '1.0'", "e: '0755'"] {
            assert!(text.contains(line), "{text}");
        }
    }
}
