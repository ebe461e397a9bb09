//! The shape of the code, checked so it stays that way (ARCHITECTURE.md):
//! the graph of `crate::` imports between source files has no cycle, and no
//! route imports another route.
//!
//! The graph is read from the sources themselves: every `crate::a::b` path
//! (in `use` lines, `use crate::{…}` groups and inline paths) is an edge from
//! the file it is written in to the file that defines module `a::b` (or `a`,
//! when `b` is an item). `mod x;` declarations are not edges: a parent module
//! naming its children is how Rust lays out files, not a dependency.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn source_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `src/`, as its module path (`routes::relay`,
/// `formats` for `formats/mod.rs`, `""` for `lib.rs`).
fn modules(root: &Path) -> BTreeMap<String, PathBuf> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("src is readable")
            .map(|e| e.expect("entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(root).expect("under src");
                let mut parts: Vec<String> = relative
                    .iter()
                    .map(|p| p.to_string_lossy().into_owned())
                    .collect();
                let file = parts.pop().expect("a file name");
                let stem = file.trim_end_matches(".rs");
                if !matches!(stem, "mod" | "lib" | "main") {
                    parts.push(stem.to_owned());
                }
                if stem == "main" {
                    continue; // the binary, not the library
                }
                out.insert(parts.join("::"), path);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// Drops comments and string literals (doc examples mention `crate::` paths
/// that are not imports of this file).
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                out.push_str("\"\"");
            }
            // A char literal such as '"' or '{' (not a lifetime: those have no
            // closing quote two or three bytes on).
            b'\'' if bytes.get(i + 2) == Some(&b'\'') => {
                i += 3;
            }
            b'\'' if bytes.get(i + 1) == Some(&b'\\') && bytes.get(i + 3) == Some(&b'\'') => {
                i += 4;
            }
            b => {
                out.push(b as char);
                i += 1;
            }
        }
    }
    out
}

/// The module paths named after `crate::` in `code`, groups expanded:
/// `crate::{a::b, c::{d, e}}` gives `a::b`, `c::d`, `c::e`.
fn crate_paths(code: &str) -> Vec<String> {
    fn path_chars(c: char) -> bool {
        c.is_ascii_alphanumeric() || c == '_' || c == ':'
    }
    /// Expands a `{…}` group starting at `text[0] == '{'`; returns the paths
    /// (each prefixed with `prefix`) and the bytes consumed.
    fn group(text: &str, prefix: &str, out: &mut Vec<String>) -> usize {
        let mut i = 1;
        let mut current = String::new();
        while i < text.len() {
            let c = text[i..].chars().next().expect("in bounds");
            match c {
                '{' => {
                    i += group(&text[i..], &format!("{prefix}{current}"), out);
                    current.clear();
                }
                ',' | '}' => {
                    // `e as f`: the path is the first word.
                    let item = current
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .trim_end_matches("::");
                    if !item.is_empty() && item != "self" {
                        out.push(format!("{prefix}{item}"));
                    } else if item == "self" {
                        out.push(prefix.trim_end_matches("::").to_owned());
                    }
                    current.clear();
                    i += 1;
                    if c == '}' {
                        return i;
                    }
                }
                c if path_chars(c) => {
                    current.push(c);
                    i += 1;
                }
                _ => {
                    // Whitespace, `*`: words after the path (`as name`) are dropped.
                    if !current.is_empty() {
                        current.push(' ');
                    }
                    i += c.len_utf8();
                }
            }
        }
        i
    }
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue; // `igv_relay_crate::` or similar: not this crate
        }
        let end = rest.find(|c: char| !path_chars(c)).unwrap_or(rest.len());
        let path = &rest[..end];
        if rest[end..].starts_with('{') {
            let used = group(&rest[end..], path, &mut out);
            rest = &rest[end + used..];
        } else {
            out.push(path.trim_end_matches("::").to_owned());
            rest = &rest[end..];
        }
    }
    out
}

/// The module (file) a path points into: its longest prefix that is a module.
fn target_module(path: &str, known: &BTreeMap<String, PathBuf>) -> Option<String> {
    let segments: Vec<&str> = path
        .split("::")
        .map(|s| s.split_whitespace().next().unwrap_or(""))
        .collect();
    (1..=segments.len())
        .rev()
        .map(|n| segments[..n].join("::"))
        .find(|candidate| known.contains_key(candidate))
}

