//! Host tests of the `nlecho` binary: help, usage and exit statuses, and
//! the listener and peer paths (JSON, pcap, signals, overruns) over
//! NETLINK_USERSOCK, which every kernel serves. What needs the module is
//! in tests/guest/cli.sh.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use nlecho::pcap::PcapReader;
use nlecho::wire::{self, Messages};
use nlecho::{Direction, Transport};

const USERSOCK: &str = "2";

/// The subcommands users see, everywhere `nlecho --help` lists them.
const VISIBLE: [&str; 7] = [
    "hello",
    "send",
    "listen",
    "broadcast",
    "stats",
    "groups",
    "peer",
];

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
    for cmd in VISIBLE {
        assert!(help.contains(&format!("  {cmd} ")), "{cmd} in\n{help}");
    }
    // The benchmark is a binary of its own (benches/echo), not shipped.
    assert!(!help.contains("  bench "), "{help}");
    assert_eq!(run(&["bench"]).status.code(), Some(2));
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
        &["groups"],
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
        &["groups", "--group"],
        &["groups", "--group", "x"],
        &["groups", "extra"],
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
        &["groups"],
        &["groups", "--group", "1"],
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

/// What the kernel sends on its own, as a peer can send it over
/// NETLINK_USERSOCK: NOTIFYs to a group and to one port, the classic
/// NLMSG_DONE, and a NOTIFY too broken to decode.
fn notifications() -> Vec<Vec<u8>> {
    let notify = |group: u32, data: &[u8]| {
        let mut payload = vec![0; wire::Notify::len(data.len())];
        let n = wire::Notify { group, data }.put(&mut payload).unwrap();
        assert_eq!(n, payload.len());
        message(wire::NLECHO_CMD_NOTIFY, &payload)
    };
    vec![
        notify(5, b"to group 5"),
        notify(0, b"\xff\x00"),
        message(wire::NLMSG_DONE, b"classic"),
        // GROUP without DATA: shown as it came.
        message(
            wire::NLECHO_CMD_NOTIFY,
            &wire::GroupInfo::default().to_bytes()[..8],
        ),
    ]
}

fn message(ty: u16, payload: &[u8]) -> Vec<u8> {
    let h = wire::Header {
        ty,
        ..wire::Header::default()
    };
    nlecho::frame::encode(h, payload).unwrap()
}

/// Starts `nlecho [--json] peer listen --count 4` over NETLINK_USERSOCK,
/// sends it [`notifications`], and returns its stdout lines.
fn listen_to_notifications(json: bool) -> Vec<String> {
    let mut args = vec!["--protocol", USERSOCK];
    if json {
        args.push("--json");
    }
    args.extend(["peer", "listen", "--count", "4"]);
    let (child, port) = listener(&args);
    let sock = nlecho::Socket::open(2).unwrap();
    sock.bind(0, 0).unwrap();
    for m in notifications() {
        sock.send_to(&m, port).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout).lines().map(str::to_owned).collect()
}

