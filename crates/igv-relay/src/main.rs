use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use igv_relay::configuration::Settings;
use igv_relay::startup::Application;
use igv_relay::telemetry;

/// View-in-IGV link pages and a validating relay to IGV desktop.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Configuration file (YAML or TOML), layered over the built-in defaults.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web service (the default).
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080 (overrides server.bind).
        #[arg(long)]
        bind: Option<String>,
        /// A directory of result files to serve as a data root (repeatable).
        #[arg(long = "data-dir")]
        data_dirs: Vec<PathBuf>,
        /// Show the built-in demo result files too (they are shown anyway when
        /// no data root is configured).
        #[arg(long)]
        demo: bool,
    },
    /// Print the effective configuration, or what is wrong with it.
    CheckConfig,
    /// Exit 0 when the service at server.bind answers /healthz (for container
    /// health checks; slim images have no curl).
    Healthcheck,
    /// Write a static "View in IGV" link page for one result file: plain links
    /// to the relay's public URL, CSS inlined, no script (a Galaxy HTML output,
    /// a page on a share).
    Render(Box<RenderArgs>),
}

#[derive(clap::Args)]
struct RenderArgs {
    /// The result file (VCF, BED family, GFF3, GTF, tabular; plain or gzipped).
    file: PathBuf,
    /// Genome id (hg38, b37, ...) sent with every link; a Galaxy dbkey also works.
    #[arg(long)]
    genome: Option<String>,
    /// Galaxy database/build of the file: mapped to a genome, `?` for none.
    #[arg(long)]
    dbkey: Option<String>,
    /// The relay's public URL the links point at (default: server.public_url,
    /// else http://<server.bind>/).
    #[arg(long = "relay-url")]
    relay_url: Option<String>,
    /// Where to write the page (default: standard output).
    #[arg(short = 'o', long = "output")]
    output: Option<PathBuf>,
    /// The file's format (vcf, bed, gff3, ...) or Galaxy datatype (interval,
    /// bed6, ...), when its name does not say (Galaxy files end in .dat).
    #[arg(long)]
    format: Option<String>,
    /// Page title (default: the file name).
    #[arg(long)]
    name: Option<String>,
    /// Galaxy interval metadata: 1-based chromosome/start/end column numbers.
    #[arg(long = "chrom-col")]
    chrom_col: Option<usize>,
    #[arg(long = "start-col")]
    start_col: Option<usize>,
    #[arg(long = "end-col")]
    end_col: Option<usize>,
    /// Bases added on each side of every locus [default: 0; GWAS summary
    /// statistics 200000, as the service's data.gwas_flank].
    #[arg(long)]
    flank: Option<u64>,
    /// Most records listed; the rest are counted and the page says so.
    #[arg(long = "max-rows")]
    max_rows: Option<u64>,
    /// Records per file: page.html, page-2.html, ... linked to each other (needs -o).
    #[arg(long = "per-file")]
    per_file: Option<usize>,
    /// No progress bar and no summary on stderr.
    #[arg(long, short = 'q')]
    quiet: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("igv-relay: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command.unwrap_or(Command::Serve {
        bind: None,
        data_dirs: Vec::new(),
        demo: false,
    }) {
        Command::CheckConfig => check_config(settings),
        Command::Healthcheck => healthcheck(&settings.server.bind),
        Command::Render(args) => render(&settings, *args),
        Command::Serve {
            bind,
            data_dirs,
            demo,
        } => {
            if let Some(bind) = bind {
                settings.server.bind = bind;
            }
            settings.add_data_dirs(&data_dirs);
            if demo {
                settings.data.demo = Some(true);
            }
            serve(settings)
        }
    }
}

