//! Grafana sidecar ConfigMaps in `platform.grafana-namespace`: every
//! `datasource` in one ConfigMap `grafana-datasources` (label
//! `grafana_datasource: "1"`, Grafana's provisioning format), and per
//! `dashboard` a ConfigMap `dashboard-<name>` (label `grafana_dashboard: "1"`,
//! annotation `grafana_folder`) holding the dashboard JSON.
//!
//! Datasources carry a uid derived from their name (`ds-<name>`), and panels
//! refer to datasources by that uid, so the dashboards import without inputs
//! or `${DS_…}` placeholders and never point at a foreign uid. Panels are laid
//! out on Grafana's 24-column grid: top-level panels first, then each row as a
//! `row` panel followed by its panels; a panel is 12 wide (two per line) and
//! 8 high unless it says otherwise, and a line wraps when the next panel
//! would not fit, below the tallest panel of the line.

use serde_json::{json, Map, Value as Json};
use sha2::{Digest, Sha256};

use crate::ir;

use super::{bundle, meta, Object};

/// Grafana's dashboard JSON schema version the output is written for.
const SCHEMA_VERSION: u32 = 39;

/// Longest uid Grafana accepts.
const MAX_UID: usize = 40;

/// Width of the dashboard grid.
const GRID_WIDTH: u32 = 24;

/// Default panel size.
const PANEL_WIDTH: u32 = 12;
const PANEL_HEIGHT: u32 = 8;

/// Name of the datasources ConfigMap.
const DATASOURCES: &str = "grafana-datasources";

/// Panel types whose SQL queries return time series (the others get tables).
const TIME_SERIES_PANELS: &[&str] = &[
    "timeseries",
    "graph",
    "state-timeline",
    "status-history",
    "heatmap",
    "candlestick",
    "trend",
];

/// Panel types that reduce a series to one value.
const REDUCING_PANELS: &[&str] = &["stat", "gauge", "bargauge", "piechart"];

pub(crate) fn render(platform: &ir::Platform, out: &mut Vec<Object>) {
    if let Some(first) = platform.datasources.values().next() {
        out.push(Object::new(datasources_config_map(platform), first.origin));
    }
    for dashboard in platform.dashboards.values() {
        out.push(Object::new(
            dashboard_config_map(platform, dashboard),
            dashboard.origin,
        ));
    }
}

/// A Grafana uid for `text`: the text itself when it fits in 40 characters,
/// else its head and 8 hex digits of its sha256.
fn uid(text: &str) -> String {
    if text.len() <= MAX_UID {
        return text.to_string();
    }
    let digest = Sha256::digest(text.as_bytes());
    let hash: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let head: String = text.chars().take(MAX_UID - hash.len() - 1).collect();
    format!("{}-{hash}", head.trim_end_matches('-'))
}

/// The uid of a datasource. The `ds-` prefix keeps it clear of the uids that
/// charts provision themselves (kube-prometheus-stack's own is `prometheus`).
pub(crate) fn datasource_uid(name: &str) -> String {
    uid(&format!("ds-{name}"))
}

/// The uid of a dashboard: its name.
pub(crate) fn dashboard_uid(name: &str) -> String {
    uid(name)
}

/// The Grafana plugin id of a datasource type.
fn plugin_type(kind: &str) -> &str {
    match kind {
        "clickhouse" => "grafana-clickhouse-datasource",
        other => other,
    }
}

// ------------------------------------------------------------- datasources

fn datasources_config_map(platform: &ir::Platform) -> Json {
    let list: Vec<Json> = platform.datasources.values().map(datasource).collect();
    let provisioning = json!({ "apiVersion": 1, "datasources": list });
    let mut metadata = meta::metadata(
        platform,
        DATASOURCES,
        Some(&platform.settings.grafana_namespace),
        DATASOURCES,
    );
    if let Some(labels) = metadata.get_mut("labels").and_then(Json::as_object_mut) {
        labels.insert("grafana_datasource".into(), json!("1"));
    }
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata,
        "data": { "datasources.yaml": bundle::to_yaml(&provisioning) },
    })
}