fn import_graph() -> BTreeMap<String, BTreeSet<String>> {
    let root = source_root();
    let modules = modules(&root);
    let mut graph = BTreeMap::new();
    for (module, path) in &modules {
        let text = std::fs::read_to_string(path).expect("readable source");
        // Unit tests inside a file may use anything: they are not the module's
        // dependencies.
        let text = match text.find("#[cfg(test)]") {
            Some(at) => &text[..at],
            None => &text[..],
        };
        let edges: BTreeSet<String> = crate_paths(&code_only(text))
            .iter()
            .filter_map(|p| target_module(p, &modules))
            .filter(|target| target != module && !target.is_empty())
            .collect();
        graph.insert(module.clone(), edges);
    }
    graph
}

/// One cycle of the graph, if there is any (depth-first search).
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        marks: &mut BTreeMap<String, Mark>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(node) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let from = stack.iter().position(|n| n == node).unwrap_or(0);
                let mut cycle = stack[from..].to_vec();
                cycle.push(node.to_owned());
                return Some(cycle);
            }
            None => {}
        }
        marks.insert(node.to_owned(), Mark::Open);
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, marks, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        marks.insert(node.to_owned(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in graph.keys() {
        if let Some(cycle) = visit(node, graph, &mut marks, &mut Vec::new()) {
            return Some(cycle);
        }
    }
    None
}

#[test]
fn the_import_graph_has_no_cycle() {
    let graph = import_graph();
    assert!(graph.len() > 20, "the source tree was not found: {graph:?}");
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "the crate:: imports form a cycle: {}\n(ARCHITECTURE.md says which way each layer may import)",
            cycle.join(" -> ")
        );
    }
}

#[test]
fn no_route_imports_another_route() {
    let graph = import_graph();
    for (module, edges) in &graph {
        if !module.starts_with("routes::") {
            continue;
        }
        let routes: Vec<&String> = edges.iter().filter(|e| e.starts_with("routes")).collect();
        assert!(
            routes.is_empty(),
            "{module} imports {routes:?}: shared helpers belong in domain/, page/ or web/"
        );
    }
}

#[test]
fn state_error_and_middleware_import_no_route_and_not_startup() {
    let graph = import_graph();
    for module in ["state", "error", "middleware"] {
        let edges = graph
            .get(module)
            .unwrap_or_else(|| panic!("{module}.rs exists"));
        let bad: Vec<&String> = edges
            .iter()
            .filter(|e| e.starts_with("routes") || *e == "startup")
            .collect();
        assert!(bad.is_empty(), "{module} imports {bad:?}");
    }
}

/// The checker itself: a cycle is found, and groups and inline paths count.
#[test]
fn the_checker_finds_a_planted_cycle_and_reads_groups() {
    let paths = crate_paths(&code_only(
        "use crate::{a::b, c::{d, e as f}, g};\nlet x = crate::h::i(); // crate::not\nlet s = \"crate::nope\";",
    ));
    assert_eq!(paths, ["a::b", "c::d", "c::e", "g", "h::i"]);
    let mut graph = BTreeMap::new();
    graph.insert("a".to_owned(), BTreeSet::from(["b".to_owned()]));
    graph.insert("b".to_owned(), BTreeSet::from(["c".to_owned()]));
    graph.insert("c".to_owned(), BTreeSet::from(["a".to_owned()]));
    let cycle = find_cycle(&graph).expect("a planted cycle is found");
    assert_eq!(cycle.first(), cycle.last());
    graph.get_mut("c").expect("c").clear();
    assert_eq!(find_cycle(&graph), None);
}

