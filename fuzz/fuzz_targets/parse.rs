//! `parse::parse_file` on arbitrary UTF-8: it must return `Ok` or one
//! `platc::parse` diagnostic whose span lies inside the file, never panic
//! or overflow the stack.
#![no_main]

use libfuzzer_sys::fuzz_target;
use platc::diagnostic::Code;
use platc::source::SourceFile;
use platc::span::FileId;

fuzz_target!(|text: &str| {
    let file = SourceFile {
        id: FileId(0),
        name: "fuzz.platform".to_string(),
        text: text.to_string(),
    };
    if let Err(diagnostic) = platc::parse::parse_file(&file) {
        assert_eq!(
            diagnostic.code,
            Code::Parse,
            "parse_file reported a non-parse diagnostic"
        );
        let span = diagnostic.primary.span;
        assert!(
            span.start() <= span.end() && span.end() <= text.len(),
            "span {span:?} outside the file"
        );
    }
});