/// One entry of Grafana's datasource provisioning file.
fn datasource(ds: &ir::Datasource) -> Json {
    let mut entry = Map::new();
    entry.insert("name".into(), json!(ds.name));
    entry.insert("type".into(), json!(plugin_type(&ds.kind)));
    entry.insert("uid".into(), json!(datasource_uid(&ds.name)));
    let json_data = match ds.kind.as_str() {
        "prometheus" => {
            entry.insert("url".into(), json!(ds.url));
            json!({ "httpMethod": "POST" })
        }
        "elasticsearch" => {
            entry.insert("url".into(), json!(ds.url));
            let mut data = Map::new();
            if let Some(index) = &ds.database {
                data.insert("index".into(), json!(index));
            }
            data.insert("timeField".into(), json!("@timestamp"));
            Json::Object(data)
        }
        "postgres" => {
            let url = Url::parse(&ds.url);
            entry.insert("url".into(), json!(url.host_port(5432)));
            let mut data = Map::new();
            if let Some(database) = ds.database.as_deref().or(url.path) {
                data.insert("database".into(), json!(database));
            }
            if let Some(mode) = url.sslmode() {
                data.insert("sslmode".into(), json!(mode));
            }
            Json::Object(data)
        }
        "clickhouse" => clickhouse_json_data(ds),
        _ => {
            entry.insert("url".into(), json!(ds.url));
            Json::Object(Map::new())
        }
    };
    entry.insert("access".into(), json!("proxy"));
    entry.insert("isDefault".into(), json!(ds.default));
    entry.insert("editable".into(), json!(false));
    if json_data.as_object().is_some_and(|m| !m.is_empty()) {
        entry.insert("jsonData".into(), json_data);
    }
    Json::Object(entry)
}

/// The ClickHouse plugin (v4) takes host, port and protocol, not a URL:
/// `http(s)://` means its HTTP interface, anything else the native one.
fn clickhouse_json_data(ds: &ir::Datasource) -> Json {
    let url = Url::parse(&ds.url);
    let (protocol, secure) = match url.scheme {
        Some("http") => ("http", false),
        Some("https") => ("http", true),
        Some("tls" | "clickhouses" | "tcps") => ("native", true),
        _ => ("native", false),
    };
    let default_port = match (protocol, secure) {
        ("http", false) => 8123,
        ("http", true) => 8443,
        (_, false) => 9000,
        (_, true) => 9440,
    };
    let mut data = Map::new();
    data.insert("host".into(), json!(url.host));
    data.insert("port".into(), json!(url.port.unwrap_or(default_port)));
    data.insert("protocol".into(), json!(protocol));
    data.insert("secure".into(), json!(secure));
    if let Some(database) = ds.database.as_deref().or(url.path) {
        data.insert("defaultDatabase".into(), json!(database));
    }
    Json::Object(data)
}

/// The parts of a datasource URL that SQL datasources need.
#[derive(Debug, PartialEq, Eq)]
struct Url<'a> {
    scheme: Option<&'a str>,
    host: &'a str,
    port: Option<u16>,
    /// The first path segment (a database name), if any.
    path: Option<&'a str>,
    query: Option<&'a str>,
}

impl<'a> Url<'a> {
    fn parse(text: &'a str) -> Self {
        let (scheme, rest) = match text.split_once("://") {
            Some((scheme, rest)) => (Some(scheme), rest),
            None => (None, text),
        };
        let (rest, query) = match rest.split_once('?') {
            Some((rest, query)) => (rest, Some(query)),
            None => (rest, None),
        };
        let (authority, path) = match rest.split_once('/') {
            Some((authority, path)) => {
                (authority, path.split('/').next().filter(|p| !p.is_empty()))
            }
            None => (rest, None),
        };
        let authority = authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host);
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => match port.parse::<u16>() {
                Ok(port) => (host, Some(port)),
                Err(_) => (authority, None),
            },
            None => (authority, None),
        };
        Self {
            scheme,
            host,
            port,
            path,
            query,
        }
    }

    /// `host:port`, with `default` when no port is written.
    fn host_port(&self, default: u16) -> String {
        format!("{}:{}", self.host, self.port.unwrap_or(default))
    }

    /// Postgres `sslmode`: the URL's `sslmode` parameter; else `disable` for
    /// an in-cluster host (`*.svc`, `*.svc.cluster.local` or a bare Service
    /// name), whose chart defaults have no TLS; else Grafana's default.
    fn sslmode(&self) -> Option<&'a str> {
        let from_query = self
            .query
            .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("sslmode=")));
        if from_query.is_some() {
            return from_query;
        }
        let in_cluster = self.host.ends_with(".svc")
            || self.host.ends_with(".svc.cluster.local")
            || !self.host.contains('.');
        in_cluster.then_some("disable")
    }
}

