use std::time::Instant;
#[test]
fn timing() {
    let text = std::fs::read_to_string("/tmp/lim/list/a.platform").unwrap();
    let f = platc::source::SourceFile { id: platc::span::FileId(0), name: "a.platform".into(), text: text.clone() };
    let t = Instant::now();
    let _ = platc::parse::parse_file(&f).unwrap();
    eprintln!("parse {:?}", t.elapsed());
    let sm = platc::source::SourceMap::from_strings("/tmp/lim/list", &[("a.platform", &text)]);
    let t = Instant::now();
    let c = platc::pipeline::check(&sm);
    eprintln!("check {:?} {}", t.elapsed(), c.diagnostics.len());
    let t = Instant::now();
    let c = platc::pipeline::compile(&sm);
    eprintln!("compile {:?} {}", t.elapsed(), c.diagnostics.len());
}
