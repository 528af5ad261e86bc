//! The arrows ARCHITECTURE.md forbids, checked on the source: the domain does no IO,
//! services know no transport, the dialogue crate knows no Telegram or database, and the
//! services do not import each other in a circle. Known exceptions are listed here by
//! name, so that a new one fails the test and removing one means deleting its line.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use regex::Regex;

/// Service modules that still import each other in a circle (none: keep it so).
const KNOWN_CYCLES: &[&[&str]] = &[];

/// Adapter files that still use `entities` (issue 15 moves these reads into services).
const KNOWN_ADAPTER_ENTITY_USES: &[&str] = &[];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read a source folder") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .expect("inside the repository")
        .display()
        .to_string()
}

/// Source without `//` comments, so that a doc line naming a module is not an import.
fn code(path: &Path) -> String {
    std::fs::read_to_string(path)
        .expect("read a source file")
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

fn offenders(dir: &str, forbidden: &Regex) -> Vec<String> {
    rust_files(&root().join(dir))
        .into_iter()
        .filter_map(|path| {
            let text = code(&path);
            forbidden
                .find(&text)
                .map(|m| format!("{}: {}", relative(&path), m.as_str()))
        })
        .collect()
}

#[test]
fn the_domain_does_no_io_and_knows_no_table() {
    let forbidden =
        Regex::new(r"\b(sea_orm|tokio|axum|teloxide|lettre|reqwest|crate::(services|entities|web|bot|notify|db))\b")
            .expect("pattern");
    assert_eq!(offenders("src/domain", &forbidden), Vec::<String>::new());
}

#[test]
fn services_know_no_transport() {
    let forbidden = Regex::new(r"\b(axum|teloxide|crate::(web|bot))\b").expect("pattern");
    assert_eq!(offenders("src/services", &forbidden), Vec::<String>::new());
}

#[test]
fn the_dialogue_crate_knows_no_telegram_and_no_database() {
    let forbidden = Regex::new(r"\b(teloxide|sea_orm|charity_relay|sqlx)\b").expect("pattern");
    assert_eq!(offenders("bots/src", &forbidden), Vec::<String>::new());
    let manifest = std::fs::read_to_string(root().join("bots/Cargo.toml")).expect("bots manifest");
    let deps = manifest.split("[dependencies]").nth(1).unwrap_or("");
    for name in ["teloxide", "sea-orm", "charity-relay", "sqlx"] {
        assert!(!deps.contains(name), "bots/ must not depend on {name}");
    }
}

#[test]
fn adapters_use_entities_only_where_known() {
    let uses = Regex::new(r"\bcrate::entities\b").expect("pattern");
    let mut found = BTreeSet::new();
    for dir in ["src/web", "src/bot", "src/wechat"] {
        for path in rust_files(&root().join(dir)) {
            if uses.is_match(&code(&path)) {
                found.insert(relative(&path));
            }
        }
    }
    let known: BTreeSet<String> = KNOWN_ADAPTER_ENTITY_USES.iter().map(|s| (*s).to_owned()).collect();
    let new: Vec<_> = found.difference(&known).collect();
    assert!(
        new.is_empty(),
        "adapters that read tables directly (call a service instead): {new:?}"
    );
    let gone: Vec<_> = known.difference(&found).collect();
    assert!(
        gone.is_empty(),
        "no longer use entities; delete them from KNOWN_ADAPTER_ENTITY_USES: {gone:?}"
    );
}

/// Which service modules each service module imports.
fn service_imports() -> BTreeMap<String, BTreeSet<String>> {
    let dir = root().join("src/services");
    let single = Regex::new(r"\b(?:super|crate::services)::([a-z_]+)\b").expect("pattern");
    let group = Regex::new(r"\b(?:super|crate::services)::\{([^}]*)\}").expect("pattern");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let module_of = |path: &Path| -> String {
        let rel = path.strip_prefix(&dir).expect("under services");
        let first = rel
            .components()
            .next()
            .expect("a component")
            .as_os_str()
            .to_string_lossy()
            .into_owned();
        first.trim_end_matches(".rs").to_owned()
    };
    let modules: BTreeSet<String> = rust_files(&dir).iter().map(|p| module_of(p)).collect();
    for path in rust_files(&dir) {
        let from = module_of(&path);
        if from == "mod" {
            continue;
        }
        // Inside a folder module, `super::` is the folder itself; only `crate::services::`
        // (or `super::super::`) reaches a sibling.
        let nested = path.parent() != Some(dir.as_path());
        let text = code(&path);
        let text = if nested {
            text.replace("super::super::", "crate::services::")
                .replace("super::", "self_module::")
        } else {
            text
        };
        let mut to: BTreeSet<String> = single.captures_iter(&text).map(|c| c[1].to_owned()).collect();
        for c in group.captures_iter(&text) {
            for item in c[1].split(',') {
                let name = item.trim().split("::").next().unwrap_or("").trim();
                to.insert(name.to_owned());
            }
        }
        let entry = graph.entry(from.clone()).or_default();
        entry.extend(
            to.into_iter()
                .filter(|m| modules.contains(m) && *m != from && m != "mod"),
        );
    }
    graph
}

/// The strongly connected components with more than one module (Tarjan's algorithm).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.graph.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.on_stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    component.push(w.to_owned());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !walk.index.contains_key(v.as_str()) {
            walk.visit(v);
        }
    }
    walk.found.sort();
    walk.found
}

#[test]
fn services_import_each_other_in_no_new_circle() {
    let found = cycles(&service_imports());
    let known: Vec<Vec<String>> = KNOWN_CYCLES
        .iter()
        .map(|c| c.iter().map(|s| (*s).to_owned()).collect())
        .collect();
    assert_eq!(
        found, known,
        "service modules importing each other in a circle (left: found, right: known); \
         break a new circle by moving the shared part down, and delete a broken one from KNOWN_CYCLES"
    );
}

#[test]
fn the_cycle_finder_finds_a_circle_and_nothing_else() {
    let graph: BTreeMap<String, BTreeSet<String>> =
        [("a", vec!["b"]), ("b", vec!["c"]), ("c", vec!["a", "d"]), ("d", vec![])]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.into_iter().map(str::to_owned).collect()))
            .collect();
    assert_eq!(
        cycles(&graph),
        vec![vec!["a".to_owned(), "b".to_owned(), "c".to_owned()]]
    );
}