// -------------------------------------------------------------- dashboards

fn dashboard_config_map(platform: &ir::Platform, dashboard: &ir::Dashboard) -> Json {
    let name = format!("dashboard-{}", dashboard.name);
    let mut metadata = meta::metadata(
        platform,
        &name,
        Some(&platform.settings.grafana_namespace),
        &dashboard.name,
    );
    if let Some(meta) = metadata.as_object_mut() {
        if let Some(labels) = meta.get_mut("labels").and_then(Json::as_object_mut) {
            labels.insert("grafana_dashboard".into(), json!("1"));
        }
        if let Some(folder) = &dashboard.folder {
            meta.insert("annotations".into(), json!({ "grafana_folder": folder }));
        }
    }
    let mut text =
        serde_json::to_string_pretty(&dashboard_json(platform, dashboard)).unwrap_or_default();
    text.push('\n');
    let mut data = Map::new();
    data.insert(format!("{}.json", dashboard.name), json!(text));
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata,
        "data": data,
    })
}

/// The dashboard as Grafana stores it.
pub(crate) fn dashboard_json(platform: &ir::Platform, dashboard: &ir::Dashboard) -> Json {
    let time = dashboard
        .time
        .map_or_else(|| "6h".to_string(), ir::Duration::text);
    json!({
        "uid": dashboard_uid(&dashboard.name),
        "title": dashboard.title,
        "tags": dashboard.tags,
        "timezone": "browser",
        "editable": false,
        "graphTooltip": 0,
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "refresh": dashboard.refresh.map(ir::Duration::text).unwrap_or_default(),
        "time": { "from": format!("now-{time}"), "to": "now" },
        "annotations": { "list": [] },
        "templating": { "list": [] },
        "links": [],
        "panels": panels(platform, dashboard),
    })
}

/// Places panels left to right, wrapping below the tallest panel of a line.
#[derive(Debug, Default)]
struct Grid {
    x: u32,
    y: u32,
    line_height: u32,
    next_id: u32,
}

impl Grid {
    fn id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id
    }

    /// Ends the current line, if anything is on it.
    fn break_line(&mut self) {
        if self.x > 0 {
            self.y += self.line_height;
        }
        self.x = 0;
        self.line_height = 0;
    }

    fn place(&mut self, width: u32, height: u32) -> Json {
        let width = width.clamp(1, GRID_WIDTH);
        if self.x + width > GRID_WIDTH {
            self.break_line();
        }
        let pos = json!({ "x": self.x, "y": self.y, "w": width, "h": height });
        self.x += width;
        self.line_height = self.line_height.max(height);
        pos
    }

    /// A full-width row header on a line of its own.
    fn row(&mut self) -> Json {
        self.break_line();
        let pos = json!({ "x": 0, "y": self.y, "w": GRID_WIDTH, "h": 1 });
        self.y += 1;
        pos
    }
}

fn panels(platform: &ir::Platform, dashboard: &ir::Dashboard) -> Vec<Json> {
    let mut grid = Grid::default();
    let mut out = Vec::new();
    // Top-level panels come first: in Grafana, a panel below a row belongs to it.
    for item in &dashboard.items {
        if let ir::DashboardItem::Panel(p) = item {
            out.push(panel(platform, dashboard, p, &mut grid));
        }
    }
    for item in &dashboard.items {
        if let ir::DashboardItem::Row { title, panels } = item {
            let id = grid.id();
            out.push(json!({
                "id": id,
                "type": "row",
                "title": title,
                "collapsed": false,
                "gridPos": grid.row(),
                "panels": [],
            }));
            for p in panels {
                out.push(panel(platform, dashboard, p, &mut grid));
            }
        }
    }
    out
}

