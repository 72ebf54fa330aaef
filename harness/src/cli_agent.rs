//! `dualhome agent …`: the BOSH agent's network configuration for one VM.
//!
//! `dualhome agent render --settings F --nics eth0=MAC,eth1=MAC --profile P [--format …]` reads the
//! director's network settings (JSON, 2018 or current form), plans the boot under the profile and
//! prints the operations, the host they leave, or one of the rendered files. Errors name the
//! offending field (with line and column for JSON errors) and exit with code 2.

use clap::{Args, Subcommand, ValueEnum};
use dualhome_agent::cpi::{assign_macs, settings_from_plan};
use dualhome_agent::locate::locate;
use dualhome_agent::render::{networkd_path, render_interfaces, render_networkd, render_resolv_conf};
use dualhome_agent::{apply, parse_nics, plan, AgentError, BootOp, Overrides, Profile, Settings};
use std::fmt::Write as _;
use std::path::PathBuf;

/// `dualhome agent` subcommands.
#[derive(Subcommand)]
pub enum AgentCommand {
    /// Plan a VM's boot from network settings and print the operations or a rendered file.
    Render(RenderArgs),
}

/// What `render` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RenderFormat {
    /// Numbered boot operations, then the resulting host (interfaces, routes, rules, DNS).
    Ops,
    /// The plan (layout and operations) and the host as JSON.
    Json,
    /// `/etc/network/interfaces` (ifupdown era).
    Interfaces,
    /// The systemd-networkd `10_<if>.network` files, each after a `==> path <==` line.
    Networkd,
    /// Every sysctl the boot writes, `key=value`, in order.
    Sysctl,
    /// The resolv.conf shape of the nameserver list.
    Resolv,
}

/// Arguments of `dualhome agent render`.
#[derive(Args, Debug)]
pub struct RenderArgs {
    /// The director's network settings (JSON map network name → settings), or with `--instance`
    /// the document `dualhome ipam plan --format json` prints.
    #[arg(long)]
    pub settings: PathBuf,
    /// Take this instance's networks (`group/index`) from an IPAM plan document.
    #[arg(long)]
    pub instance: Option<String>,
    /// Act as the CPI: networks without `mac` get the `--nics` MACs in network order.
    #[arg(long)]
    pub assign_macs: bool,
    /// The VM's NICs: `eth0=00:50:56:aa:bb:cc,eth1=…`.
    #[arg(long)]
    pub nics: String,
    /// trusty-2018, jammy, noble-poc or hardened.
    #[arg(long)]
    pub profile: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = RenderFormat::Ops)]
    pub format: RenderFormat,
    /// Plan the boot after the agent's IPv6 reboot (grub without `ipv6.disable=1`).
    #[arg(long)]
    pub after_reboot: bool,
    /// Network that provides the default gateway (overrides the settings' `default`).
    #[arg(long)]
    pub default_gateway: Option<String>,
    /// Network that provides the IPv6 default route (profiles with `ipv6_gateway`).
    #[arg(long)]
    pub ipv6_gateway: Option<String>,
    /// Extra sysctl written after the agent, `key=value` (repeatable).
    #[arg(long = "sysctl", value_name = "KEY=VALUE")]
    pub sysctls: Vec<String>,
}

/// Runs a `dualhome agent` subcommand and returns the process exit code.
pub fn run(cmd: AgentCommand) -> u8 {
    match cmd {
        AgentCommand::Render(args) => match render(&args) {
            Ok(out) => {
                print!("{out}");
                0
            }
            Err(msg) => {
                eprintln!("error: {msg}");
                2
            }
        },
    }
}

