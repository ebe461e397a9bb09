//! The shape of the code, checked so it stays that way (ARCHITECTURE.md):
//!
//! - the files of both crates import each other in no circle, by any module
//!   path: `crate::`, `super::`, `self::`, a child module's name, and
//!   `igv_relay_core::` from the server, each followed through the `pub use`
//!   re-exports of a module to the file that defines the item;
//! - no route imports another route; the state, the errors and the
//!   middleware import no route and not the start-up;
//! - the core knows no HTTP: its manifest and `cargo tree` name none of
//!   actix-web, reqwest, tokio, config, clap;
//! - no function of the core's rows, view and writers (and of the page and
//!   export they make) is over ~100 lines;
//! - no `#[path]` includes, no `static` caches, no Debug text as a key;
//! - the container's build stage copies every file the binaries embed.
//!
//! A path's target is the longest prefix that names a module (a file); the
//! item after it is looked up among that module's re-exports. `mod x;`
//! declarations and `pub use` re-exports are not edges: a module naming its
//! children, or handing their items on, is how Rust lays out files, not a
//! dependency. Code after a file's first `#[cfg(test)]` is its unit tests,
//! which may use anything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The crates, by the name other crates use for them.
fn crates() -> [(&'static str, PathBuf); 2] {
    [
        (
            "igv_relay_core",
            workspace().join("crates/igv-relay-core/src"),
        ),
        ("igv_relay", workspace().join("crates/igv-relay/src")),
    ]
}

/// A source file as a module: `igv_relay_core::rows::reader`.
#[derive(Clone, Debug)]
struct Module {
    path: PathBuf,
}

/// Every `.rs` file under each crate's `src/` (but `main.rs`, the binary),
/// by module path: `igv_relay::routes::relay`, `igv_relay_core` for `lib.rs`.
fn modules(roots: &[(&str, PathBuf)]) -> BTreeMap<String, Module> {
    fn walk(dir: &Path, root: &Path, name: &str, out: &mut BTreeMap<String, Module>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("src is readable")
            .map(|e| e.expect("entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, root, name, out);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(root).expect("under src");
            let mut parts: Vec<String> = vec![name.to_owned()];
            parts.extend(
                relative
                    .iter()
                    .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned()),
            );
            let file = parts.pop().expect("a file name");
            if file == "main" {
                continue; // the binary, not the library
            }
            // `mod.rs` and `lib.rs` are their directory's module.
            if !matches!(file.as_str(), "mod" | "lib") {
                parts.push(file);
            }
            out.insert(parts.join("::"), Module { path });
        }
    }
    let mut out = BTreeMap::new();
    for (name, root) in roots {
        walk(root, root, name, &mut out);
    }
    out
}

/// Drops comments and string literals (doc examples mention paths that are
/// not imports of this file).
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
                    if bytes[i] == b'\n' {
                        out.push('\n');
                    }
                    i += 1;
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    } else if bytes[i] == b'\n' {
                        out.push('\n');
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

/// A file's own code: without its unit tests.
fn own_code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("readable source");
    let code = code_only(&text);
    match code.find("#[cfg(test)]") {
        Some(at) => code[..at].to_owned(),
        None => code,
    }
}

fn path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

