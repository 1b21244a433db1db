//! Benchmark: sends a 1 GiB file over loopback with the release builds of `file-send` and
//! `file-recv`, beside `nc` (raw, and followed by `sync` for the same durability) and the
//! notes' pair, in rounds that rotate which peer goes first; prints every run, the medians
//! and the ratios the lessons aim for.
//!
//! Run it with: `cargo run --release -p file-send --bin file-bench`
//!
//! Peak memory and CPU time come from GNU time (`/usr/bin/time -f`), which asks the kernel
//! (`wait4`'s resource usage) when each process ends: exact, and the same for every tool.
//! Every run starts after `sync`, so no tool pays for another's writeback. Before the runs,
//! the hashing figures show what SHA-256 and BLAKE3 cost on this CPU; `--sweep` adds an
//! in-process copy per buffer size, which shows why the lessons use 128 KiB.

mod hashing;
mod peers;

use std::fs;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;

use peers::Row;

/// Measures file-send + file-recv against nc and the notes' pair on a large file.
#[derive(Debug, Parser)]
struct Options {
    /// Size of the test file in MiB.
    #[arg(long, default_value_t = 1024)]
    size_mib: u64,

    /// Rounds; each runs every peer once, in an order that rotates.
    #[arg(long, default_value_t = 3)]
    rounds: usize,

    /// Also copy 512 MiB in-process per buffer size (8 KiB to 2 MiB).
    #[arg(long)]
    sweep: bool,

    /// Directory for the test file and the received copies (removed at the end).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// The peers, in the order of the first round.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Peer {
    FileSend,
    Nc,
    Notes,
}

fn main() -> std::process::ExitCode {
    common::report(run(&Options::parse()))
}

fn run(options: &Options) -> Result<()> {
    let binaries = peers::build_release()?;
    let work = match &options.dir {
        Some(dir) => tempfile::tempdir_in(dir),
        None => tempfile::tempdir(),
    }
    .context("cannot create a working directory")?;
    let size = options.size_mib << 20;

    println!("== the digest on this CPU (in memory, 256 MiB in 128 KiB updates)");
    hashing::hashing_speed();
    if options.sweep {
        println!("\n== buffer size: in-process loopback copy of 512 MiB, BLAKE3 on both sides");
        for buffer in [8 << 10, 32 << 10, 128 << 10, 512 << 10, 2 << 20] {
            hashing::buffer_sweep(buffer, 512 << 20)?;
        }
    }

    println!(
        "\n== end to end: {} MiB file, release builds, `sync` before every run",
        options.size_mib
    );
    let path = work.path().join("bench.bin");
    let written = Instant::now();
    peers::write_test_file(&path, size)?;
    println!(
        "(wrote the test file in {:.1} s; the page cache holds it, so the disk is not read)",
        written.elapsed().as_secs_f64()
    );
    println!(
        "{:<10} {:>5} {:>7} {:>7} {:>11} {:>12} {:>12} {:>9} {:>9}",
        "tool",
        "round",
        "wall s",
        "MB/s",
        "stream MB/s",
        "send peak",
        "recv peak",
        "send CPU",
        "recv CPU"
    );
    let mut results: Vec<(&str, Row)> = Vec::new();
    let order = [Peer::FileSend, Peer::Nc, Peer::Notes];
    for round in 0..options.rounds {
        for k in 0..order.len() {
            let peer = order[(round + k) % order.len()];
            let target = work.path().join(format!("received-{round}-{k}"));
            fs::create_dir(&target)?;
            peers::settle()?;
            let rows = match peer {
                Peer::FileSend => vec![(
                    "file-send",
                    peers::file_send_once(&binaries, &path, &target, work.path())?,
                )],
                Peer::Nc => {
                    let (plain, synced) = peers::nc_once(&path, &target, work.path())?;
                    vec![("nc", plain), ("nc + sync", synced)]
                }
                Peer::Notes => vec![(
                    "notes",
                    peers::notes_once(&binaries, &path, &target, work.path())?,
                )],
            };
            for (tool, row) in rows {
                print_row(tool, &(round + 1).to_string(), size, row);
                results.push((tool, row));
            }
            // Removing the copy drops its pages before the next run's `sync`.
            fs::remove_dir_all(&target)?;
        }
    }
    summarise(&results, size);
    println!(
        "\nfile-send: 128 KiB buffers on both sides, BLAKE3 checked end to end, the copy \
         synced every 64 MiB while it arrives and fsynced before the confirmation.\nnc: no \
         check, no fsync; `nc + sync` adds `sync FILE` after nc, for the same durability.\n\
         notes: the notes' pair (examples notes-file-send, notes-file-recv): 4 KiB buffers, \
         no check, no fsync."
    );
    // `work` is removed here, with the test file and the copies.
    Ok(())
}

/// The median of each column per tool, and file-send's ratios to the others.
fn summarise(results: &[(&str, Row)], size: u64) {
    println!("\n== medians");
    let tools = ["file-send", "nc", "nc + sync", "notes"];
    let mut wall = Vec::new();
    for tool in tools {
        let rows: Vec<Row> = results
            .iter()
            .filter(|(t, _)| *t == tool)
            .map(|(_, r)| *r)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let median = |f: &dyn Fn(&Row) -> f64| {
            let mut values: Vec<f64> = rows.iter().map(f).collect();
            values.sort_by(f64::total_cmp);
            values[values.len() / 2]
        };
        let row = Row {
            wall: median(&|r| r.wall),
            streamed: None,
            send: peers::Usage {
                peak_kib: median(&|r| r.send.peak_kib as f64) as u64,
                cpu_seconds: median(&|r| r.send.cpu_seconds),
            },
            recv: peers::Usage {
                peak_kib: median(&|r| r.recv.peak_kib as f64) as u64,
                cpu_seconds: median(&|r| r.recv.cpu_seconds),
            },
        };
        print_row(tool, "median", size, row);
        wall.push((tool, row.wall));
    }
    let of = |tool: &str| wall.iter().find(|(t, _)| *t == tool).map(|(_, w)| *w);
    let Some(ours) = of("file-send") else { return };
    println!("\nfile-send's speed as a multiple of (median wall time over file-send's):");
    for (tool, aim) in [("nc + sync", 1.2), ("nc", 0.9), ("notes", 1.5)] {
        if let Some(theirs) = of(tool) {
            println!(
                "  {tool:<10} {:>5.2}x   (aim: at least {aim}x)",
                theirs / ours
            );
        }
    }
}

fn print_row(tool: &str, round: &str, size: u64, row: Row) {
    let rate = |seconds: f64| format!("{:.0}", size as f64 / seconds / 1e6);
    println!(
        "{tool:<10} {round:>5} {:>7.2} {:>7} {:>11} {:>8.1} MiB {:>8.1} MiB {:>7.2} s {:>7.2} s",
        row.wall,
        rate(row.wall),
        row.streamed.map_or_else(|| "-".to_owned(), rate),
        row.send.peak_kib as f64 / 1024.0,
        row.recv.peak_kib as f64 / 1024.0,
        row.send.cpu_seconds,
        row.recv.cpu_seconds,
    )
}
