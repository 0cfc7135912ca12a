//! Lowering: effective fields → `ir::Platform`, once per environment.
//! Literals become validated types (`CpuMillis`, `Port`…), references are
//! resolved, defaults applied; every value problem is reported here
//! (`type-mismatch`, `missing-field`, `unknown-reference`, the port, image,
//! autoscale, topic, RBAC and dashboard rules). Cross-declaration rules that
//! need the whole typed platform live in `checks.rs`.

mod checks;
mod directory;
mod grafana;
mod platform;
mod rbac;
mod streaming;
mod tree;
mod workload;

use std::collections::{BTreeMap, BTreeSet};

use crate::ast::{Number, Reference, StringLit, StringPart, Value, ValueKind};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, ByteSize, CpuMillis, Duration, Percent, Port};
use crate::kinds::Kind;
use crate::resolve::{suggest, Fields, Resolved};
use crate::source::SourceMap;
use crate::span::Span;

pub use directory::Directory;

/// Text of files named by `file()` calls, keyed by project-relative path;
/// `Err` holds why a file could not be read. Loaded by `source.rs`.
pub type Assets = BTreeMap<String, Result<String, String>>;

/// Lowers the base platform (`env = None`) and one view per declared environment.
pub fn lower(
    resolved: &Resolved<'_>,
    sources: &SourceMap,
    assets: &Assets,
    diagnostics: &mut Vec<Diagnostic>,
) -> BTreeMap<Option<String>, ir::Platform> {
    let mut views = BTreeMap::new();
    let mut envs: Vec<Option<&str>> = vec![None];
    envs.extend(resolved.envs.iter().map(|e| Some(e.as_str())));
    for env in envs {
        let cache = effective_fields(resolved, env);
        let mut cx = Cx {
            resolved,
            sources,
            env,
            assets,
            cache: &cache,
            diagnostics: Vec::new(),
            directory: std::sync::Arc::default(),
        };
        cx.directory = std::sync::Arc::new(Directory::build(&cx));
        if let Some(platform) = platform::lower_platform(&mut cx) {
            let mut platform = platform;
            checks::check(&mut cx, &mut platform);
            views.insert(env.map(str::to_string), platform);
        }
        if diagnostics.is_empty() {
            // Taken over, not copied (10,000 warnings are 1.2 MB).
            std::mem::swap(diagnostics, &mut cx.diagnostics);
        } else {
            diagnostics.append(&mut cx.diagnostics);
        }
        drop(cx);
        // The merged fields are freed on all cores (at 10,000 services,
        // 20 ms on one).
        use rayon::prelude::*;
        for list in cache.into_values() {
            list.into_par_iter().for_each(drop);
        }
    }
    views
}

/// Effective fields of every declaration, by kind, computed once per env.
type Cache<'a> = BTreeMap<Kind, Vec<(String, Span, Fields<'a>)>>;

fn effective_fields<'a>(resolved: &Resolved<'a>, env: Option<&str>) -> Cache<'a> {
    use rayon::prelude::*;
    let mut cache = Cache::new();
    for kind in Kind::ALL {
        // Declarations merge independently: on all cores, in name order.
        let decls: Vec<_> = resolved.of(*kind).collect();
        let list = decls
            .into_par_iter()
            .map(|(name, decl)| (name.clone(), decl.name.span, resolved.effective(decl, env)))
            .collect();
        cache.insert(*kind, list);
    }
    cache
}

/// State shared by the lowering of one environment.
pub(crate) struct Cx<'r, 'a> {
    pub resolved: &'r Resolved<'a>,
    pub sources: &'r SourceMap,
    pub env: Option<&'r str>,
    pub assets: &'r Assets,
    cache: &'r Cache<'a>,
    pub diagnostics: Vec<Diagnostic>,
    /// Shared by the forks that lower declarations on other threads.
    pub directory: std::sync::Arc<Directory>,
}