/// Expands a `{…}` group starting at `text[0] == '{'`: its paths, each
/// prefixed with `prefix`, and the bytes used.
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
                if item == "self" {
                    out.push(prefix.trim_end_matches("::").to_owned());
                } else if !item.is_empty() {
                    out.push(format!("{prefix}{item}"));
                }
                current.clear();
                i += 1;
                if c == '}' {
                    return i;
                }
            }
            c if path_char(c) => {
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

/// The paths of a `use` tree, groups expanded: `a::{b, c::{d, e as f}}`
/// gives `a::b`, `a::c::d`, `a::c::e`.
fn use_tree(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let mut out = Vec::new();
    match tree.find('{') {
        Some(at) => {
            group(&tree[at..], &tree[..at], &mut out);
        }
        None => out.push(
            tree.split_whitespace()
                .next()
                .unwrap_or("")
                .trim_end_matches("::*")
                .to_owned(),
        ),
    }
    out
}

/// What one file's code says about paths: the paths it uses (in `use`
/// items and inline), and the names it re-exports (`pub use`).
#[derive(Default, Debug)]
struct Paths {
    used: Vec<String>,
    /// Name in this module → the path it stands for.
    reexports: Vec<(String, String)>,
    /// Modules whose every public item this module re-exports (`pub use x::*`).
    globs: Vec<String>,
}

/// The `use` items of `code` (with their visibility), and what is left.
fn use_items(code: &str) -> (Vec<(bool, String)>, String) {
    let mut items = Vec::new();
    let mut rest = String::with_capacity(code.len());
    let mut text = code;
    while let Some(at) = find_word(text, "use") {
        let head = &text[..at];
        let line_start = head.rfind('\n').map_or(0, |i| i + 1);
        let before = head[line_start..].trim();
        let public = before.starts_with("pub");
        let Some(end) = text[at..].find(';') else {
            break;
        };
        rest.push_str(&text[..line_start]);
        items.push((public, text[at + 3..at + end].to_owned()));
        text = &text[at + end + 1..];
    }
    rest.push_str(text);
    (items, rest)
}

/// Where `word` stands alone in `text`, first.
fn find_word(text: &str, word: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = text[from..].find(word) {
        let at = from + at;
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        if !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            && after.is_some_and(char::is_whitespace)
        {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

/// Inline paths (`crate::a::b()`, `super::x`, `igv_relay_core::y`) in code
/// without its `use` items.
fn inline_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    for start in ["crate::", "super::", "self::", "igv_relay_core::"] {
        let mut rest = code;
        while let Some(at) = rest.find(start) {
            let before = rest[..at].chars().next_back();
            let from = &rest[at..];
            rest = &rest[at + start.len()..];
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
                continue; // `a::super::` or `my_crate::`: part of another path
            }
            let end = from.find(|c: char| !path_char(c)).unwrap_or(from.len());
            let path = &from[..end];
            if from[end..].starts_with('{') {
                group(&from[end..], path, &mut out);
            } else {
                out.push(path.trim_end_matches("::").to_owned());
            }
        }
    }
    out
}

fn paths_of(code: &str) -> Paths {
    let (items, rest) = use_items(code);
    let mut paths = Paths::default();
    for (public, tree) in items {
        for path in use_tree(&tree) {
            if public {
                if tree.contains('*') && !tree.contains('{') {
                    paths.globs.push(path);
                } else {
                    let name = path.rsplit("::").next().unwrap_or("").to_owned();
                    paths.reexports.push((name, path));
                }
            } else {
                paths.used.push(path);
            }
        }
    }
    paths.used.extend(inline_paths(&rest));
    paths
}

/// Every module's paths, as read from its own code.
struct Tree {
    modules: BTreeMap<String, Module>,
    paths: BTreeMap<String, Paths>,
}

impl Tree {
    fn read(roots: &[(&str, PathBuf)]) -> Self {
        let modules = modules(roots);
        let paths = modules
            .iter()
            .map(|(name, module)| (name.clone(), paths_of(&own_code(&module.path))))
            .collect();
        Self { modules, paths }
    }

    /// The module `module`'s relative paths are relative to (a file `a/b.rs`
    /// is module `a::b`; its `super` is `a`).
    fn parent(module: &str) -> &str {
        module
            .rsplit_once("::")
            .map_or(module, |(parent, _)| parent)
    }

    /// `path`, written in `module`, as an absolute path.
    fn absolute(&self, module: &str, path: &str) -> Option<String> {
        let mut segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
        let own_crate = module.split("::").next().unwrap_or("");
        let mut base: String = match segments.first().copied()? {
            "crate" => own_crate.to_owned(),
            "igv_relay_core" | "igv_relay" => String::new(),
            "self" => module.to_owned(),
            "super" => module.to_owned(),
            // A child module's name (uniform paths in Rust 2018).
            child if self.modules.contains_key(&format!("{module}::{child}")) => module.to_owned(),
            _ => return None, // std, another crate, a local name
        };
        while let Some(&"super") = segments.first() {
            base = Self::parent(&base).to_owned();
            segments.remove(0);
        }
        if matches!(segments.first().copied(), Some("crate" | "self")) {
            segments.remove(0);
        }
        let mut absolute = base;
        for segment in segments {
            if !absolute.is_empty() {
                absolute.push_str("::");
            }
            absolute.push_str(segment);
        }
        Some(absolute)
    }

    /// The file an absolute path points into: its longest prefix that is a
    /// module, then through that module's re-exports of the next name.
    fn target(&self, path: &str, depth: usize) -> Option<String> {
        let segments: Vec<&str> = path.split("::").collect();
        let n = (1..=segments.len())
            .rev()
            .find(|n| self.modules.contains_key(&segments[..*n].join("::")))?;
        let module = segments[..n].join("::");
        let Some(&item) = segments.get(n) else {
            return Some(module);
        };
        if depth > 8 {
            return Some(module);
        }
        let paths = &self.paths[&module];
        if let Some((_, to)) = paths.reexports.iter().find(|(name, _)| name == item) {
            let rest = segments[n + 1..].join("::");
            let to = self.absolute(&module, to)?;
            let to = if rest.is_empty() {
                to
            } else {
                format!("{to}::{rest}")
            };
            return self.target(&to, depth + 1).or(Some(module));
        }
        for glob in &paths.globs {
            let Some(glob) = self.absolute(&module, glob) else {
                continue;
            };
            if let Some(found) = self.target(&format!("{glob}::{item}"), depth + 1)
                && found != glob
                && self.defines(&found, item)
            {
                return Some(found);
            }
        }
        Some(module)
    }

    /// Whether module `module`'s file defines an item `name`.
    fn defines(&self, module: &str, name: &str) -> bool {
        let code = own_code(&self.modules[module].path);
        [
            "fn", "struct", "enum", "trait", "type", "const", "static", "mod",
        ]
        .iter()
        .any(|kind| code.contains(&format!("{kind} {name}")))
    }

    /// File → the files it imports (itself and its own crate root excluded).
    fn graph(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut graph = BTreeMap::new();
        for (module, paths) in &self.paths {
            let edges: BTreeSet<String> = paths
                .used
                .iter()
                .filter_map(|p| self.absolute(module, p))
                .filter_map(|p| self.target(&p, 0))
                .filter(|target| target != module && target.contains("::"))
                .collect();
            graph.insert(module.clone(), edges);
        }
        graph
    }
}

/// One circle of the graph, if there is any (depth-first search).
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

fn workspace_graph() -> BTreeMap<String, BTreeSet<String>> {
    Tree::read(&crates()).graph()
}

#[test]
fn the_import_graph_of_both_crates_has_no_circle() {
    let graph = workspace_graph();
    assert!(
        graph.len() > 60,
        "the source trees were not found: {graph:?}"
    );
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "the imports form a circle: {}\n(ARCHITECTURE.md says which way each layer may import)",
            cycle.join(" -> ")
        );
    }
}

