//! What the digest costs: each candidate hashed in memory, and a loopback copy per buffer
//! size with the digest on both sides, as the lessons do. These figures chose BLAKE3 and
//! the 128 KiB buffers.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread;
use std::time::Instant;

use anyhow::Result;
use sha2::Digest;

/// Prints MB/s for SHA-256 and BLAKE3 over 256 MiB in 128 KiB updates (the lessons' chunk).
pub fn hashing_speed() {
    let block = vec![0x5a_u8; 128 << 10];
    let rate = |seconds: f64| 256.0 * 1048576.0 / seconds / 1e6;
    let started = Instant::now();
    let mut sha256 = sha2::Sha256::new();
    for _ in 0..256 * 8 {
        sha256.update(&block);
    }
    let _ = sha256.finalize();
    println!("sha256: {:.0} MB/s", rate(started.elapsed().as_secs_f64()));
    let started = Instant::now();
    let mut blake3 = blake3::Hasher::new();
    for _ in 0..256 * 8 {
        blake3.update(&block);
    }
    let _ = blake3.finalize();
    println!("blake3: {:.0} MB/s", rate(started.elapsed().as_secs_f64()));
}

/// Copies `total` bytes from one thread to another over loopback with `buffer`-sized
/// reads and writes, hashing with BLAKE3 on both sides as the lessons do; prints MB/s.
pub fn buffer_sweep(buffer: usize, total: u64) -> Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let receiving = thread::spawn(move || -> std::io::Result<u64> {
        let (mut stream, _) = listener.accept()?;
        let mut chunk = vec![0; buffer];
        let mut digest = blake3::Hasher::new();
        let mut received = 0;
        loop {
            let n = stream.read(&mut chunk)?;
            if n == 0 {
                let _ = digest.finalize();
                return Ok(received);
            }
            digest.update(&chunk[..n]);
            received += n as u64;
        }
    });
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr)?;
    let chunk = vec![0xa5; buffer];
    let mut digest = blake3::Hasher::new();
    let mut sent = 0;
    while sent < total {
        digest.update(&chunk);
        stream.write_all(&chunk)?;
        sent += buffer as u64;
    }
    stream.shutdown(Shutdown::Write)?;
    let _ = digest.finalize();
    let received = receiving
        .join()
        .map_err(|_| anyhow::anyhow!("receiving thread panicked"))??;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "buffer {:>5} KiB: {:>6.0} MB/s",
        buffer / 1024,
        received as f64 / seconds / 1e6
    );
    Ok(())
}