/// Every file the binary compiles in (`include_str!`/`include_bytes!`, the
/// askama templates) lies under a directory the Dockerfile's build stage
/// copies: a missing `COPY demo ./demo` once broke the image while every
/// test passed.
#[test]
fn the_container_build_copies_every_file_the_binary_embeds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dockerfile = std::fs::read_to_string(root.join("Dockerfile")).unwrap();
    let builder: String = dockerfile
        .split("\nFROM ")
        .find(|stage| stage.contains("AS builder"))
        .expect("a builder stage")
        .to_owned();
    let copied: BTreeSet<String> = builder
        .lines()
        .filter_map(|l| l.strip_prefix("COPY "))
        .filter(|l| !l.starts_with("--from"))
        .flat_map(|l| {
            let parts: Vec<&str> = l.split_whitespace().collect();
            parts[..parts.len().saturating_sub(1)]
                .iter()
                .map(|p| p.trim_end_matches('/').to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    let mut embedded: BTreeSet<String> = BTreeSet::from(["templates".to_owned()]);
    let mut stack = vec![root.join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for include in ["include_str!(\"", "include_bytes!(\""] {
                for rest in text.split(include).skip(1) {
                    let relative = rest.split('"').next().unwrap();
                    let file = path.parent().unwrap().join(relative);
                    let file = file.canonicalize().unwrap_or(file);
                    let Ok(inside) = file.strip_prefix(root.canonicalize().unwrap()) else {
                        continue;
                    };
                    let top = inside.components().next().unwrap();
                    let top = top.as_os_str().to_string_lossy().into_owned();
                    // Test fixtures are compiled only into unit tests.
                    if top != "tests" {
                        embedded.insert(top);
                    }
                }
            }
        }
    }
    assert!(embedded.contains("demo") && embedded.contains("genomes"));
    let missing: Vec<&String> = embedded
        .iter()
        .filter(|top| {
            !copied
                .iter()
                .any(|c| c == *top || c.starts_with(&format!("{top}/")))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "the Dockerfile's build stage copies {copied:?} but the binary embeds files from {missing:?}"
    );
}

/// Issue 22: every relay link is a plain top-level link. A named target
/// opens a second tab (with `noopener`, a new one on every click: a
/// `noopener` navigation cannot find its earlier tab by name), so no link in
/// a template may have one, `noopener` goes only with `_blank` (IGV-Web, not
/// the relay), and no link goes through the landing page (`landing=1` is for
/// links passed on elsewhere). The embed kit and the page scripts follow the
/// same rules.
#[test]
fn no_template_or_script_opens_relay_links_in_a_named_tab_or_the_landing_page() {
    const KEYWORDS: &[&str] = &["_top", "_blank", "_self", "_parent"];
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut problems = Vec::new();
    let mut links = 0;
    let mut templates: Vec<PathBuf> = std::fs::read_dir(root.join("templates"))
        .expect("templates/")
        .map(|e| e.expect("entry").path())
        .collect();
    templates.sort();
    for path in &templates {
        let text = std::fs::read_to_string(path).expect("a template");
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if text.contains("landing=1") {
            problems.push(format!(
                "{name}: a link through the landing page (landing=1)"
            ));
        }
        for tag in text.split("<a ").skip(1) {
            let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
            links += 1;
            let attr = |key: &str| {
                tag.split_once(&format!(" {key}=\""))
                    .or_else(|| {
                        tag.strip_prefix(&format!("{key}=\""))
                            .map(|rest| ("", rest))
                    })
                    .and_then(|(_, rest)| rest.split('"').next())
            };
            let target = attr("target");
            if let Some(t) = target.filter(|t| !KEYWORDS.contains(t)) {
                problems.push(format!("{name}: a named target {t:?} in <a {tag}>"));
            }
            if attr("rel").is_some_and(|r| r.contains("noopener")) && target != Some("_blank") {
                problems.push(format!("{name}: noopener without _blank in <a {tag}>"));
            }
        }
    }
    let mut scripts: Vec<PathBuf> = std::fs::read_dir(root.join("static"))
        .expect("static/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "js"))
        .collect();
    scripts.sort();
    assert!(
        scripts.iter().any(|p| p.ends_with("igv-relay.js")),
        "{scripts:?}"
    );
    let mut target_lines = 0;
    for path in &scripts {
        let text = std::fs::read_to_string(path).expect("a script");
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        for word in ["noopener", "landing"] {
            if text.contains(word) {
                problems.push(format!("{name}: mentions {word:?}"));
            }
        }
        // Every string on a line that sets a link's target is a keyword or
        // the name of the attribute it comes from.
        for line in text
            .lines()
            .filter(|l| l.contains("target = ") && !l.trim_start().starts_with("//"))
        {
            target_lines += 1;
            for literal in line.split('"').skip(1).step_by(2) {
                if !(KEYWORDS.contains(&literal)
                    || matches!(literal, "target" | "data-igv-target" | ""))
                {
                    problems.push(format!("{name}: target {literal:?} in {line:?}"));
                }
            }
        }
    }
    assert!(
        links > 20,
        "the scan found only {links} links in templates/"
    );
    assert!(
        target_lines >= 3,
        "the scan found {target_lines} target lines in static/"
    );
    assert!(problems.is_empty(), "{problems:#?}");
}