/// The three circles the crate:-only check missed stay gone, and the
/// graph sees the paths that made them.
#[test]
fn the_circles_of_the_god_object_are_gone() {
    let graph = workspace_graph();
    let imports = |from: &str, to: &str| graph.get(from).is_some_and(|e| e.contains(to));
    assert!(imports(
        "igv_relay_core::domain::genes",
        "igv_relay_core::domain::genome"
    ));
    assert!(!imports(
        "igv_relay_core::domain::genome",
        "igv_relay_core::domain::genes"
    ));
    // The served page uses the writers, which never use it back.
    assert!(imports(
        "igv_relay_core::served",
        "igv_relay_core::sinks::page"
    ));
    for (module, edges) in &graph {
        if module.starts_with("igv_relay_core::sinks") {
            assert!(
                !edges.iter().any(|e| e == "igv_relay_core::served"),
                "{module} imports the page it writes"
            );
        }
    }
}

/// The core is below the server: nothing in it names the server.
#[test]
fn the_core_imports_nothing_of_the_server() {
    let graph = workspace_graph();
    for (module, edges) in graph
        .iter()
        .filter(|(m, _)| m.starts_with("igv_relay_core"))
    {
        let up: Vec<&String> = edges
            .iter()
            .filter(|e| e.starts_with("igv_relay::"))
            .collect();
        assert!(up.is_empty(), "{module} imports {up:?}");
    }
}