/// The datasource a panel queries: its own, the dashboard's, the default
/// one, or the only one.
fn panel_datasource<'a>(
    platform: &'a ir::Platform,
    dashboard: &ir::Dashboard,
    panel: &ir::Panel,
) -> Option<&'a ir::Datasource> {
    let named = panel.datasource.as_ref().or(dashboard.datasource.as_ref());
    if let Some(name) = named {
        return platform.datasources.get(name);
    }
    platform
        .datasources
        .values()
        .find(|d| d.default)
        .or_else(|| {
            let mut all = platform.datasources.values();
            match (all.next(), all.next()) {
                (Some(only), None) => Some(only),
                _ => None,
            }
        })
}

fn panel(
    platform: &ir::Platform,
    dashboard: &ir::Dashboard,
    p: &ir::Panel,
    grid: &mut Grid,
) -> Json {
    let mut out = Map::new();
    out.insert("id".into(), json!(grid.id()));
    out.insert("type".into(), json!(p.kind));
    out.insert("title".into(), json!(p.title));
    out.insert(
        "gridPos".into(),
        grid.place(
            p.width.unwrap_or(PANEL_WIDTH),
            p.height.unwrap_or(PANEL_HEIGHT),
        ),
    );
    if p.kind == "text" {
        out.insert(
            "options".into(),
            json!({ "mode": "markdown", "content": p.query }),
        );
        return Json::Object(out);
    }
    let datasource = panel_datasource(platform, dashboard, p);
    let reference =
        datasource.map(|d| json!({ "type": plugin_type(&d.kind), "uid": datasource_uid(&d.name) }));
    if let Some(reference) = &reference {
        out.insert("datasource".into(), reference.clone());
    }
    out.insert("targets".into(), json!([target(datasource, reference, p)]));
    let mut defaults = Map::new();
    if let Some(unit) = &p.unit {
        defaults.insert("unit".into(), json!(unit));
    }
    out.insert(
        "fieldConfig".into(),
        json!({ "defaults": defaults, "overrides": [] }),
    );
    out.insert("options".into(), options(&p.kind));
    Json::Object(out)
}

/// The one query of a panel, in the shape its datasource expects.
fn target(datasource: Option<&ir::Datasource>, reference: Option<Json>, p: &ir::Panel) -> Json {
    let mut t = Map::new();
    t.insert("refId".into(), json!("A"));
    if let Some(reference) = reference {
        t.insert("datasource".into(), reference);
    }
    let time_series = TIME_SERIES_PANELS.contains(&p.kind.as_str());
    match datasource.map(|d| d.kind.as_str()) {
        Some("postgres") => {
            t.insert("rawSql".into(), json!(p.query));
            t.insert(
                "format".into(),
                json!(if time_series { "time_series" } else { "table" }),
            );
            t.insert("rawQuery".into(), json!(true));
            t.insert("editorMode".into(), json!("code"));
        }
        Some("clickhouse") => {
            // The plugin's Format enum: 0 time series, 1 table, 2 logs.
            let (format, query_type) = match p.kind.as_str() {
                "logs" => (2, "logs"),
                _ if time_series => (0, "timeseries"),
                _ => (1, "table"),
            };
            t.insert("rawSql".into(), json!(p.query));
            t.insert("format".into(), json!(format));
            t.insert("queryType".into(), json!(query_type));
            t.insert("editorType".into(), json!("sql"));
        }
        Some("elasticsearch") => {
            t.insert("query".into(), json!(p.query));
            if p.kind == "logs" {
                t.insert("metrics".into(), json!([{ "id": "1", "type": "logs" }]));
                t.insert("bucketAggs".into(), json!([]));
            } else {
                t.insert("metrics".into(), json!([{ "id": "1", "type": "count" }]));
                t.insert(
                    "bucketAggs".into(),
                    json!([{ "id": "2", "type": "date_histogram", "field": "@timestamp", "settings": { "interval": "auto" } }]),
                );
            }
            t.insert("timeField".into(), json!("@timestamp"));
        }
        // Prometheus and Loki.
        _ => {
            t.insert("expr".into(), json!(p.query));
        }
    }
    Json::Object(t)
}