impl<'r, 'a> Cx<'r, 'a> {
    /// A context with the same inputs and no diagnostics yet, to lower some
    /// declarations on another thread; its diagnostics are appended to this
    /// one's afterwards, in declaration order.
    pub(crate) fn fork(&self) -> Self {
        Self {
            resolved: self.resolved,
            sources: self.sources,
            env: self.env,
            assets: self.assets,
            cache: self.cache,
            diagnostics: Vec::new(),
            directory: std::sync::Arc::clone(&self.directory),
        }
    }

    pub(crate) fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// Appends what `found` yields, in its order, after one reservation.
    pub(crate) fn par_extend(
        &mut self,
        found: impl rayon::iter::ParallelIterator<Item = Diagnostic>,
    ) {
        use rayon::iter::ParallelExtend;
        self.diagnostics.par_extend(found);
    }

    /// Effective fields of every declaration of `kind`, by name.
    pub(crate) fn each(&self, kind: Kind) -> Vec<(String, Span, &'r Fields<'a>)> {
        self.cache
            .get(&kind)
            .map(|list| {
                list.iter()
                    .map(|(name, span, fields)| (name.clone(), *span, fields))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(crate) fn mismatch(&mut self, value: &Value, field: &str, expected: &str) {
        let found = value.kind.describe();
        self.push(
            Diagnostic::new(
                Code::TypeMismatch,
                format!("`{field}` expects {expected}, found {found}"),
                value.span,
                format!("{found} here"),
            )
            .with_help(format!("write {expected} here")),
        );
    }

    /// Reports a required field that is absent.
    pub(crate) fn missing(&mut self, at: Span, owner: &str, field: &str, example: &str) {
        self.push(
            Diagnostic::new(
                Code::MissingField,
                format!("{owner} is missing required field `{field}`"),
                at,
                format!("`{field}` is required here"),
            )
            .with_help(format!("add `{field} = {example}`")),
        );
    }

    // ------------------------------------------------------------ scalars

    /// A plain or interpolated string (heredocs too).
    pub(crate) fn string(&mut self, fields: &Fields<'_>, name: &str) -> Option<String> {
        let value = fields.value(name)?;
        self.string_value(value, name)
    }

    pub(crate) fn string_value(&mut self, value: &Value, name: &str) -> Option<String> {
        match &value.kind {
            ValueKind::String(lit) => self.interpolate(lit),
            ValueKind::Heredoc(text) => Some(text.clone()),
            _ => {
                self.mismatch(value, name, "a string");
                None
            }
        }
    }

    /// A required string.
    pub(crate) fn required_string(
        &mut self,
        fields: &Fields<'_>,
        name: &str,
        at: Span,
        owner: &str,
        example: &str,
    ) -> Option<String> {
        if fields.value(name).is_none() {
            self.missing(at, owner, name, example);
            return None;
        }
        self.string(fields, name)
    }

    /// A word from a closed set, written bare or quoted.
    pub(crate) fn word(
        &mut self,
        fields: &Fields<'_>,
        name: &str,
        options: &[&str],
    ) -> Option<String> {
        let value = fields.value(name)?;
        let (text, span) = match &value.kind {
            ValueKind::Reference(r) if r.segments.len() == 1 => {
                (r.segments[0].text.clone(), r.span)
            }
            ValueKind::None if options.contains(&"none") => ("none".to_string(), value.span),
            ValueKind::String(s) if s.as_plain().is_some() => {
                (s.as_plain().unwrap_or_default(), s.span)
            }
            _ => {
                let expected = format!("one of {}", list_words(options));
                self.mismatch(value, name, &expected);
                return None;
            }
        };
        if options.contains(&text.as_str()) {
            return Some(text);
        }
        let help = suggest::did_you_mean(&text, options.iter().copied())
            .unwrap_or_else(|| format!("use one of {}", list_words(options)));
        self.push(
            Diagnostic::new(
                Code::TypeMismatch,
                format!("`{name}` cannot be `{text}`"),
                span,
                format!("expected one of {}", list_words(options)),
            )
            .with_help(help),
        );
        None
    }

    /// A whole number in `min..=max`.
    pub(crate) fn int(
        &mut self,
        fields: &Fields<'_>,
        name: &str,
        min: i128,
        max: i128,
    ) -> Option<i128> {
        let value = fields.value(name)?;
        self.int_value(value, name, min, max)
    }

    pub(crate) fn int_value(
        &mut self,
        value: &Value,
        name: &str,
        min: i128,
        max: i128,
    ) -> Option<i128> {
        let number = match &value.kind {
            ValueKind::Number(n) if n.unit().is_none() => n,
            _ => {
                self.mismatch(value, name, "a whole number");
                return None;
            }
        };
        let Some(n) = number.scaled(1) else {
            self.mismatch(value, name, "a whole number");
            return None;
        };
        if n < min || n > max {
            self.push(
                Diagnostic::new(
                    Code::TypeMismatch,
                    format!("`{name}` must be between {min} and {max}, found {n}"),
                    value.span,
                    "out of range",
                )
                .with_help(format!("use a number from {min} to {max}")),
            );
            return None;
        }
        Some(n)
    }

    /// A `u32` in `min..=max`.
    pub(crate) fn u32(
        &mut self,
        fields: &Fields<'_>,
        name: &str,
        min: u32,
        max: u32,
    ) -> Option<u32> {
        self.int(fields, name, min.into(), max.into())
            .and_then(|n| u32::try_from(n).ok())
    }

    pub(crate) fn bool(&mut self, fields: &Fields<'_>, name: &str) -> Option<bool> {
        let value = fields.value(name)?;
        match value.kind {
            ValueKind::Bool(b) => Some(b),
            _ => {
                self.mismatch(value, name, "`true` or `false`");
                None
            }
        }
    }

    fn unit_error(&mut self, number: &Number, field: &str, what: &str, example: &str) {
        self.push(
            Diagnostic::new(
                Code::TypeMismatch,
                format!("`{}` is not {what}, as `{field}` expects", number.text()),
                number.span,
                format!("expected {what}"),
            )
            .with_help(format!("write {what} such as `{example}`")),
        );
    }

    pub(crate) fn cpu_number(&mut self, number: &Number, field: &str) -> Option<CpuMillis> {
        let millis = match number.unit() {
            None => number.scaled(1000),
            Some("m") => number.scaled(1),
            Some(_) => None,
        };
        match millis.and_then(|m| u64::try_from(m).ok()) {
            Some(m) => Some(CpuMillis(m)),
            None => {
                self.unit_error(number, field, "a CPU quantity", "250m");
                None
            }
        }
    }

    pub(crate) fn memory_number(&mut self, number: &Number, field: &str) -> Option<ByteSize> {
        let factor: Option<i128> = match number.unit() {
            None => Some(1),
            Some("k") => Some(1000),
            Some("M") => Some(1_000_000),
            Some("G") => Some(1_000_000_000),
            Some("T") => Some(1_000_000_000_000),
            Some("P") => Some(1_000_000_000_000_000),
            Some("Ki") => Some(1 << 10),
            Some("Mi") => Some(1 << 20),
            Some("Gi") => Some(1 << 30),
            Some("Ti") => Some(1 << 40),
            Some("Pi") => Some(1 << 50),
            Some(_) => None,
        };
        let bytes = factor
            .and_then(|f| number.scaled(f))
            .and_then(|b| u128::try_from(b).ok());
        match bytes {
            Some(bytes) => {
                // Keep the user's spelling when it is already a whole quantity.
                let text = if number.magnitude.contains('.') || number.magnitude.starts_with('-') {
                    ByteSize::from_bytes(bytes).text
                } else {
                    number.text()
                };
                Some(ByteSize { bytes, text })
            }
            None => {
                self.unit_error(number, field, "a size in bytes", "512Mi");
                None
            }
        }
    }

    /// A memory or storage size.
    pub(crate) fn size(&mut self, fields: &Fields<'_>, name: &str) -> Option<ByteSize> {
        let value = fields.value(name)?;
        match &value.kind {
            ValueKind::Number(n) => self.memory_number(n, name),
            _ => {
                self.mismatch(value, name, "a size such as `10Gi`");
                None
            }
        }
    }

    pub(crate) fn cpu(&mut self, fields: &Fields<'_>, name: &str) -> Option<CpuMillis> {
        let value = fields.value(name)?;
        match &value.kind {
            ValueKind::Number(n) => self.cpu_number(n, name),
            _ => {
                self.mismatch(value, name, "a CPU quantity such as `500m`");
                None
            }
        }
    }

    pub(crate) fn duration(&mut self, fields: &Fields<'_>, name: &str) -> Option<Duration> {
        let value = fields.value(name)?;
        let number = match &value.kind {
            ValueKind::Number(n) => n,
            _ => {
                self.mismatch(value, name, "a duration such as `30s`");
                return None;
            }
        };
        let factor = match number.unit() {
            Some("s") => Some(1),
            Some("m") => Some(60),
            Some("h") => Some(3600),
            Some("d") => Some(86_400),
            Some("w") => Some(604_800),
            _ => None,
        };
        match factor
            .and_then(|f| number.scaled(f))
            .and_then(|s| u64::try_from(s).ok())
        {
            Some(s) => Some(Duration(s)),
            None => {
                self.unit_error(number, name, "a duration", "30s");
                None
            }
        }
    }

    pub(crate) fn percent(&mut self, fields: &Fields<'_>, name: &str) -> Option<Percent> {
        let value = fields.value(name)?;
        let number = match &value.kind {
            ValueKind::Number(n) => n,
            _ => {
                self.mismatch(value, name, "a percentage such as `70%`");
                return None;
            }
        };
        let parsed = (number.unit() == Some("%"))
            .then(|| number.scaled(1))
            .flatten()
            .and_then(|p| u32::try_from(p).ok())
            .filter(|p| *p >= 1 && *p <= 1000);
        if parsed.is_none() {
            self.unit_error(number, name, "a whole percentage", "70%");
        }
        parsed.map(Percent)
    }

    /// `cpu = 200m..500m` or `cpu = 250m` (request = limit).
    pub(crate) fn cpu_bounds(
        &mut self,
        fields: &Fields<'_>,
        name: &str,
    ) -> Option<ir::Bounds<CpuMillis>> {
        let value = fields.value(name)?;
        match &value.kind {
            ValueKind::Range(low, high) => {
                let request = self.cpu_number(low, name);
                let limit = self.cpu_number(high, name);
                let (request, limit) = (request?, limit?);
                self.check_order(
                    value.span,
                    name,
                    request <= limit,
                    &request.quantity(),
                    &limit.quantity(),
                );
                Some(ir::Bounds { request, limit })
            }
            ValueKind::Number(n) => self.cpu_number(n, name).map(|c| ir::Bounds {
                request: c,
                limit: c,
            }),
            _ => {
                self.mismatch(value, name, "a CPU quantity or range such as `200m..500m`");
                None
            }
        }
    }

    /// `memory = 256Mi..512Mi` or one value.
    pub(crate) fn memory_bounds(
        &mut self,
        fields: &Fields<'_>,
        name: &str,
    ) -> Option<ir::Bounds<ByteSize>> {
        let value = fields.value(name)?;
        match &value.kind {
            ValueKind::Range(low, high) => {
                let request = self.memory_number(low, name);
                let limit = self.memory_number(high, name);
                let (request, limit) = (request?, limit?);
                let ordered = request.bytes <= limit.bytes;
                self.check_order(value.span, name, ordered, &request.text, &limit.text);
                Some(ir::Bounds { request, limit })
            }
            ValueKind::Number(n) => self.memory_number(n, name).map(|m| ir::Bounds {
                request: m.clone(),
                limit: m,
            }),
            _ => {
                self.mismatch(value, name, "a size or range such as `256Mi..512Mi`");
                None
            }
        }
    }

    fn check_order(&mut self, span: Span, name: &str, ordered: bool, request: &str, limit: &str) {
        if !ordered {
            self.push(
                Diagnostic::new(
                    Code::RequestAboveLimit,
                    format!("`{name}` request {request} is above its limit {limit}"),
                    span,
                    "request..limit",
                )
                .with_help(format!(
                    "write the smaller value first: `{limit}..{request}`"
                )),
            );
        }
    }

    /// `resources { cpu = …  memory = … }`.
    pub(crate) fn resources(&mut self, fields: &Fields<'_>) -> ir::Resources {
        match fields.block("resources") {
            Some((block, _)) => ir::Resources {
                cpu: self.cpu_bounds(block, "cpu"),
                memory: self.memory_bounds(block, "memory"),
            },
            None => ir::Resources::default(),
        }
    }

    // ------------------------------------------------------------ collections

    /// A list value's items.
    pub(crate) fn list<'v>(&mut self, fields: &Fields<'v>, name: &str) -> Option<&'v [Value]> {
        let value = fields.value(name)?;
        match &value.kind {
            ValueKind::List(items) => Some(items),
            _ => {
                self.mismatch(value, name, "a list `[…]`");
                None
            }
        }
    }

    /// A list of words or strings (`[get, list, "pods/log"]`).
    pub(crate) fn strings(&mut self, fields: &Fields<'_>, name: &str) -> Vec<(String, Span)> {
        let Some(items) = self.list(fields, name) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            match &item.kind {
                ValueKind::Reference(r) => out.push((r.dotted(), item.span)),
                ValueKind::String(s) => {
                    if let Some(text) = self.interpolate(s) {
                        out.push((text, item.span));
                    }
                }
                _ => self.mismatch(item, name, "a name or a string"),
            }
        }
        out
    }