/// The layers of the core import only those below them.
#[test]
fn the_core_layers_import_only_downwards() {
    // Lower layers first; a module may import its own layer and those before it.
    const LAYERS: [&[&str]; 6] = [
        &["domain", "formats", "words", "recent"],
        &["genomes", "links", "error"],
        &["rows"],
        &["view"],
        &["sinks"],
        &["served", "export", "caches"],
    ];
    let layer_of = |module: &str| {
        let top = module.split("::").nth(1).unwrap_or("");
        LAYERS.iter().position(|l| l.contains(&top))
    };
    for (module, edges) in workspace_graph()
        .iter()
        .filter(|(m, _)| m.starts_with("igv_relay_core::"))
    {
        let Some(own) = layer_of(module) else {
            continue;
        };
        for edge in edges {
            if let Some(theirs) = layer_of(edge) {
                assert!(
                    theirs <= own,
                    "{module} imports {edge}, a layer above it (ARCHITECTURE.md)"
                );
            }
        }
    }
}

#[test]
fn no_route_imports_another_route() {
    for (module, edges) in workspace_graph() {
        if !module.starts_with("igv_relay::routes::") {
            continue;
        }
        let own = module.split("::").nth(2).unwrap_or("");
        let routes: Vec<&String> = edges
            .iter()
            .filter(|e| e.starts_with("igv_relay::routes") && e.split("::").nth(2) != Some(own))
            .collect();
        assert!(
            routes.is_empty(),
            "{module} imports {routes:?}: shared helpers belong in the core or in web/"
        );
    }
}

#[test]
fn state_error_middleware_and_web_import_no_route_and_not_startup() {
    let graph = workspace_graph();
    for (module, edges) in &graph {
        let below = ["state", "error", "middleware", "web"].iter().any(|m| {
            module == &format!("igv_relay::{m}") || module.starts_with(&format!("igv_relay::{m}::"))
        });
        if !below {
            continue;
        }
        let bad: Vec<&String> = edges
            .iter()
            .filter(|e| e.starts_with("igv_relay::routes") || *e == "igv_relay::startup")
            .collect();
        assert!(bad.is_empty(), "{module} imports {bad:?}");
    }
    // web/ knows no application state either.
    for (module, edges) in &graph {
        if module.starts_with("igv_relay::web") {
            assert!(
                !edges.contains("igv_relay::state"),
                "{module} imports the state"
            );
        }
    }
}

/// Writes `files` under a fresh directory and reads them as crate `planted`.
fn planted(files: &[(&str, &str)]) -> BTreeMap<String, BTreeSet<String>> {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    Tree::read(&[("planted", dir.path().to_path_buf())]).graph()
}

/// The checker itself: a circle made of `super::` paths is found, groups,
/// inline paths and child names count, and a re-export leads to the file
/// that defines the item without being an edge of its own.
#[test]
fn the_checker_finds_a_planted_super_circle_and_follows_re_exports() {
    let graph = planted(&[
        ("lib.rs", "pub mod a;\npub mod c;\n"),
        (
            "a/mod.rs",
            "mod b;\nmod d;\npub use b::Thing;\npub struct Shared;\nuse d::Helper;\n",
        ),
        (
            "a/b.rs",
            "use super::Shared;\n/// crate::c::not_an_import\npub struct Thing;\nfn f() { let s = \"super::d\"; super::super::c::go(); }\n",
        ),
        ("a/d.rs", "pub struct Helper;\n"),
        ("c.rs", "use crate::a::{Thing, self};\npub fn go() {}\n"),
    ]);
    let edges = |m: &str| graph[&format!("planted::{m}")].clone();
    assert_eq!(
        edges("a::b"),
        BTreeSet::from(["planted::a".into(), "planted::c".into()])
    );
    // Through `pub use b::Thing` to the file that defines it; `self` is `a`.
    assert_eq!(
        edges("c"),
        BTreeSet::from(["planted::a".into(), "planted::a::b".into()])
    );
    // A child's name is a path; a re-export is not an edge.
    assert_eq!(edges("a"), BTreeSet::from(["planted::a::d".into()]));
    let cycle = find_cycle(&graph).expect("b -> c -> b through super:: and a re-export");
    assert_eq!(cycle.first(), cycle.last());
    assert!(cycle.contains(&"planted::a::b".to_owned()), "{cycle:?}");

    // Without `super::super::c::go()` there is none.
    let graph = planted(&[
        ("lib.rs", "pub mod a;\npub mod c;\n"),
        (
            "a/mod.rs",
            "mod b;\npub use b::Thing;\npub struct Shared;\n",
        ),
        ("a/b.rs", "use super::Shared;\npub struct Thing;\n"),
        ("c.rs", "use crate::a::Thing;\n"),
    ]);
    assert_eq!(find_cycle(&graph), None);

    // Two siblings that import each other with `super::` alone.
    let graph = planted(&[
        ("lib.rs", "mod x;\nmod y;\n"),
        ("x.rs", "use super::y::Y;\npub struct X;\n"),
        ("y.rs", "pub struct Y;\nfn f() -> super::x::X { todo!() }\n"),
    ]);
    assert!(find_cycle(&graph).is_some());
}

