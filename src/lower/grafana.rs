//! Lowering of Grafana `datasource`s and `dashboard`s, with the panel rules
//! (`unknown-panel-type`, `empty-query`).

use std::collections::BTreeMap;

use crate::diagnostic::{Code, Diagnostic};
use crate::ir;
use crate::kinds::Kind;
use crate::resolve::{suggest, Fields, Instance};
use crate::span::Span;

use super::Cx;

/// Panel types shipped with Grafana (current and the legacy `graph`).
pub(crate) const PANEL_TYPES: &[&str] = &[
    "timeseries",
    "stat",
    "gauge",
    "bargauge",
    "table",
    "piechart",
    "barchart",
    "histogram",
    "heatmap",
    "state-timeline",
    "status-history",
    "text",
    "logs",
    "nodeGraph",
    "traces",
    "flamegraph",
    "geomap",
    "candlestick",
    "trend",
    "xychart",
    "news",
    "dashlist",
    "alertlist",
    "annolist",
    "canvas",
    "graph",
];

/// Datasource types platc knows how to provision.
pub(crate) const DATASOURCE_TYPES: &[&str] = &[
    "prometheus",
    "loki",
    "elasticsearch",
    "postgres",
    "clickhouse",
];

pub(crate) fn datasources(cx: &mut Cx<'_, '_>) -> BTreeMap<String, ir::Datasource> {
    let mut out = BTreeMap::new();
    for (name, span, fields) in cx.each(Kind::Datasource) {
        let owner = format!("datasource `{name}`");
        if fields.value("type").is_none() {
            cx.missing(span, &owner, "type", "prometheus");
        }
        let kind = cx.word(fields, "type", DATASOURCE_TYPES);
        let url = cx.required_string(
            fields,
            "url",
            span,
            &owner,
            "\"http://prometheus-server.monitoring.svc:80\"",
        );
        let datasource = ir::Datasource {
            name: name.clone(),
            kind: kind.unwrap_or_else(|| "prometheus".into()),
            url: url.unwrap_or_default(),
            default: cx.bool(fields, "default").unwrap_or(false),
            database: cx.string(fields, "database"),
            origin: span,
        };
        out.insert(name, datasource);
    }
    let defaults: Vec<&ir::Datasource> = out.values().filter(|d| d.default).collect();
    if let [first, second, ..] = defaults.as_slice() {
        cx.push(
            Diagnostic::new(
                Code::DuplicateDeclaration,
                format!(
                    "datasources `{}` and `{}` are both the default",
                    first.name, second.name
                ),
                second.origin,
                "second default",
            )
            .with_label(first.origin, "first default")
            .with_help("Grafana allows one default datasource: keep `default = true` on one"),
        );
    }
    out
}

pub(crate) fn dashboards(
    cx: &mut Cx<'_, '_>,
    datasources: &BTreeMap<String, ir::Datasource>,
) -> BTreeMap<String, ir::Dashboard> {
    let mut out = BTreeMap::new();
    for (name, span, fields) in cx.each(Kind::Dashboard) {
        let datasource = cx.name_ref(fields, "datasource", Kind::Datasource);
        if datasource.is_none()
            && fields.value("datasource").is_none()
            && datasources.len() > 1
            && !datasources.values().any(|d| d.default)
        {
            cx.missing(
                span,
                &format!("dashboard `{name}`"),
                "datasource",
                datasources
                    .keys()
                    .next()
                    .map_or("prometheus", String::as_str),
            );
        }
        // Rows and top-level panels keep their source order.
        let mut items: Vec<(Span, ir::DashboardItem)> = Vec::new();
        for row in fields.multi("row").to_vec() {
            let title = label(&row).unwrap_or_default();
            let panels = row
                .fields
                .multi("panel")
                .iter()
                .map(|p| panel(cx, p))
                .collect();
            items.push((row.key, ir::DashboardItem::Row { title, panels }));
        }
        for p in fields.multi("panel").to_vec() {
            items.push((p.key, ir::DashboardItem::Panel(panel(cx, &p))));
        }
        items.sort_by_key(|(s, _)| (s.file, s.start()));
        let dashboard = ir::Dashboard {
            name: name.clone(),
            title: cx.string(fields, "title").unwrap_or_else(|| name.clone()),
            folder: cx.string(fields, "folder"),
            datasource,
            refresh: cx.duration(fields, "refresh"),
            time: cx.duration(fields, "time"),
            tags: cx
                .strings(fields, "tags")
                .into_iter()
                .map(|(t, _)| t)
                .collect(),
            items: items.into_iter().map(|(_, i)| i).collect(),
            origin: span,
        };
        out.insert(name, dashboard);
    }
    out
}

fn label(instance: &Instance<'_>) -> Option<String> {
    instance.label.and_then(|l| l.as_plain())
}

fn panel(cx: &mut Cx<'_, '_>, instance: &Instance<'_>) -> ir::Panel {
    let fields: &Fields<'_> = &instance.fields;
    let title = label(instance).unwrap_or_default();
    let kind = match fields.value("type") {
        Some(value) => {
            let text = match &value.kind {
                crate::ast::ValueKind::Reference(r) if r.segments.len() == 1 => {
                    Some(r.segments[0].text.clone())
                }
                crate::ast::ValueKind::String(s) => s.as_plain(),
                _ => None,
            };
            match text {
                Some(t) if PANEL_TYPES.contains(&t.as_str()) => t,
                Some(t) => {
                    let help = suggest::did_you_mean(&t, PANEL_TYPES.iter().copied())
                        .unwrap_or_else(|| {
                            "common types are `timeseries`, `stat`, `gauge`, `table`, `bargauge`"
                                .to_string()
                        });
                    cx.push(
                        Diagnostic::new(
                            Code::UnknownPanelType,
                            format!("`{t}` is not a Grafana panel type"),
                            value.span,
                            "unknown panel type",
                        )
                        .with_help(help),
                    );
                    "timeseries".into()
                }
                None => {
                    cx.mismatch(value, "type", "a panel type such as `timeseries`");
                    "timeseries".into()
                }
            }
        }
        None => "timeseries".into(),
    };
    let query = cx.string(fields, "query").unwrap_or_default();
    if kind != "text" && query.trim().is_empty() {
        let span = fields.value("query").map_or(instance.key, |v| v.span);
        cx.push(
            Diagnostic::new(Code::EmptyQuery, format!("panel `{title}` has an empty query"), span, "no query")
                .with_help("write the query the panel shows, e.g. `query = \"sum(rate(http_requests_total[5m]))\"`"),
        );
    }
    ir::Panel {
        title,
        kind,
        query,
        unit: cx.string(fields, "unit"),
        datasource: cx.name_ref(fields, "datasource", Kind::Datasource),
        width: cx.u32(fields, "width", 1, 24),
        height: cx.u32(fields, "height", 1, 100),
    }
}