    /// A map of strings (`labels = { team = "data" }`); numbers and booleans become text.
    pub(crate) fn string_map(
        &mut self,
        fields: &Fields<'_>,
        name: &str,
    ) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let Some(value) = fields.value(name) else {
            return out;
        };
        let ValueKind::Map(entries) = &value.kind else {
            self.mismatch(value, name, "a map `{ key = value }`");
            return out;
        };
        for entry in entries {
            let key = entry.path.dotted();
            let text = match &entry.value.kind {
                ValueKind::String(s) => self.interpolate(s),
                ValueKind::Number(n) => Some(n.text()),
                ValueKind::Bool(b) => Some(b.to_string()),
                ValueKind::Reference(r) if r.segments.len() == 1 => Some(r.dotted()),
                _ => {
                    self.mismatch(&entry.value, &key, "a string");
                    None
                }
            };
            if let Some(text) = text {
                out.insert(key, text);
            }
        }
        out
    }

    /// Named ports: `ports = { http = 8080 }`.
    pub(crate) fn ports(&mut self, fields: &Fields<'_>) -> BTreeMap<String, Port> {
        let mut out = BTreeMap::new();
        let Some(value) = fields.value("ports") else {
            return out;
        };
        let ValueKind::Map(entries) = &value.kind else {
            self.mismatch(
                value,
                "ports",
                "a map of port names to numbers `{ http = 8080 }`",
            );
            return out;
        };
        let mut by_number: BTreeMap<u16, (String, Span)> = BTreeMap::new();
        let mut by_name: BTreeMap<String, Span> = BTreeMap::new();
        for entry in entries {
            let name = entry.path.dotted();
            let number = match &entry.value.kind {
                ValueKind::Number(n) if n.unit().is_none() => n.scaled(1),
                _ => None,
            };
            let Some(number) = number else {
                self.mismatch(&entry.value, &name, "a port number");
                continue;
            };
            let Some(port) = Port::new(number) else {
                self.push(
                    Diagnostic::new(
                        Code::InvalidPort,
                        format!("port `{name}` is {number}, outside 1..65535"),
                        entry.value.span,
                        "not a valid port",
                    )
                    .with_help("use a port number from 1 to 65535"),
                );
                continue;
            };
            if let Err(why) = ir::DnsLabel::new(&name).and_then(|_| {
                if name.len() > 15 {
                    Err("port names are at most 15 characters".to_string())
                } else {
                    Ok(())
                }
            }) {
                self.push(
                    Diagnostic::new(Code::InvalidName, format!("`{name}` is not a valid port name: {why}"), entry.path.span, "invalid port name")
                        .with_help("port names are at most 15 lowercase letters, digits and `-` (IANA_SVC_NAME)"),
                );
            }
            if let Some(first) = by_name.get(&name) {
                self.push(
                    Diagnostic::new(
                        Code::DuplicatePort,
                        format!("port name `{name}` is used twice"),
                        entry.path.span,
                        "second use",
                    )
                    .with_label(*first, "first use")
                    .with_help("give each port its own name"),
                );
                continue;
            }
            if let Some((other, first)) = by_number.get(&port.0) {
                self.push(
                    Diagnostic::new(
                        Code::DuplicatePort,
                        format!("ports `{other}` and `{name}` both use {}", port.0),
                        entry.value.span,
                        "second use of the number",
                    )
                    .with_label(*first, "first use")
                    .with_help("one number can carry only one port name"),
                );
                continue;
            }
            by_name.insert(name.clone(), entry.path.span);
            by_number.insert(port.0, (name.clone(), entry.value.span));
            out.insert(name, port);
        }
        out
    }

    // ------------------------------------------------------------ references

    /// A name that must refer to a declared `kind`, written bare or as `kind.name`.
    pub(crate) fn name_ref(
        &mut self,
        fields: &Fields<'_>,
        field: &str,
        kind: Kind,
    ) -> Option<String> {
        let value = fields.value(field)?;
        self.name_ref_value(value, field, kind)
    }

    pub(crate) fn name_ref_value(
        &mut self,
        value: &Value,
        field: &str,
        kind: Kind,
    ) -> Option<String> {
        let (name, span) = match &value.kind {
            ValueKind::Reference(r) => match &*r.segments {
                [one] => (one.text.clone(), one.span),
                [k, one] if k.text == kind.keyword() => (one.text.clone(), one.span),
                _ => {
                    self.mismatch(value, field, &format!("a {} name", kind.noun()));
                    return None;
                }
            },
            _ => {
                self.mismatch(value, field, &format!("a {} name", kind.noun()));
                return None;
            }
        };
        self.check_declared(kind, &name, span).then_some(name)
    }

    /// Reports `unknown-reference` unless `kind NAME` is declared.
    pub(crate) fn check_declared(&mut self, kind: Kind, name: &str, span: Span) -> bool {
        if self.resolved.has(kind, name) {
            return true;
        }
        let help = suggest::did_you_mean(name, self.resolved.names(kind))
            .unwrap_or_else(|| format!("declare it with `{} {name} {{ … }}`", kind.keyword()));
        self.push(
            Diagnostic::new(
                Code::UnknownReference,
                format!("unknown {} `{name}`", kind.noun()),
                span,
                format!("no {} with this name", kind.noun()),
            )
            .with_help(help),
        );
        false
    }

    /// A list of names of declared `kind`.
    pub(crate) fn name_refs(
        &mut self,
        fields: &Fields<'_>,
        field: &str,
        kind: Kind,
    ) -> Vec<(String, Span)> {
        let Some(items) = self.list(fields, field) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            if let Some(name) = self.name_ref_value(item, field, kind) {
                out.push((name, item.span));
            }
        }
        out
    }

    /// Resolves the `${…}` parts of a string.
    pub(crate) fn interpolate(&mut self, lit: &StringLit) -> Option<String> {
        let mut out = String::new();
        let mut ok = true;
        for part in &lit.parts {
            match part {
                StringPart::Text(t) => out.push_str(t),
                StringPart::Interpolation(r) => match self.reference_text(r, true) {
                    Some(text) => out.push_str(&text),
                    None => ok = false,
                },
            }
        }
        ok.then_some(out)
    }

    /// The text a reference stands for (`service.X.host`, `kafka.K.bootstrap`…).
    /// `in_string`: a secret here would leak into plain text.
    pub(crate) fn reference_text(&mut self, r: &Reference, in_string: bool) -> Option<String> {
        let segs: Vec<&str> = r.segments.iter().map(|s| s.text.as_str()).collect();
        let head = segs.first().copied().unwrap_or("");
        match (head, segs.len()) {
            ("platform", 2) if segs[1] == "name" => Some(self.directory.platform_name.clone()),
            ("env", 2) if segs[1] == "name" => Some(self.env.unwrap_or("default").to_string()),
            ("secret", _) => {
                if in_string {
                    self.push(
                        Diagnostic::new(
                            Code::PlaintextSecret,
                            format!("secret reference `{}` inside a string would leak its value", r.dotted()),
                            r.span,
                            "secret interpolated into text",
                        )
                        .with_help("use the secret as a whole `env` value (`NAME = secret.S.KEY`), which becomes a secretKeyRef"),
                    );
                } else {
                    self.push(
                        Diagnostic::new(
                            Code::PlaintextSecret,
                            format!(
                                "secret reference `{}` can only be a whole `env` value",
                                r.dotted()
                            ),
                            r.span,
                            "secret used as text",
                        )
                        .with_help(
                            "secrets become `secretKeyRef`s; reference them only as `env` values",
                        ),
                    );
                }
                None
            }
            ("service", _) | ("chart", _) | ("kafka", _) | ("topic", _) => {
                self.attribute_text(r, &segs)
            }
            _ => {
                self.push(
                    Diagnostic::new(Code::UnknownReference, format!("unknown reference `{}`", r.dotted()), r.span, "cannot be resolved")
                        .with_help("references are `service.X.host`, `service.X.port.P`, `chart.X.host`, `chart.X.port.P`, `kafka.K.bootstrap`, `topic.T.name`, `secret.S.KEY`, `platform.name`, `env.name`"),
                );
                None
            }
        }
    }

    fn attribute_text(&mut self, r: &Reference, segs: &[&str]) -> Option<String> {
        let kind = Kind::from_keyword(segs[0]).expect("invariant: caller matched a kind keyword");
        let Some(name_ident) = r.segments.get(1) else {
            self.bad_attribute(r, kind, None);
            return None;
        };
        if !self.check_declared(kind, &name_ident.text, name_ident.span) {
            return None;
        }
        let name = name_ident.text.as_str();
        let attr = segs.get(2..).unwrap_or(&[]);
        let found = match (kind, attr) {
            (Kind::Service, ["host"]) => self.directory.services.get(name).map(|s| s.host.clone()),
            (Kind::Chart, ["host"]) => self.directory.charts.get(name).map(|c| c.host.clone()),
            (Kind::Kafka, ["bootstrap"]) => self.directory.kafkas.get(name).cloned(),
            (Kind::Topic, ["name"]) => self.directory.topics.get(name).cloned(),
            (Kind::Service | Kind::Chart, ["port", port]) => {
                let ports = if kind == Kind::Service {
                    self.directory.services.get(name).map(|s| &s.ports)
                } else {
                    self.directory.charts.get(name).map(|c| &c.ports)
                };
                let ports = ports.cloned().unwrap_or_default();
                match ports.get(*port) {
                    Some(p) => Some(p.0.to_string()),
                    None => {
                        let at = r.segments.last().map_or(r.span, |s| s.span);
                        let help = suggest::did_you_mean(port, ports.keys().map(String::as_str)).unwrap_or_else(|| {
                            if ports.is_empty() {
                                format!("`{name}` declares no ports; add `ports = {{ {port} = … }}`")
                            } else {
                                format!("its ports are {}", list_words(&ports.keys().map(String::as_str).collect::<Vec<_>>()))
                            }
                        });
                        self.push(
                            Diagnostic::new(
                                Code::UnknownPort,
                                format!("{} `{name}` has no port `{port}`", kind.noun()),
                                at,
                                "unknown port",
                            )
                            .with_help(help),
                        );
                        return None;
                    }
                }
            }
            _ => {
                self.bad_attribute(r, kind, Some(name));
                return None;
            }
        };
        found
    }

    fn bad_attribute(&mut self, r: &Reference, kind: Kind, name: Option<&str>) {
        let attrs = match kind {
            Kind::Service | Kind::Chart => "`host` or `port.NAME`",
            Kind::Kafka => "`bootstrap`",
            Kind::Topic => "`name`",
            _ => "no attributes",
        };
        let what = name.map_or_else(
            || kind.noun().to_string(),
            |n| format!("{} `{n}`", kind.noun()),
        );
        self.push(
            Diagnostic::new(
                Code::UnknownReference,
                format!("`{}` is not an attribute of {what}", r.dotted()),
                r.span,
                "unknown attribute",
            )
            .with_help(format!("a {} reference takes {attrs}", kind.keyword())),
        );
    }

    /// Adds the declarations a string's `${…}` references talk to.
    pub(crate) fn implied_targets(&mut self, lit: &StringLit, out: &mut BTreeSet<ir::Target>) {
        for part in &lit.parts {
            if let StringPart::Interpolation(r) = part {
                self.implied_target(r, out);
            }
        }
    }

    /// `service.X…`, `chart.X…` and `kafka.K.bootstrap` imply `talks-to = X`.
    pub(crate) fn implied_target(&mut self, r: &Reference, out: &mut BTreeSet<ir::Target>) {
        let segs: Vec<&str> = r.segments.iter().map(|s| s.text.as_str()).collect();
        let target = match segs.as_slice() {
            ["service", name, "host", ..] => ir::Target::Service((*name).to_string()),
            ["chart", name, "host", ..] => ir::Target::Chart((*name).to_string()),
            ["kafka", name, "bootstrap"] => ir::Target::Kafka((*name).to_string()),
            _ => return,
        };
        self.add_target(target, r.span, out);
    }

    /// Records a `talks-to` target, checking that it exposes a port.
    pub(crate) fn add_target(
        &mut self,
        target: ir::Target,
        span: Span,
        out: &mut BTreeSet<ir::Target>,
    ) {
        let ports = match &target {
            ir::Target::Service(n) => self.directory.services.get(n).map(|e| e.ports.len()),
            ir::Target::Chart(n) => self.directory.charts.get(n).map(|e| e.ports.len()),
            ir::Target::Kafka(_) => Some(1),
        };
        if ports == Some(0) {
            let (kind, name) = match &target {
                ir::Target::Service(n) => ("service", n),
                ir::Target::Chart(n) => ("chart", n),
                ir::Target::Kafka(n) => ("kafka", n),
            };
            self.push(
                Diagnostic::new(
                    Code::TalksToNoPorts,
                    format!("{kind} `{name}` exposes no port to talk to"),
                    span,
                    "talks to it here",
                )
                .with_help(format!(
                    "declare its ports: `ports = {{ http = 8080 }}` in {kind} `{name}`"
                )),
            );
        }
        out.insert(target);
    }

    /// The namespace field, or the platform's default namespace.
    pub(crate) fn namespace(&mut self, fields: &Fields<'_>) -> String {
        match fields.value("namespace") {
            Some(value) => {
                let name = match &value.kind {
                    ValueKind::Reference(r) if r.segments.len() == 1 => r.segments[0].text.clone(),
                    ValueKind::String(s) if s.as_plain().is_some() => {
                        s.as_plain().unwrap_or_default()
                    }
                    _ => {
                        self.mismatch(value, "namespace", "a namespace name");
                        return self.directory.default_namespace.clone();
                    }
                };
                // A quoted namespace is checked like a bare one: it becomes a
                // directory of the output (`apps/NAMESPACE/`).
                if let Err(why) = ir::DnsLabel::new(&name) {
                    self.push(
                        Diagnostic::new(
                            Code::InvalidName,
                            format!("`{name}` is not a valid namespace name: {why}"),
                            value.span,
                            "invalid namespace",
                        )
                        .with_help("namespaces are DNS-1123 labels"),
                    );
                }
                name
            }
            None => self.directory.default_namespace.clone(),
        }
    }
}

/// `` `a`, `b` or `c` ``.
pub(crate) fn list_words(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
    match quoted.as_slice() {
        [] => "nothing".into(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}
