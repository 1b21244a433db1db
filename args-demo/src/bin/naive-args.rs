//! The counter-example: the notes' `os.Args` loop, ported word for word with
//! `std::env::args()`.
//!
//! It works for every argument that is valid Unicode, and panics on the first one that is
//! not. On Linux, try: `cargo run -q -p args-demo --bin naive-args -- "$(printf 'caf\351')"`.
//! `args-demo raw` (in `lib.rs`) is the version that cannot panic.

fn main() {
    // `args()` converts each argument to a `String` as it goes; a conversion that fails
    // has nowhere to report to, so the iterator panics.
    for (index, argument) in std::env::args().enumerate() {
        println!("{index}  {argument}");
    }
}