/// Does the work of `render`; the error is the full message for stderr.
fn render(args: &RenderArgs) -> Result<String, String> {
    let origin = args.settings.display().to_string();
    let text =
        std::fs::read_to_string(&args.settings).map_err(|e| format!("`--settings`: cannot read {origin}: {e}"))?;
    let mut settings = match &args.instance {
        Some(instance) => settings_from_plan(&text, instance),
        None => Settings::from_json(&text),
    }
    .map_err(|e| located(&origin, &text, args.instance.as_deref(), &e))?;
    let nics = parse_nics(&args.nics).map_err(|e| e.to_string())?;
    if args.assign_macs {
        assign_macs(&mut settings, &nics).map_err(|e| e.to_string())?;
    }
    let mut profile = Profile::by_name(&args.profile).map_err(|e| e.to_string())?;
    if args.after_reboot {
        profile = profile.after_reboot();
    }
    let mut extra_sysctls = Vec::new();
    for kv in &args.sysctls {
        let (k, v) = kv
            .split_once('=')
            .filter(|(k, _)| !k.trim().is_empty())
            .ok_or_else(|| format!("`--sysctl`: '{kv}' is not KEY=VALUE"))?;
        extra_sysctls.push((k.trim().to_owned(), v.trim().to_owned()));
    }
    let profile = profile.with_overrides(Overrides {
        extra_sysctls,
        default_gateway_network: args.default_gateway.clone(),
        ipv6_gateway_network: args.ipv6_gateway.clone(),
    });
    let boot = plan(&settings, &nics, &profile).map_err(|e| located(&origin, &text, args.instance.as_deref(), &e))?;
    let host = apply(&boot.ops);
    let mut out = String::new();
    match args.format {
        RenderFormat::Ops => {
            for (i, op) in boot.ops.iter().enumerate() {
                let _ = writeln!(out, "{i:>3} {op}");
            }
            let _ = write!(out, "\n{host}");
        }
        RenderFormat::Json => {
            let doc = serde_json::json!({ "plan": boot, "host": host });
            out = serde_json::to_string_pretty(&doc).map_err(|e| format!("JSON output: {e}"))?;
            out.push('\n');
        }
        RenderFormat::Interfaces => out = render_interfaces(&boot.layout),
        RenderFormat::Networkd => {
            let tables = dualhome_agent::policy::policy_tables(&boot.layout, &profile);
            for iface in &boot.layout.interfaces {
                let policy = dualhome_agent::policy::for_dev(&tables, &iface.name);
                let _ = writeln!(out, "==> {} <==", networkd_path(&iface.name));
                out.push_str(&render_networkd(iface, &boot.layout, &profile, policy));
            }
        }
        RenderFormat::Sysctl => {
            for op in &boot.ops {
                if let BootOp::SysctlWrite { key, value } = op {
                    let _ = writeln!(out, "{key}={value}");
                }
            }
        }
        RenderFormat::Resolv => out = render_resolv_conf(&boot.layout.dns),
    }
    Ok(out)
}

/// Settings errors are prefixed with `file:line:column` (serde_json's position for parse errors,
/// the value's position for later checks); option errors already name the option.
fn located(origin: &str, text: &str, instance: Option<&str>, e: &AgentError) -> String {
    if let AgentError::Json {
        field,
        line,
        column,
        message,
    } = e
    {
        return format!("{origin}:{line}:{column}: `{field}`: {message}");
    }
    let field = e.field();
    if field.starts_with("--") || field.starts_with("overrides.") {
        return e.to_string();
    }
    let path = match instance.and_then(|name| instance_index(text, name)) {
        Some(i) => format!("instances[{i}].networks.{field}"),
        None => field.to_owned(),
    };
    match locate(text, &path) {
        Some((line, column)) => format!("{origin}:{line}:{column}: {e}"),
        None => format!("{origin}: {e}"),
    }
}