/// Minimal panel options: single-value panels show the last value.
fn options(kind: &str) -> Json {
    if REDUCING_PANELS.contains(&kind) {
        return json!({ "reduceOptions": { "calcs": ["lastNotNull"], "fields": "", "values": false } });
    }
    if kind == "logs" {
        return json!({ "showTime": true, "wrapLogMessage": true, "sortOrder": "Descending" });
    }
    json!({})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::bundle::to_yaml;

    const SOURCE: &str = r#"
platform demo {
  repo              = "https://git.example.com/demo.git"
  grafana-namespace = monitoring
}

datasource prometheus {
  type    = prometheus
  url     = "http://prometheus-server.monitoring.svc:80"
  default = true
}

datasource warehouse {
  type     = postgres
  url      = "postgresql.database.svc:5432"
  database = "sales"
}

dashboard sales-summary {
  title   = "Sales Summary"
  folder  = "custom"
  refresh = 1m
  tags    = ["sales"]
  row "Anomaly detection" {
    panel "Unit price anomalies" { type = stat  query = "anomaly_unit_price_count" }
    panel "Missing customer id"  { type = gauge  query = "missing_customer_id_ratio"  unit = "percentunit" }
  }
  panel "Sales volume" {
    type       = table
    datasource = warehouse
    query      = "SELECT day, volume FROM sales_volume"
    width      = 24
  }
}
"#;

    fn objects(source: &str) -> Vec<Object> {
        let platform = crate::render::test_view(source);
        let mut out = Vec::new();
        render(&platform, &mut out);
        out
    }

    fn find<'a>(objects: &'a [Object], name: &str) -> &'a Json {
        &objects
            .iter()
            .find(|o| o.name() == name)
            .unwrap_or_else(|| panic!("no {name}"))
            .value
    }

    /// The dashboard JSON inside its ConfigMap, parsed back.
    fn dashboard(objects: &[Object], name: &str) -> Json {
        let text = find(objects, &format!("dashboard-{name}"))["data"][format!("{name}.json")]
            .as_str()
            .expect("dashboard text")
            .to_string();
        serde_json::from_str(&text).expect("dashboard JSON")
    }

    /// `(x, y, w, h)`.
    type Pos = (u64, u64, u64, u64);

    fn grid_pos(panel: &Json) -> Pos {
        let g = &panel["gridPos"];
        let n = |k: &str| g[k].as_u64().expect("grid number");
        (n("x"), n("y"), n("w"), n("h"))
    }

    /// Every panel id is unique and no two grid rectangles overlap.
    fn assert_sound_layout(panels: &[Json]) {
        let ids: std::collections::BTreeSet<u64> =
            panels.iter().filter_map(|p| p["id"].as_u64()).collect();
        assert_eq!(ids.len(), panels.len(), "panel ids are unique");
        for (i, a) in panels.iter().enumerate() {
            let (ax, ay, aw, ah) = grid_pos(a);
            assert!(ax + aw <= 24, "panel {i} fits the grid");
            for b in &panels[i + 1..] {
                let (bx, by, bw, bh) = grid_pos(b);
                let apart = ax + aw <= bx || bx + bw <= ax || ay + ah <= by || by + bh <= ay;
                assert!(apart, "{a} overlaps {b}");
            }
        }
    }

    #[test]
    fn datasources_share_one_config_map_with_stable_uids() {
        let out = objects(SOURCE);
        let cm = find(&out, "grafana-datasources");
        assert_eq!(cm["metadata"]["namespace"], "monitoring");
        assert_eq!(cm["metadata"]["labels"]["grafana_datasource"], "1");
        let text = cm["data"]["datasources.yaml"]
            .as_str()
            .expect("provisioning text");
        let provisioning: Json = serde_yaml::from_str(text).expect("provisioning YAML");
        assert_eq!(provisioning["apiVersion"], 1);
        let list = provisioning["datasources"].as_array().expect("list");
        assert_eq!(
            list[0],
            json!({
                "name": "prometheus", "type": "prometheus", "uid": "ds-prometheus",
                "url": "http://prometheus-server.monitoring.svc:80", "access": "proxy",
                "isDefault": true, "editable": false, "jsonData": {"httpMethod": "POST"},
            })
        );
        assert_eq!(list[1]["type"], "postgres");
        assert_eq!(list[1]["url"], "postgresql.database.svc:5432");
        assert_eq!(
            list[1]["jsonData"],
            json!({"database": "sales", "sslmode": "disable"})
        );
    }

    #[test]
    fn dashboard_config_map_carries_label_and_folder() {
        let out = objects(SOURCE);
        let cm = find(&out, "dashboard-sales-summary");
        assert_eq!(cm["metadata"]["labels"]["grafana_dashboard"], "1");
        assert_eq!(
            cm["metadata"]["annotations"],
            json!({"grafana_folder": "custom"})
        );
        let d = dashboard(&out, "sales-summary");
        assert_eq!(d["uid"], "sales-summary");
        assert_eq!(d["title"], "Sales Summary");
        assert_eq!(d["refresh"], "1m");
        assert_eq!(d["time"], json!({"from": "now-6h", "to": "now"}));
        assert_eq!(d["editable"], false);
        assert_eq!(d["schemaVersion"], 39);
        assert!(d.get("__inputs").is_none());
        assert!(!cm["data"]["sales-summary.json"]
            .as_str()
            .unwrap_or_default()
            .contains("${DS_"));
    }

    #[test]
    fn panels_are_laid_out_on_the_grid() {
        let out = objects(SOURCE);
        let d = dashboard(&out, "sales-summary");
        let panels = d["panels"].as_array().expect("panels");
        let layout: Vec<(String, String, Pos)> = panels
            .iter()
            .map(|p| {
                (
                    p["type"].as_str().unwrap_or_default().to_string(),
                    p["title"].as_str().unwrap_or_default().to_string(),
                    grid_pos(p),
                )
            })
            .collect();
        let expected = [
            ("table", "Sales volume", (0, 0, 24, 8)),
            ("row", "Anomaly detection", (0, 8, 24, 1)),
            ("stat", "Unit price anomalies", (0, 9, 12, 8)),
            ("gauge", "Missing customer id", (12, 9, 12, 8)),
        ];
        let expected: Vec<(String, String, Pos)> = expected
            .iter()
            .map(|(t, n, g)| ((*t).to_string(), (*n).to_string(), *g))
            .collect();
        assert_eq!(layout, expected);
        assert_eq!(panels[1]["collapsed"], false);
        assert_sound_layout(panels);
    }

    #[test]
    fn panels_query_their_datasource_by_uid() {
        let out = objects(SOURCE);
        let d = dashboard(&out, "sales-summary");
        let panels = d["panels"].as_array().expect("panels");
        let sql = &panels[0];
        assert_eq!(
            sql["datasource"],
            json!({"type": "postgres", "uid": "ds-warehouse"})
        );
        assert_eq!(
            sql["targets"][0]["rawSql"],
            "SELECT day, volume FROM sales_volume"
        );
        assert_eq!(sql["targets"][0]["format"], "table");
        // No datasource on the dashboard: the default one.
        let stat = &panels[2];
        assert_eq!(
            stat["datasource"],
            json!({"type": "prometheus", "uid": "ds-prometheus"})
        );
        assert_eq!(
            stat["targets"],
            json!([{"refId": "A", "datasource": {"type": "prometheus", "uid": "ds-prometheus"}, "expr": "anomaly_unit_price_count"}])
        );
        assert_eq!(panels[3]["fieldConfig"]["defaults"]["unit"], "percentunit");
    }

    #[test]
    fn wide_and_tall_panels_wrap_without_overlap() {
        let out = objects(
            r##"
platform demo { repo = "https://git.example.com/demo.git" }
datasource logs { type = loki  url = "http://loki.logging.svc:3100" }
dashboard mixed {
  time = 24h
  panel "a" { query = "x"  width = 8  height = 4 }
  panel "b" { query = "x"  width = 8  height = 10 }
  panel "c" { query = "x"  width = 10 }
  panel "d" { query = "x" }
  row "r" {
    panel "e" { query = "x"  width = 6 }
    panel "f" { query = "x"  width = 20  height = 3 }
  }
  row "empty" { }
  panel "g" { type = text  query = "# notes" }
}
"##,
        );
        let d = dashboard(&out, "mixed");
        assert_eq!(d["time"]["from"], "now-1d");
        assert_eq!(d["refresh"], "");
        let panels = d["panels"].as_array().expect("panels");
        let pos: Vec<Pos> = panels.iter().map(grid_pos).collect();
        assert_eq!(
            pos,
            [
                (0, 0, 8, 4),
                (8, 0, 8, 10),
                (0, 10, 10, 8),
                (10, 10, 12, 8),
                (0, 18, 12, 8),
                (0, 26, 24, 1),
                (0, 27, 6, 8),
                (0, 35, 20, 3),
                (0, 38, 24, 1),
            ]
        );
        assert_sound_layout(panels);
        // The only datasource serves panels that name none; Loki takes `expr`.
        assert_eq!(panels[0]["targets"][0]["expr"], "x");
        assert_eq!(panels[0]["datasource"]["uid"], "ds-logs");
        assert_eq!(
            panels[4]["options"],
            json!({"mode": "markdown", "content": "# notes"})
        );
        assert!(panels[4].get("targets").is_none());
    }

    #[test]
    fn clickhouse_and_elasticsearch_get_their_own_shapes() {
        let out = objects(
            r#"
platform demo { repo = "https://git.example.com/demo.git" }
datasource ch { type = clickhouse  url = "http://clickhouse.analytics.svc:8123/events" }
datasource es { type = elasticsearch  url = "https://es-http.logging.svc:9200"  database = "logs-*" }
dashboard d {
  datasource = ch
  panel "rows" { type = timeseries  query = "SELECT t, n FROM e" }
  panel "errors" { type = logs  datasource = es  query = "level:ERROR" }
}
"#,
        );
        let cm = find(&out, "grafana-datasources");
        let provisioning: Json =
            serde_yaml::from_str(cm["data"]["datasources.yaml"].as_str().unwrap_or_default())
                .expect("yaml");
        let ch = &provisioning["datasources"][0];
        assert_eq!(ch["type"], "grafana-clickhouse-datasource");
        assert!(ch.get("url").is_none());
        assert_eq!(
            ch["jsonData"],
            json!({"host": "clickhouse.analytics.svc", "port": 8123, "protocol": "http", "secure": false, "defaultDatabase": "events"})
        );
        assert_eq!(
            provisioning["datasources"][1]["jsonData"],
            json!({"index": "logs-*", "timeField": "@timestamp"})
        );
        let d = dashboard(&out, "d");
        let t = &d["panels"][0]["targets"][0];
        assert_eq!(t["rawSql"], "SELECT t, n FROM e");
        assert_eq!(t["format"], 0);
        assert_eq!(d["panels"][1]["targets"][0]["query"], "level:ERROR");
        assert_eq!(
            d["panels"][1]["targets"][0]["metrics"],
            json!([{"id": "1", "type": "logs"}])
        );
    }

    #[test]
    fn long_names_get_short_stable_uids() {
        let name = "a-very-long-dashboard-name-that-goes-on-and-on-forever";
        let u = dashboard_uid(name);
        assert!(u.len() <= 40, "{u}");
        assert_eq!(u, dashboard_uid(name));
        assert_ne!(
            u,
            dashboard_uid("a-very-long-dashboard-name-that-goes-on-and-on-forevermore")
        );
        assert_eq!(dashboard_uid("short"), "short");
        assert!(datasource_uid(name).len() <= 40);
    }

    #[test]
    fn url_parts() {
        let u = Url::parse("postgres://grafana@pg.db.svc.cluster.local:6432/sales?sslmode=require");
        assert_eq!(u.scheme, Some("postgres"));
        assert_eq!(u.host_port(5432), "pg.db.svc.cluster.local:6432");
        assert_eq!(u.path, Some("sales"));
        assert_eq!(u.sslmode(), Some("require"));
        assert_eq!(Url::parse("db.example.com").sslmode(), None);
        assert_eq!(Url::parse("postgresql").host_port(5432), "postgresql:5432");
    }

    #[test]
    fn snapshot() {
        let yaml: Vec<String> = objects(SOURCE).iter().map(|o| to_yaml(&o.value)).collect();
        insta::assert_snapshot!(yaml.join("---\n"));
    }
}