fn render(settings: &Settings, args: RenderArgs) -> ExitCode {
    use igv_relay::cli::render::{RenderOptions, render};
    use igv_relay::sources::galaxy::ColumnMetadata;
    use igv_relay_core::domain::loci::LociRules;

    let fail = |message: String| {
        eprintln!("igv-relay render: {message}");
        ExitCode::FAILURE
    };
    if args.per_file.is_some() && args.output.is_none() {
        return fail("--per-file writes several files; give -o FILE".to_owned());
    }
    let relay_url = match &args.relay_url {
        Some(text) => url::Url::parse(text)
            .map_err(|e| format!("--relay-url {text:?}: {e}"))
            .and_then(|mut url| {
                if !matches!(url.scheme(), "http" | "https") {
                    return Err(format!("--relay-url {text:?}: expected an http(s) URL"));
                }
                if !url.path().ends_with('/') {
                    let path = format!("{}/", url.path());
                    url.set_path(&path);
                }
                Ok(url)
            }),
        None => settings
            .server
            .bind
            .parse()
            .map_err(|_| format!("server.bind {:?} is not an address", settings.server.bind))
            .and_then(|address| settings.public_url(address).map_err(|e| e.to_string())),
    };
    let relay_url = match relay_url {
        Ok(url) => url,
        Err(e) => return fail(e),
    };
    let registry = match igv_relay::state::genome_registry(settings) {
        Ok(r) => r,
        Err(e) => return fail(e.to_string()),
    };
    let options = RenderOptions {
        input: args.file,
        output: args.output,
        relay_url,
        genome: args.genome,
        dbkey: args.dbkey,
        format: args.format,
        name: args.name,
        columns: ColumnMetadata {
            chrom: args.chrom_col,
            start: args.start_col,
            end: args.end_col,
        },
        flank: args.flank,
        max_rows: args.max_rows,
        per_file: args.per_file,
        quiet: args.quiet,
    };
    let rules = LociRules {
        max_loci: settings.relay.max_loci,
        allow_feature_names: settings.relay.allow_feature_names,
    };
    match render(&options, &registry, rules) {
        Ok(summary) => {
            if !args.quiet && options.output.is_some() {
                let files: Vec<String> = summary
                    .files
                    .iter()
                    .map(|f| f.display().to_string())
                    .collect();
                eprintln!(
                    "igv-relay render: {} of {} records in {}",
                    summary.shown,
                    summary.records,
                    files.join(", ")
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(e.to_string()),
    }
}

fn check_config(settings: Settings) -> ExitCode {
    // Genomes and data roots are loaded exactly as `serve` would load them.
    let address = "127.0.0.1:0".parse().expect("a literal socket address");
    let state = settings
        .public_url(address)
        .map_err(|e| e.to_string())
        .and_then(|url| {
            igv_relay::startup::AppState::new(settings.clone(), url).map_err(|e| e.to_string())
        });
    match state.and_then(|_| serde_json::to_string_pretty(&settings).map_err(|e| e.to_string())) {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("igv-relay: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve(settings: Settings) -> ExitCode {
    let _log_writer = telemetry::init(
        &settings.log.format,
        &settings.log.level,
        std::time::Duration::from_millis(settings.log.flush_ms),
    );
    let result = actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings).map_err(|e| e.to_string())?;
        tracing::info!(url = %app.public_url(), "igv-relay listening");
        app.run_until_stopped().await.map_err(|e| e.to_string())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("igv-relay: {e}");
            ExitCode::FAILURE
        }
    }
}

fn healthcheck(bind: &str) -> ExitCode {
    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpStream};
    use std::time::Duration;

    let Ok(mut address) = bind.parse::<SocketAddr>() else {
        eprintln!("igv-relay: server.bind {bind:?} is not an address");
        return ExitCode::FAILURE;
    };
    if address.ip().is_unspecified() {
        address.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let answer = TcpStream::connect_timeout(&address, Duration::from_secs(3)).and_then(|mut s| {
        s.set_read_timeout(Some(Duration::from_secs(3)))?;
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
        let mut head = [0u8; 12];
        s.read_exact(&mut head)?;
        Ok(head)
    });
    match answer {
        Ok(head) if head.starts_with(b"HTTP/1.1 200") => ExitCode::SUCCESS,
        Ok(head) => {
            eprintln!(
                "igv-relay: /healthz answered {}",
                String::from_utf8_lossy(&head)
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("igv-relay: /healthz at {address}: {e}");
            ExitCode::FAILURE
        }
    }
}
