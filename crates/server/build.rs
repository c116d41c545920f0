// Migrations and translations are embedded in the binary: rebuild when they change.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
    println!("cargo:rerun-if-changed=../../i18n");
    println!("cargo:rerun-if-changed=../../static");
    println!("cargo:rerun-if-changed=templates");
}