/// Index of `name` in an IPAM plan document's `instances`.
fn instance_index(text: &str, name: &str) -> Option<usize> {
    let doc: serde_json::Value = serde_json::from_str(text).ok()?;
    doc.get("instances")?
        .as_array()?
        .iter()
        .position(|i| i.get("instance").and_then(|v| v.as_str()) == Some(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED_NICS: &str = "eth0=00:50:56:8c:86:a9,eth1=00:50:56:8c:69:f1";

    fn fixture(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../agent/tests/fixtures")
            .join(name)
    }

    fn args(file: PathBuf, profile: &str, format: RenderFormat) -> RenderArgs {
        RenderArgs {
            settings: file,
            instance: None,
            assign_macs: false,
            nics: SEED_NICS.into(),
            profile: profile.into(),
            format,
            after_reboot: false,
            default_gateway: None,
            ipv6_gateway: None,
            sysctls: Vec::new(),
        }
    }

    #[test]
    fn renders_each_format() {
        let f = fixture("seed-2018.json");
        let ops = render(&args(f.clone(), "trusty-2018", RenderFormat::Ops)).unwrap();
        assert!(ops.contains("sysctl net.ipv6.conf.all.accept_ra=1"));
        assert!(ops.contains("eth0 00:50:56:8c:86:a9 UP addrs=[10.0.9.165/24] ipv6=enabled accept_ra=1"));
        let ifaces = render(&args(f.clone(), "trusty-2018", RenderFormat::Interfaces)).unwrap();
        assert!(ifaces.starts_with("# Generated by bosh-agent\nauto lo\n"));
        assert!(ifaces.ends_with("2001:4860:4860:0000:0000:0000:0000:8844"));
        let nd = render(&args(f.clone(), "noble-poc", RenderFormat::Networkd)).unwrap();
        assert!(nd.contains("==> /etc/systemd/network/10_eth1.network <==\n# Generated by bosh-agent\n"));
        let sysctl = render(&args(f.clone(), "jammy", RenderFormat::Sysctl)).unwrap();
        assert_eq!(sysctl.lines().count(), 7);
        let json = render(&args(f.clone(), "hardened", RenderFormat::Json)).unwrap();
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["plan"]["profile"], "hardened");
        assert!(v["plan"]["ops"].as_array().is_some_and(|a| !a.is_empty()));
        let resolv = render(&args(f, "jammy", RenderFormat::Resolv)).unwrap();
        assert!(resolv.starts_with("# Generated by bosh-agent\nnameserver 2001:4860"));
    }

    #[test]
    fn overrides_and_after_reboot() {
        let mut a = args(fixture("seed-current.json"), "jammy", RenderFormat::Ops);
        a.after_reboot = true;
        a.default_gateway = Some("default".into());
        a.sysctls = vec!["net.ipv6.conf.eth1.accept_ra=0".into()];
        let out = render(&a).unwrap();
        assert!(!out.contains("reboot pending"));
        assert!(out.contains("ip route add default via 10.0.9.1 dev eth0"));
        assert!(out.contains("sysctl net.ipv6.conf.eth1.accept_ra=0"));
        a.sysctls = vec!["=1".into()];
        assert!(render(&a).unwrap_err().starts_with("`--sysctl`"));
    }

    /// The contract with the IPAM crate: its plan document for the seed deployment, in both eras,
    /// drives the agent (with the CPI's MAC assignment) to the seed's VM.
    #[test]
    fn ipam_plan_document_drives_the_agent() {
        use dualhome_ipam::{parse_cloud_config, parse_manifest, plan, Era, PlanInput};
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/seed");
        let read = |f: &str| std::fs::read_to_string(root.join(f)).unwrap();
        let cc = parse_cloud_config("cloud-config.yml", &read("cloud-config.yml")).unwrap();
        let m = parse_manifest("manifest.yml", &read("manifest.yml")).unwrap();
        let p = plan(&PlanInput {
            cloud_config: &cc,
            manifest: &m,
            director_ips: &[],
            state: None,
        })
        .unwrap();
        let dir = std::env::temp_dir().join(format!("dualhome-cli-agent-ipam-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (era, expanded) in [(Era::Y2018, true), (Era::Current, false)] {
            let file = dir.join("plan.json");
            std::fs::write(&file, p.settings(era).to_json()).unwrap();
            let mut a = args(file, "trusty-2018", RenderFormat::Interfaces);
            a.instance = Some("nginx/0".into());
            a.assign_macs = true;
            let ifaces = render(&a).unwrap();
            assert_eq!(
                ifaces.contains("2601:0646:0100:69f1:0000:0000:0000:0165"),
                expanded,
                "{ifaces}"
            );
            a.format = RenderFormat::Ops;
            let ops = render(&a).unwrap();
            assert!(
                ops.contains("eth0 00:50:56:8c:86:a9 UP addrs=[10.0.9.165/24] ipv6=enabled accept_ra=1"),
                "{ops}"
            );
            assert!(
                ops.contains("eth1 00:50:56:8c:69:f1 UP addrs=[2601:646:100:69f1::165/64] ipv6=enabled accept_ra=1")
            );
            a.instance = Some("nginx/9".into());
            assert!(render(&a).unwrap_err().contains("`--instance`"));
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn errors_name_file_field_and_exit_2() {
        let dir = std::env::temp_dir().join(format!("dualhome-cli-agent-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bad = dir.join("bad.json");
        std::fs::write(&bad, "{\n  \"n\": {\n    \"ip\": \"10.0.0.300\"\n  }\n}\n").unwrap();
        let msg = render(&args(bad.clone(), "jammy", RenderFormat::Ops)).unwrap_err();
        assert!(
            msg.ends_with("bad.json:3:22: `n.ip`: '10.0.0.300' is not an IP address"),
            "{msg}"
        );
        assert!(msg.contains("`n.ip`"), "{msg}");
        let code = run(AgentCommand::Render(args(bad, "jammy", RenderFormat::Ops)));
        assert_eq!(code, 2);
        let missing = render(&args(dir.join("absent.json"), "jammy", RenderFormat::Ops)).unwrap_err();
        assert!(missing.starts_with("`--settings`"), "{missing}");
        let unknown = render(&args(fixture("seed-2018.json"), "xenial", RenderFormat::Ops)).unwrap_err();
        assert!(unknown.contains("`--profile`"), "{unknown}");
        let mut wrong_mac = args(fixture("seed-2018.json"), "jammy", RenderFormat::Ops);
        wrong_mac.nics = "eth0=00:50:56:8c:86:a9,eth1=00:50:56:8c:00:01".into();
        let msg = render(&wrong_mac).unwrap_err();
        assert!(
            msg.contains("seed-2018.json:19:12: `ipv6.mac`: No device found"),
            "{msg}"
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