/// The core runs the same in the service, the CLI and the fuzz targets: it
/// depends on no web framework, HTTP client, async runtime, configuration
/// loader or argument parser, not even through another crate.
#[test]
fn the_core_depends_on_no_http_runtime_config_or_cli_crate() {
    const FORBIDDEN: [&str; 5] = ["actix-web", "reqwest", "tokio", "config", "clap"];
    let manifest =
        std::fs::read_to_string(workspace().join("crates/igv-relay-core/Cargo.toml")).unwrap();
    let dependencies = manifest
        .split("[dependencies]")
        .nth(1)
        .and_then(|rest| rest.split("\n[").next())
        .expect("a [dependencies] table");
    for name in FORBIDDEN {
        assert!(
            !dependencies
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{name} "))
                    || l.trim_start().starts_with(&format!("{name}."))),
            "crates/igv-relay-core/Cargo.toml depends on {name}"
        );
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = Command::new(cargo)
        .current_dir(workspace())
        .args([
            "tree",
            "--locked",
            "--offline",
            "-p",
            "igv-relay-core",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8(out.stdout).unwrap();
    let names: BTreeSet<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(
        names.contains("noodles"),
        "cargo tree lists the core's crates: {names:?}"
    );
    let found: Vec<&str> = FORBIDDEN
        .iter()
        .copied()
        .filter(|f| names.contains(f))
        .collect();
    assert!(found.is_empty(), "the core depends on {found:?}:\n{tree}");
}

/// A function longer than a screen has more than one job (STYLE.md).
const MAX_FUNCTION_LINES: usize = 100;

/// `(lines, name)` of each function in `code`, from its `fn` line to its
/// closing brace.
fn functions(code: &str) -> Vec<(usize, String)> {
    let lines: Vec<&str> = code.lines().collect();
    let mut out = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        let Some(at) = find_word(line, "fn") else {
            continue;
        };
        let name: String = line[at + 2..]
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            continue; // `fn(` types
        }
        let mut depth = 0i32;
        let mut opened = false;
        let end = 'body: {
            for (i, line) in lines.iter().enumerate().skip(start) {
                for c in line.chars() {
                    match c {
                        '{' => {
                            depth += 1;
                            opened = true;
                        }
                        '}' => depth -= 1,
                        ';' if !opened => break 'body None, // a declaration
                        _ => {}
                    }
                    if opened && depth == 0 {
                        break 'body Some(i);
                    }
                }
            }
            None
        };
        if let Some(end) = end {
            out.push((end - start + 1, name));
        }
    }
    out
}

