//! `platc lsp` as an editor sees it: the real binary as a child process,
//! spoken to in JSON-RPC with Content-Length framing over its stdin/stdout.
//! Every read has a deadline and the child is killed on drop, so a broken
//! server fails the test instead of hanging it.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const DEADLINE: Duration = Duration::from_secs(30);

const BROKEN: &str = r#"platform shop { repo = "https://git.example.com/shop.git" }

nodepool app { count = 2 }

secret db-credentials { namespace = shop  keys = [password] }

service api {
  namespace = shop
  image     = "registry.example.com/shop/api:1.0.0"
  nodepool  = ap
  ports     = { http = 8080 }
  env       = { DB_PASSWORD = secret.db-credentials.password }
}

service web {
  namespace = shop
  image     = "registry.example.com/shop/web:1.0.0"
  env       = { API = "http://${service.api.host}:${service.api.port.http}" }
}
"#;

struct Server {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: u64,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads `Content-Length`-framed messages until the stream ends.
fn read_messages(stdout: impl Read, sender: &mpsc::Sender<Value>) {
    let mut reader = BufReader::new(stdout);
    loop {
        let mut length = None;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(value) = line.strip_prefix("Content-Length: ") {
                length = value.parse::<usize>().ok();
            }
        }
        let Some(length) = length else { return };
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let Ok(message) = serde_json::from_slice(&body) else {
            return;
        };
        if sender.send(message).is_err() {
            return;
        }
    }
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_platc"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("platc lsp starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, messages) = mpsc::channel();
        std::thread::spawn(move || read_messages(stdout, &sender));
        Server {
            child,
            stdin,
            messages,
            next_id: 1,
        }
    }

    fn send(&mut self, message: &Value) {
        let body = serde_json::to_string(message).expect("json");
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len())
            .expect("write to the server");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and returns its result, skipping notifications.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        let response = self.wait_for(|m| m["id"] == json!(id));
        assert!(
            response.get("error").is_none(),
            "{method} failed: {response}"
        );
        response["result"].clone()
    }

    /// The next message matching `wanted`, within the deadline.
    fn wait_for(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        let until = Instant::now() + DEADLINE;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            let message = self
                .messages
                .recv_timeout(left)
                .expect("the server answers in time");
            if wanted(&message) {
                return message;
            }
        }
    }

    fn diagnostics_for(&mut self, uri: &str) -> Vec<Value> {
        let message = self.wait_for(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        });
        message["params"]["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .clone()
    }
}

fn uri_of(path: &Path) -> String {
    format!(
        "file://{}",
        path.to_str().expect("utf-8 path").replace(' ', "%20")
    )
}

/// The position (0-based line, UTF-16 column) of the `nth` `needle` plus `shift` characters.
fn position(text: &str, needle: &str, nth: usize, shift: usize) -> Value {
    let offset = text
        .match_indices(needle)
        .nth(nth)
        .map(|(i, _)| i)
        .expect("needle")
        + shift;
    let line = text[..offset].matches('\n').count();
    let column = offset - text[..offset].rfind('\n').map_or(0, |i| i + 1);
    json!({ "line": line, "character": column })
}

#[test]
fn an_editor_session_diagnoses_navigates_hovers_completes_and_shuts_down() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("shop.platform");
    std::fs::write(&file, BROKEN).expect("write");
    let uri = uri_of(&file);
    let mut server = Server::start();

    let init = server.request(
        "initialize",
        json!({ "processId": null, "rootUri": uri_of(dir.path()), "capabilities": {} }),
    );
    let capabilities = &init["capabilities"];
    assert_eq!(capabilities["definitionProvider"], true);
    assert_eq!(capabilities["hoverProvider"], true);
    assert!(capabilities["completionProvider"].is_object());
    server.notify("initialized", json!({}));

    // One error: the unknown node pool, with its code and exact range.
    server.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "platform", "version": 1, "text": BROKEN } }),
    );
    let diagnostics = server.diagnostics_for(&uri);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    let diagnostic = &diagnostics[0];
    assert_eq!(diagnostic["code"], "platc::unknown-reference");
    assert_eq!(diagnostic["severity"], 1);
    assert_eq!(diagnostic["source"], "platc");
    assert_eq!(
        diagnostic["range"]["start"],
        json!({ "line": 9, "character": 14 })
    );
    assert_eq!(
        diagnostic["range"]["end"],
        json!({ "line": 9, "character": 16 })
    );
    assert!(diagnostic["message"]
        .as_str()
        .expect("message")
        .contains("did you mean `app`?"));

    let at = |needle: &str, nth: usize, shift: usize| json!({ "textDocument": { "uri": uri }, "position": position(BROKEN, needle, nth, shift) });

    // Definition: a secret reference goes to the secret, a host reference to the service.
    let definition = server.request("textDocument/definition", at("secret.db-credentials", 0, 8));
    assert_eq!(definition["uri"], uri.as_str());
    assert_eq!(
        definition["range"]["start"],
        position(BROKEN, "db-credentials", 0, 0)
    );
    let definition = server.request("textDocument/definition", at("service.api.host", 0, 9));
    assert_eq!(
        definition["range"]["start"],
        position(BROKEN, "api {", 0, 0)
    );
    let definition = server.request("textDocument/definition", at(".password", 0, 3));
    assert_eq!(
        definition["range"]["start"],
        position(BROKEN, "password]", 0, 0)
    );

    // Hover: what a reference resolves to.
    let hover = server.request("textDocument/hover", at("api.host", 0, 5));
    let text = hover["contents"]["value"].as_str().expect("markdown");
    assert!(text.contains("api.shop.svc.cluster.local"), "{text}");
    let hover = server.request("textDocument/hover", at("port.http", 0, 6));
    assert!(
        hover["contents"]["value"]
            .as_str()
            .expect("markdown")
            .contains("8080"),
        "{hover}"
    );

    // Completion where a node pool is expected.
    let completion = server.request("textDocument/completion", at("= ap\n", 0, 2));
    let labels: Vec<&str> = completion
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["label"].as_str())
        .collect();
    assert_eq!(labels, ["app"]);
    let completion = server.request("textDocument/completion", at("  ports", 0, 2));
    let labels: Vec<&str> = completion
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["label"].as_str())
        .collect();
    assert!(
        labels.contains(&"autoscale") && labels.contains(&"talks-to"),
        "{labels:?}"
    );

    // Fixing the typo clears the diagnostics.
    let fixed = BROKEN.replace("nodepool  = ap\n", "nodepool  = app\n");
    server.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": fixed }] }),
    );
    assert_eq!(server.diagnostics_for(&uri), Vec::<Value>::new());

    let result = server.request("shutdown", Value::Null);
    assert_eq!(result, Value::Null);
    server.notify("exit", Value::Null);
    let until = Instant::now() + DEADLINE;
    loop {
        if let Some(status) = server.child.try_wait().expect("wait") {
            assert!(status.success(), "platc lsp exits cleanly: {status}");
            break;
        }
        assert!(Instant::now() < until, "platc lsp did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}