#[test]
fn listeners_decode_notify_and_still_print_classic_done() {
    let lines = listen_to_notifications(false);
    let from = lines[0].split(':').next().unwrap().to_owned();
    assert!(from.starts_with("port "), "{lines:?}");
    assert_eq!(
        lines[1..],
        [
            format!("{from}: type 0x14 NOTIFY, unicast, seq 0, 2 bytes: hex ff00"),
            format!("{from}: type 0x3 DONE, seq 0, 7 bytes: \"classic\""),
            format!(r#"{from}: type 0x14 NOTIFY, seq 0, 8 bytes: "\u{{8}}\0\u{{1}}\0\0\0\0\0""#),
        ]
    );
    assert_eq!(
        lines[0],
        format!("{from}: type 0x14 NOTIFY, group 5, seq 0, 10 bytes: \"to group 5\"")
    );
}

#[test]
fn listeners_decode_notify_as_json() {
    let lines = listen_to_notifications(true);
    assert_eq!(lines.len(), 4, "{lines:?}");
    for l in &lines {
        assert!(is_json(l), "not one JSON object: {l}");
    }
    assert!(
        lines[0].contains(r#""type":20,"type_name":"NOTIFY","flags":0,"seq":0,"notify_group":5,"len":10,"payload":"to group 5"}"#),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains(r#""notify_group":0,"len":2,"payload_hex":"ff00"}"#),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains(
            r#""type":3,"type_name":"DONE","flags":0,"seq":0,"len":7,"payload":"classic"}"#
        ),
        "{}",
        lines[2]
    );
    assert!(
        lines[3].ends_with(r#""type_name":"NOTIFY","flags":0,"seq":0,"len":8,"payload":"\b\u0000\u0001\u0000\u0000\u0000\u0000\u0000"}"#),
        "{}",
        lines[3]
    );
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

/// Runs `nlecho generate-assets` into a fresh directory and returns it.
fn generate_assets(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("nlecho-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = run(&["generate-assets", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
    dir
}

/// Runs `program args...`, or returns None if it is not installed.
fn tool(program: &str, args: &[&str]) -> Option<Output> {
    match Command::new(program).args(args).output() {
        Ok(out) => Some(out),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("{program} is not installed; skipping its checks");
            None
        }
        Err(e) => panic!("{program}: {e}"),
    }
}

#[test]
fn generate_assets_writes_a_man_page_per_command() {
    let dir = generate_assets("man");
    let man = dir.join("man");
    let mut pages: Vec<_> = std::fs::read_dir(&man)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    pages.sort();
    assert_eq!(
        pages,
        [
            "nlecho-broadcast.1",
            "nlecho-groups.1",
            "nlecho-hello.1",
            "nlecho-listen.1",
            "nlecho-peer-listen.1",
            "nlecho-peer-send.1",
            "nlecho-peer.1",
            "nlecho-send.1",
            "nlecho-stats.1",
            "nlecho.1",
        ]
    );
    // The roff source, without its escaped dashes and font changes.
    let page = |name: &str| {
        let mut s = std::fs::read_to_string(man.join(name)).unwrap();
        for (escape, plain) in [(r"\-", "-"), (r"\fB", ""), (r"\fI", ""), (r"\fR", "")] {
            s = s.replace(escape, plain);
        }
        s
    };
    let root = page("nlecho.1");
    assert!(root.contains(".TH nlecho 1"), "{root}");
    for cmd in VISIBLE {
        assert!(
            root.contains(&format!("nlecho-{cmd}(1)")),
            "{cmd} in\n{root}"
        );
    }
    for opt in [
        "--protocol",
        "--timeout",
        "--json",
        "--verbose",
        "--version",
    ] {
        assert!(root.contains(opt), "{opt} in\n{root}");
    }
    assert!(root.contains(".SH \"EXIT STATUS\""), "{root}");
    assert!(root.contains("3  the module is not loaded"), "{root}");
    // Its heading, not a line of text as in clap_mangen's "EXTRA".
    assert!(!root.contains("Exit status:"), "{root}");

    let send = page("nlecho-send.1");
    assert!(send.contains(".TH nlecho-send 1"), "{send}");
    for text in ["--type", "--ack", "--count", "--seq", "--pcap", "--file"] {
        assert!(send.contains(text), "{text} in\n{send}");
    }
    assert!(send.contains(".SH EXAMPLES") && send.contains("nlecho send Hello"));
    let groups = page("nlecho-groups.1");
    assert!(groups.contains(".TH nlecho-groups 1"), "{groups}");
    assert!(
        groups.contains("--group") && groups.contains("--pcap"),
        "{groups}"
    );
    assert!(groups.contains(".SH EXAMPLES") && groups.contains("nlecho groups --group 5"));
    let listen = page("nlecho-peer-listen.1");
    assert!(
        listen.contains("--port") && listen.contains("--group"),
        "{listen}"
    );
    assert!(
        listen.contains(".SH \"SEE ALSO\"\nnlecho-peer(1)"),
        "{listen}"
    );

    // Rendered where groff is installed: no warnings, and the exit
    // statuses are the table `--help` ends with, one per line.
    let statuses = |s: &str| -> Vec<String> {
        s.lines()
            .map(str::trim)
            .filter(|l| {
                l.as_bytes().first().is_some_and(u8::is_ascii_digit) && l[1..].starts_with("  ")
            })
            .map(str::to_owned)
            .collect()
    };
    for name in &pages {
        let path = man.join(name);
        let Some(out) = tool("groff", &["-man", "-Tutf8", "-ww", path.to_str().unwrap()]) else {
            break;
        };
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{name}: {}",
            text(&out.stderr)
        );
        if name == "nlecho.1" {
            let help = statuses(&text(&run(&["--help"]).stdout));
            assert_eq!(help.len(), 7);
            assert_eq!(statuses(&text(&out.stdout)), help);
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn generate_assets_writes_bash_zsh_and_fish_completions() {
    let dir = generate_assets("completions");
    let path = |name: &str| dir.join("completions").join(name);
    let read = |name: &str| std::fs::read_to_string(path(name)).unwrap();

    let bash = read("nlecho.bash");
    let out = Command::new("bash")
        .arg("-n")
        .arg(path("nlecho.bash"))
        .output()
        .unwrap();
    assert!(out.status.success(), "bash -n: {}", text(&out.stderr));
    // What bash offers after "nlecho " and "nlecho peer ".
    let offers = |words: &str| {
        let script = format!(
            r#"source "$0"; COMP_WORDS=({words} ""); COMP_CWORD={n}; _nlecho nlecho "" "${{COMP_WORDS[COMP_CWORD-1]}}"; printf '%s\n' "${{COMPREPLY[@]}}""#,
            n = words.split(' ').count()
        );
        let out = Command::new("bash")
            .args(["-c", &script])
            .arg(path("nlecho.bash"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let top = offers("nlecho");
    for cmd in VISIBLE.iter().chain(&["--protocol", "--timeout", "--json"]) {
        assert!(top.lines().any(|l| l == *cmd), "{cmd} in\n{top}");
        assert!(bash.contains(cmd));
    }
    let peer = offers("nlecho peer");
    assert!(
        peer.lines().any(|l| l == "listen") && peer.lines().any(|l| l == "send"),
        "{peer}"
    );

    let zsh = read("_nlecho");
    assert!(zsh.starts_with("#compdef nlecho\n"), "{zsh}");
    let fish = read("nlecho.fish");
    assert!(fish.contains("complete -c nlecho"), "{fish}");
    for cmd in VISIBLE {
        assert!(zsh.contains(cmd) && fish.contains(cmd), "{cmd}");
    }
    if let Some(out) = tool("zsh", &["-n", path("_nlecho").to_str().unwrap()]) {
        assert!(out.status.success(), "zsh -n: {}", text(&out.stderr));
    }
    if let Some(out) = tool(
        "fish",
        &["--no-execute", path("nlecho.fish").to_str().unwrap()],
    ) {
        assert!(
            out.status.success(),
            "fish --no-execute: {}",
            text(&out.stderr)
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn generate_assets_is_hidden_everywhere() {
    let dir = generate_assets("hidden");
    let mut files = Vec::new();
    for sub in ["man", "completions"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            files.push(e.unwrap().path());
        }
    }
    assert_eq!(files.len(), 13);
    for f in &files {
        let s = std::fs::read_to_string(f).unwrap().replace(r"\-", "-");
        // Also catches bash's nlecho__generate__assets.
        assert!(!s.contains("generate"), "{}", f.display());
    }
    let help = text(&run(&["--help"]).stdout);
    assert!(!help.contains("generate"), "{help}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn generate_assets_into_an_unwritable_directory_fails_naming_the_path() {
    let file = std::env::temp_dir().join(format!("nlecho-not-a-dir-{}", std::process::id()));
    std::fs::write(&file, "").unwrap();
    let target = file.join("assets");
    let out = run(&["generate-assets", target.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!(
            "nlecho: generate-assets: creating {}: ",
            target.join("man").display()
        )),
        "{err}"
    );
    assert!(out.stdout.is_empty());
    std::fs::remove_file(&file).unwrap();
}