#[test]
fn no_function_of_the_rows_views_and_writers_is_over_a_hundred_lines() {
    let core = workspace().join("crates/igv-relay-core/src");
    let mut files: Vec<PathBuf> = ["served.rs", "export.rs", "caches.rs"]
        .iter()
        .map(|f| core.join(f))
        .collect();
    for dir in ["rows", "view", "sinks"] {
        for entry in std::fs::read_dir(core.join(dir)).unwrap() {
            files.push(entry.unwrap().path());
        }
    }
    assert!(files.len() > 20);
    let mut long = Vec::new();
    for file in &files {
        let code = code_only(&std::fs::read_to_string(file).unwrap());
        for (lines, name) in functions(&code) {
            if lines > MAX_FUNCTION_LINES {
                long.push(format!("{}: {name} ({lines} lines)", file.display()));
            }
        }
    }
    assert!(
        long.is_empty(),
        "functions over {MAX_FUNCTION_LINES} lines:\n{}",
        long.join("\n")
    );
    // The counter counts: a planted long function is found.
    let planted = format!(
        "fn long() {{\n{}}}\nfn short() {{}}\n",
        "    x();\n".repeat(120)
    );
    assert_eq!(
        functions(&planted),
        [(122, "long".to_owned()), (1, "short".to_owned())]
    );
}

/// Every Rust file of the workspace (its crates, their tests, the fuzz crate).
fn workspace_rust_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![workspace().join("crates"), workspace().join("fuzz")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                if !matches!(
                    name.as_str(),
                    "target" | "corpus" | "artifacts" | "fixtures"
                ) {
                    stack.push(path);
                }
            } else if name.ends_with(".rs") {
                files.push(path);
            }
        }
    }
    files
}

#[test]
fn no_file_is_included_by_path() {
    let mut found = Vec::new();
    for file in workspace_rust_files() {
        let code = code_only(&std::fs::read_to_string(&file).unwrap());
        if code.contains("#[path") {
            found.push(file.display().to_string());
        }
    }
    assert!(
        found.is_empty(),
        "#[path] in {found:?}: share a module instead"
    );
}

/// `static`s that hold a lock but are no cache, each with why.
const STATICS_THAT_ARE_NO_CACHE: [(&str, &str); 1] = [(
    // nginx's `access_log ... buffer=`: each thread's access lines, at most
    // 64 KiB, written out every `log.flush_ms` (issue 28).
    "telemetry.rs",
    "static THREAD_BUFFERS:",
)];

/// Caches belong to the service's state (bounded, keyed by type), never to
/// a `static`; a key is never the Debug text of a value.
#[test]
fn no_static_cache_and_no_debug_text_as_a_key() {
    for (_, root) in crates() {
        let mut stack = vec![root];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let code = own_code(&path);
                for line in code.lines().filter(|l| find_word(l, "static").is_some()) {
                    let holds = ["Mutex", "RwLock", "HashMap", "BTreeMap", "OnceLock<Vec"]
                        .iter()
                        .any(|t| line.contains(t));
                    let no_cache = STATICS_THAT_ARE_NO_CACHE
                        .iter()
                        .any(|(file, item)| path.ends_with(file) && line.contains(item));
                    let holds = holds && !no_cache;
                    assert!(!holds, "{}: a static cache: {line}", path.display());
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let own = text.split("#[cfg(test)]").next().unwrap_or("");
                assert!(
                    !own.contains("format!(\"{:?}\""),
                    "{}: the Debug text of a value as a string",
                    path.display()
                );
            }
        }
    }
}

/// Every file a binary compiles in (`include_str!`/`include_bytes!`, the
/// askama templates) lies under a directory the Dockerfile's build stage
/// copies: a missing `COPY demo ./demo` once broke the image while every
/// test passed.
#[test]
fn the_container_build_copies_every_file_the_binary_embeds() {
    let root = workspace().canonicalize().unwrap();
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
    for (_, src) in crates() {
        let mut stack = vec![src];
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
                        let Ok(inside) = file.strip_prefix(&root) else {
                            continue;
                        };
                        let parts: Vec<String> = inside
                            .components()
                            .map(|c| c.as_os_str().to_string_lossy().into_owned())
                            .collect();
                        // Test fixtures are compiled only into unit tests.
                        if parts.iter().any(|p| p == "tests") {
                            continue;
                        }
                        embedded.insert(parts[0].clone());
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
        "the Dockerfile's build stage copies {copied:?} but the binaries embed files from {missing:?}"
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
    let root = workspace();
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
