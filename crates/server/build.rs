// Migrations and translations are embedded in the binary: rebuild when they change. Every
// `i18n/<code>.json` beside `qqq.json` (the documentation) is a language the interface ships
// in: adding one is dropping in its file.
use std::fmt::Write as _;

fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
    println!("cargo:rerun-if-changed=../../i18n");
    println!("cargo:rerun-if-changed=../../static");
    println!("cargo:rerun-if-changed=templates");

    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../i18n");
    let mut files: Vec<(String, std::path::PathBuf)> = std::fs::read_dir(&dir)
        .expect("the i18n folder")
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let code = path
                .file_name()?
                .to_str()?
                .strip_suffix(".json")?
                .to_owned();
            (code != "qqq").then_some((code, path.canonicalize().ok()?))
        })
        .collect();
    files.sort();
    let mut table =
        String::from("/// The message files in `i18n/`, by language code (written by build.rs).\n");
    table.push_str("const SHIPPED: &[(&str, &str)] = &[\n");
    for (code, path) in files {
        let _ = writeln!(
            table,
            "    ({code:?}, include_str!({:?})),",
            path.display().to_string()
        );
    }
    table.push_str("];\n");
    let out = std::path::Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR"))
        .join("shipped_languages.rs");
    std::fs::write(out, table).expect("write the table of languages");
}
