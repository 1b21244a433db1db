//! The progress display: a bar on stderr while a large file goes out, drawn only when stderr
//! is a terminal, so pipes and logs get no control characters.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar for `size` bytes; indicatif hides it when stderr is not a terminal.
pub(crate) fn progress_bar(size: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(size), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} ~{eta} left",
    ) {
        bar.set_style(style);
    }
    bar
}
