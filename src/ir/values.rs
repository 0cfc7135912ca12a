//! Validated value types. Their constructors are the only checks: a
//! renderer that holds a `CpuMillis` or a `DnsLabel` can rely on it.

use std::fmt;

use serde::Serialize;

/// CPU in millicores (`250m` = 250, `1` = 1000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct CpuMillis(pub u64);

impl CpuMillis {
    /// The Kubernetes quantity: `250m`, or whole cores as `1`.
    pub fn quantity(self) -> String {
        if self.0 % 1000 == 0 {
            format!("{}", self.0 / 1000)
        } else {
            format!("{}m", self.0)
        }
    }
}

impl fmt::Display for CpuMillis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.quantity())
    }
}

/// A size in bytes, remembering the unit it was written with so that output
/// keeps the user's spelling (`512Mi` stays `512Mi`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ByteSize {
    pub bytes: u128,
    /// The canonical Kubernetes quantity (`512Mi`, `20Gi`, `1000000`).
    pub text: String,
}

impl ByteSize {
    /// A size from bytes, spelled with the largest binary unit that divides it.
    pub fn from_bytes(bytes: u128) -> Self {
        const UNITS: [(&str, u128); 5] = [
            ("Pi", 1 << 50),
            ("Ti", 1 << 40),
            ("Gi", 1 << 30),
            ("Mi", 1 << 20),
            ("Ki", 1 << 10),
        ];
        for (unit, factor) in UNITS {
            if bytes >= factor && bytes % factor == 0 {
                return Self {
                    bytes,
                    text: format!("{}{unit}", bytes / factor),
                };
            }
        }
        Self {
            bytes,
            text: bytes.to_string(),
        }
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// A duration in whole seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Duration(pub u64);

impl Duration {
    /// The shortest exact spelling: `30s`, `5m`, `1h`, `7d`.
    pub fn text(self) -> String {
        let s = self.0;
        for (unit, factor) in [("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60)] {
            if s >= factor && s % factor == 0 {
                return format!("{}{unit}", s / factor);
            }
        }
        format!("{s}s")
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

/// A whole percentage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Percent(pub u32);

/// A TCP/UDP port, 1..=65535.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Port(pub u16);

impl Port {
    /// A port, if `n` is in 1..=65535.
    pub fn new(n: i128) -> Option<Self> {
        u16::try_from(n).ok().filter(|p| *p != 0).map(Port)
    }
}

/// A DNS-1123 label: lowercase alphanumerics and `-`, starting with a letter
/// (platc names) and not ending with `-`, at most 63 characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct DnsLabel(String);

impl DnsLabel {
    /// Longest label Kubernetes accepts.
    pub const MAX: usize = 63;

    /// Why `text` is not a label, or the label.
    ///
    /// # Errors
    /// A sentence saying what is wrong.
    pub fn new(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            return Err("a name cannot be empty".into());
        }
        if text.len() > Self::MAX {
            return Err(format!(
                "it is {} characters long; at most {} are allowed",
                text.len(),
                Self::MAX
            ));
        }
        if text.ends_with('-') {
            return Err("it ends with `-`".into());
        }
        if !text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err("only lowercase letters, digits and `-` are allowed".into());
        }
        if !text.as_bytes()[0].is_ascii_lowercase() {
            return Err("it must start with a lowercase letter".into());
        }
        Ok(Self(text.to_string()))
    }

    /// The label.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DnsLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_quantity_prefers_whole_cores() {
        assert_eq!(CpuMillis(1000).quantity(), "1");
        assert_eq!(CpuMillis(250).quantity(), "250m");
        assert_eq!(CpuMillis(1500).quantity(), "1500m");
    }

    #[test]
    fn byte_size_uses_largest_exact_binary_unit() {
        assert_eq!(ByteSize::from_bytes(512 << 20).text, "512Mi");
        assert_eq!(ByteSize::from_bytes(20 << 30).text, "20Gi");
        assert_eq!(ByteSize::from_bytes(1000).text, "1000");
    }

    #[test]
    fn duration_text_round_trips() {
        for s in [1, 30, 60, 90, 3600, 86_400, 604_800, 7 * 86_400 + 1] {
            let text = Duration(s).text();
            let (num, unit) = text.split_at(text.len() - 1);
            let factor = match unit {
                "s" => 1,
                "m" => 60,
                "h" => 3600,
                "d" => 86_400,
                "w" => 604_800,
                other => panic!("unexpected unit {other}"),
            };
            assert_eq!(num.parse::<u64>().unwrap() * factor, s, "{text}");
        }
    }

    #[test]
    fn dns_label_rules() {
        assert!(DnsLabel::new("queue-control").is_ok());
        assert!(DnsLabel::new("a-").is_err());
        assert!(DnsLabel::new(&"a".repeat(64)).is_err());
        assert!(DnsLabel::new(&"a".repeat(63)).is_ok());
    }
}
