//! Host tests of the `nlecho` binary: help, usage and exit statuses, and
//! the listener and peer paths (JSON, pcap, signals, overruns) over
//! NETLINK_USERSOCK, which every kernel serves. What needs the module is
//! in tests/guest/cli.sh.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use nlecho::pcap::PcapReader;
use nlecho::wire::Messages;
use nlecho::Direction;

const USERSOCK: &str = "2";

fn nlecho() -> Command {
    Command::new(env!("CARGO_BIN_EXE_nlecho"))
}

fn run(args: &[&str]) -> Output {
    nlecho().args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Starts a listener and waits for its "listening" line; returns the
/// child and its port.
fn listener(args: &[&str]) -> (Child, u32) {
    let mut child = nlecho()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    assert!(line.contains("listening on port "), "{line:?}");
    let port = line
        .split("port ")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .and_then(|p| p.parse().ok())
        .unwrap();
    // Hand the rest of stderr back for wait_with_output.
    std::thread::spawn(move || {
        let mut rest = String::new();
        let _ = err.read_to_string(&mut rest);
        eprint!("{rest}");
    });
    (child, port)
}

#[test]
fn help_lists_every_command_and_the_exit_statuses() {
    let out = run(&["--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for cmd in ["hello", "send", "listen", "broadcast", "stats", "peer"] {
        assert!(help.contains(&format!("  {cmd} ")), "{cmd} in\n{help}");
    }
    for status in [
        "0  success",
        "2  bad usage",
        "3  the module is not loaded",
        "4  ",
        "5  ",
        "6  ",
    ] {
        assert!(help.contains(status), "{status:?} in\n{help}");
    }
    for cmd in [
        &["hello"][..],
        &["send"],
        &["listen"],
        &["broadcast"],
        &["stats"],
        &["peer", "listen"],
        &["peer", "send"],
    ] {
        let out = run(&[cmd, &["--help"]].concat());
        assert!(out.status.success(), "{cmd:?}");
        assert!(
            text(&out.stdout).contains("Example"),
            "{cmd:?} --help has an example"
        );
    }
}

#[test]
fn bad_usage_exits_2() {
    for args in [
        &["send"][..],
        &["send", "--type", "0xfffff", "x"],
        &["send", "--file", "f", "x"],
        &["listen"],
        &["listen", "--group", "0"],
        &["peer", "send", "x"],
        &["peer", "send", "--to-port", "1", "--group", "2", "x"],
        &["peer", "send", "--group", "33", "x"],
        &["frobnicate"],
    ] {
        let out = run(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn a_protocol_nobody_serves_exits_3_with_one_line() {
    // 27: no kernel socket registers it.
    for args in [
        &["hello"][..],
        &["send", "x"],
        &["stats"],
        &["listen", "--group", "1"],
    ] {
        let out = nlecho().arg("--protocol=27").args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(3), "{args:?}");
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("nlecho: ") && err.contains("is the nlecho module loaded?"),
            "{err}"
        );
    }
}

#[test]
fn a_quiet_listener_times_out_with_4() {
    let out = run(&[
        "--protocol",
        USERSOCK,
        "--timeout",
        "100",
        "listen",
        "--group",
        "26",
    ]);
    assert_eq!(out.status.code(), Some(4));
    assert!(text(&out.stderr).contains("nlecho: listen: nothing received within 100 ms"));
}

/// Checks that `s` is exactly one JSON value, by recursive descent.
fn is_json(s: &str) -> bool {
    fn ws(b: &[u8], i: &mut usize) {
        while *i < b.len() && b" \t\r\n".contains(&b[*i]) {
            *i += 1;
        }
    }
    fn string(b: &[u8], i: &mut usize) -> bool {
        *i += 1;
        while *i < b.len() {
            match b[*i] {
                b'"' => {
                    *i += 1;
                    return true;
                }
                b'\\' => {
                    *i += 1;
                    match b.get(*i) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => *i += 1,
                        Some(b'u') => {
                            let hex = b.get(*i + 1..*i + 5);
                            if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                                return false;
                            }
                            *i += 5;
                        }
                        _ => return false,
                    }
                }
                c if c < 0x20 => return false,
                _ => *i += 1,
            }
        }
        false
    }
    fn value(b: &[u8], i: &mut usize) -> bool {
        ws(b, i);
        let ok = match b.get(*i) {
            Some(b'{') => {
                *i += 1;
                ws(b, i);
                if b.get(*i) == Some(&b'}') {
                    *i += 1;
                    return true;
                }
                loop {
                    ws(b, i);
                    if b.get(*i) != Some(&b'"') || !string(b, i) {
                        return false;
                    }
                    ws(b, i);
                    if b.get(*i) != Some(&b':') {
                        return false;
                    }
                    *i += 1;
                    if !value(b, i) {
                        return false;
                    }
                    ws(b, i);
                    match b.get(*i) {
                        Some(b',') => *i += 1,
                        Some(b'}') => {
                            *i += 1;
                            break true;
                        }
                        _ => return false,
                    }
                }
            }
            Some(b'"') => string(b, i),
            Some(b'-' | b'0'..=b'9') => {
                *i += 1;
                while *i < b.len() && b[*i].is_ascii_digit() {
                    *i += 1;
                }
                true
            }
            _ => ["true", "false", "null"].iter().any(|w| {
                let hit = b[*i..].starts_with(w.as_bytes());
                if hit {
                    *i += w.len();
                }
                hit
            }),
        };
        ws(b, i);
        ok
    }
    let b = s.as_bytes();
    let mut i = 0;
    value(b, &mut i) && i == b.len() && b.first() == Some(&b'{')
}

#[test]
fn the_json_checker_itself_works() {
    assert!(is_json(
        r#"{"a":1,"b":"x\n\u0001\"","c":null,"d":true,"e":-5}"#
    ));
    for bad in [
        "",
        "{",
        r#"{"a":}"#,
        r#"{"a":"x"#,
        "{\"a\":\"\n\"}",
        r#"{"a":1}x"#,
        "[1]",
    ] {
        assert!(!is_json(bad), "{bad:?}");
    }
}

#[test]
fn peers_exchange_messages_as_json_lines_and_pcap() {
    let dir = std::env::temp_dir().join(format!("nlecho-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (rx_pcap, tx_pcap) = (dir.join("rx.pcap"), dir.join("tx.pcap"));
    let (child, port) = listener(&[
        "--protocol",
        USERSOCK,
        "--json",
        "peer",
        "listen",
        "--group",
        "27",
        "--count",
        "3",
        "--pcap",
        rx_pcap.to_str().unwrap(),
    ]);
    let tricky = "quote \" backslash \\ newline \n tab \t bell \u{7} é";
    let send = |extra: &[&str], stdin: Option<&[u8]>| {
        let mut cmd = nlecho();
        cmd.args(["--protocol", USERSOCK, "--json", "peer", "send"])
            .args(extra)
            .stdout(Stdio::piped())
            .stdin(Stdio::piped());
        let mut c = cmd.spawn().unwrap();
        let mut input = c.stdin.take().unwrap();
        if let Some(bytes) = stdin {
            std::io::Write::write_all(&mut input, bytes).unwrap();
        }
        drop(input);
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "peer send {extra:?}");
        text(&out.stdout)
    };
    let to = port.to_string();
    let sent = send(
        &[
            "--to-port",
            &to,
            "--pcap",
            tx_pcap.to_str().unwrap(),
            tricky,
        ],
        None,
    );
    assert!(is_json(sent.trim_end()), "{sent}");
    assert!(sent.contains(&format!("\"to_port\":{port}")));
    send(&["--group", "27", "-"], Some(b"\xff\x00binary"));
    let file = dir.join("payload");
    std::fs::write(&file, b"from a file").unwrap();
    send(&["--to-port", &to, "--file", file.to_str().unwrap()], None);

    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let lines: Vec<_> = text(&out.stdout).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    for l in &lines {
        assert!(is_json(l), "not one JSON object: {l}");
    }
    assert!(
        lines[0].contains(r#""payload":"quote \" backslash \\ newline \n tab \t bell \u0007 é""#)
    );
    assert!(lines[0].contains(&format!(r#""len":{}"#, tricky.len())));
    assert!(lines[0].contains(r#""group":null"#));
    assert!(
        lines[1].contains(r#""group":27"#)
            && lines[1].contains(r#""payload_hex":"ff0062696e617279""#)
    );
    assert!(lines[1].contains(r#""len":8"#));
    assert!(lines[2].contains(r#""payload":"from a file""#));

    // The listener's capture holds the three datagrams it received, the
    // sender's the one it sent, byte for byte the same.
    let read = |p: &std::path::Path| -> Vec<_> {
        PcapReader::new(std::fs::File::open(p).unwrap())
            .unwrap()
            .map(|r| r.unwrap())
            .collect()
    };
    let rx = read(&rx_pcap);
    let tx = read(&tx_pcap);
    assert_eq!(rx.len(), 3);
    assert!(rx
        .iter()
        .all(|p| p.direction == Direction::Received && p.protocol == 2));
    assert_eq!(tx.len(), 1);
    assert_eq!(tx[0].direction, Direction::Sent);
    assert_eq!(tx[0].datagram, rx[0].datagram);
    let m = Messages::new(&rx[0].datagram).next().unwrap().unwrap();
    assert_eq!(m.payload, tricky.as_bytes());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sigterm_ends_a_listener_with_0() {
    let (child, _) = listener(&["--protocol", USERSOCK, "listen", "--group", "28"]);
    std::thread::sleep(Duration::from_millis(100));
    // SAFETY: kill() only sends a signal to our own child.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn an_overrun_is_reported_and_exits_6() {
    let (mut child, _) = listener(&[
        "--protocol",
        USERSOCK,
        "--timeout",
        "500",
        "listen",
        "--group",
        "29",
        "--rcvbuf",
        "1",
    ]);
    let pid = child.id() as i32;
    // SAFETY: kill() only sends signals to our own child.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGSTOP) }, 0);
    let out = run(&[
        "--protocol",
        USERSOCK,
        "peer",
        "send",
        "--group",
        "29",
        "--count",
        "40",
        &"x".repeat(1000),
    ]);
    assert!(out.status.success());
    assert_eq!(unsafe { libc::kill(pid, libc::SIGCONT) }, 0);
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(6));
    let got = stdout.lines().count();
    assert!(got > 0 && got < 40, "{got} of 40 messages printed");
}
